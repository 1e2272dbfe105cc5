package broker_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
)

// storedRecord reads the record a send result's offset message id names.
func storedRecord(t *testing.T, ic *interopCluster, res *primitive.SendResult) commitlog.Record {
	t.Helper()
	host, physOffset, err := commitlog.ParseOffsetMsgID(res.OffsetMsgID)
	require.NoError(t, err, "offset message id %q", res.OffsetMsgID)
	require.Equal(t, ic.broker.Addr(), host.String(), "the offset message id names the broker")
	rec, _, err := ic.broker.Store().ReadRecord(physOffset)
	require.NoError(t, err)
	return rec
}

// Sync, async and oneway sends are all stored once and consumed. The topic
// does not exist before the first send: the producer routes by TBW102 and the
// broker creates the topic with the producer's default 4 queues.
func TestInteropSyncAsyncAndOnewaySendsAreConsumed(t *testing.T) {
	const perMode = 20
	ic := startInterop(t, nil)
	topic := uniqueName("Sends")
	p := ic.producer()
	ctx := sendCtx(t)

	nextOffset := map[int]int64{}
	for _, body := range bodiesOf("sync", perMode) {
		res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
		q := res.MessageQueue.QueueId
		require.Equal(t, nextOffset[q], res.QueueOffset, "queue offsets of queue %d are consecutive", q)
		nextOffset[q]++
		rec := storedRecord(t, ic, res)
		require.Equal(t, topic, string(rec.Topic))
		require.Equal(t, body, string(rec.Body))
		require.EqualValues(t, q, rec.QueueID)
		require.Equal(t, res.QueueOffset, rec.QueueOffset)
	}

	type outcome struct {
		res *primitive.SendResult
		err error
	}
	done := make(chan outcome, perMode)
	for _, body := range bodiesOf("async", perMode) {
		require.NoError(t, p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			done <- outcome{res, err}
		}, primitive.NewMessage(topic, []byte(body))))
	}
	timeout := time.After(interopWait)
	for range perMode {
		select {
		case o := <-done:
			require.NoError(t, o.err)
			require.Equal(t, primitive.SendOK, o.res.Status)
		case <-timeout:
			require.FailNow(t, "async send callbacks did not all arrive")
		}
	}

	for _, body := range bodiesOf("oneway", perMode) {
		require.NoError(t, p.SendOneWay(ctx, primitive.NewMessage(topic, []byte(body))))
	}

	route := ic.waitRoute(topic)
	require.Len(t, route.QueueDatas, 1)
	require.EqualValues(t, interopQueues, route.QueueDatas[0].WriteQueueNums, "created with the producer's defaultTopicQueueNums")
	require.EqualValues(t, 6, route.QueueDatas[0].Perm, "TBW102's permission without INHERIT")

	var got collector
	ic.pushConsumer(uniqueName("cg"), topic, "*", &got)
	all := append(append(bodiesOf("sync", perMode), bodiesOf("async", perMode)...), bodiesOf("oneway", perMode)...)
	got.waitBodies(t, all)
	for body, n := range got.bodies() {
		assert.Equal(t, 1, n, "%s consumed once by a lone consumer", body)
	}
	require.Len(t, got.all(), len(all))
}

// A SendSync of several messages is one SEND_BATCH_MESSAGE: one queue,
// consecutive queue offsets, each message with its own properties.
func TestInteropBatchSend(t *testing.T) {
	const n = 10
	ic := startInterop(t, nil)
	topic := uniqueName("Batch")
	ic.createTopic(topic, interopQueues)
	p := ic.producer()

	bodies := bodiesOf("batch", n)
	msgs := make([]*primitive.Message, n)
	for i, b := range bodies {
		msgs[i] = primitive.NewMessage(topic, []byte(b)).WithTag(fmt.Sprintf("Tag%d", i%3)).WithKeys([]string{b, "k" + b})
	}
	res, err := p.SendSync(sendCtx(t), msgs...)
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	require.EqualValues(t, 0, res.QueueOffset, "a fresh queue starts at 0")
	q := res.MessageQueue.QueueId
	require.Equal(t, int64(n), ic.broker.Store().MaxOffsetInQueue(topic, int32(q)), "one queue holds the whole batch")

	var got collector
	ic.pushConsumer(uniqueName("cg"), topic, "*", &got)
	got.waitBodies(t, bodies)
	byBody := map[string]consumedMsg{}
	for _, m := range got.all() {
		byBody[m.body] = m
	}
	for i, b := range bodies {
		m := byBody[b]
		assert.Equal(t, q, m.queueID, b)
		assert.Equal(t, int64(i), m.queueOffset, "%s keeps its place in the batch", b)
		assert.Equal(t, fmt.Sprintf("Tag%d", i%3), m.props[primitive.PropertyTags], b)
		assert.Equal(t, b+" k"+b, m.props[primitive.PropertyKeys], b)
		assert.Zero(t, m.sysFlag&commitlog.SysFlagCompressed, "batches are never compressed")
		assert.Equal(t, ic.broker.Config().ClusterName, m.props[primitive.PropertyCluster], b)
	}
}

// zlibSize is the size of body compressed as the official producer does
// (zlib, its default level 5).
func zlibSize(t *testing.T, body []byte) int {
	t.Helper()
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, clientCompressLevel)
	require.NoError(t, err)
	_, err = w.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Len()
}

const (
	// clientCompressThreshold and clientCompressLevel are the official
	// producer's defaults (CompressMsgBodyOverHowmuch, CompressLevel).
	clientCompressThreshold = 4096
	clientCompressLevel     = 5
)

// Bodies of 4 KiB and more travel and are stored zlib-compressed (sysFlag bit
// 1) and reach consumers as sent. The broker bounds the body it receives,
// i.e. the compressed one: an incompressible body is accepted while its
// compressed form is at most maxMessageSize (4 MiB); the official client has
// no limit of its own (it reads frames up to 128 MiB).
func TestInteropLargeBodiesAreCompressedAndBounded(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("Large")
	ic.createTopic(topic, 1)
	p := ic.producer()
	ctx := sendCtx(t)
	rng := rand.New(rand.NewPCG(3, 4))

	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog; ", 200))[:2*clientCompressThreshold]
	res, err := p.SendSync(ctx, primitive.NewMessage(topic, text))
	require.NoError(t, err)
	rec := storedRecord(t, ic, res)
	require.NotZero(t, rec.SysFlag&commitlog.SysFlagCompressed, "the stored record carries the compressed flag")
	require.Less(t, len(rec.Body), len(text), "the stored body is the compressed one")
	zr, err := zlib.NewReader(bytes.NewReader(rec.Body))
	require.NoError(t, err)
	inflated, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, text, inflated)

	// Random bytes do not compress: zlib adds about 1.3 KiB to 4 MiB.
	maxSize := broker.DefaultMaxMessageSize
	near := randomBytes(rng, maxSize-2048)
	over := randomBytes(rng, maxSize-1024)
	require.LessOrEqual(t, zlibSize(t, near), maxSize, "just under: compressed, still within maxMessageSize")
	require.Greater(t, zlibSize(t, over), maxSize, "compressed, over maxMessageSize although the raw body is not")

	res, err = p.SendSync(ctx, primitive.NewMessage(topic, near))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	rec = storedRecord(t, ic, res)
	require.NotZero(t, rec.SysFlag&commitlog.SysFlagCompressed)
	require.Greater(t, len(rec.Body), len(near), "an incompressible body grows")

	before := ic.broker.Store().CommitLogMaxOffset()
	_, err = p.SendSync(ctx, primitive.NewMessage(topic, over))
	require.ErrorContains(t, err, "CODE: 13", "MESSAGE_ILLEGAL, not retried")
	require.Equal(t, before, ic.broker.Store().CommitLogMaxOffset(), "nothing written for the refused send")

	var got collector
	ic.pushConsumer(uniqueName("cg"), topic, "*", &got)
	eventually(t, func() (bool, string) {
		return len(got.all()) >= 2, fmt.Sprintf("%d of 2 consumed", len(got.all()))
	})
	msgs := got.all()
	require.Len(t, msgs, 2)
	require.Equal(t, string(text), msgs[0].body)
	require.True(t, msgs[1].body == string(near), "the near-4-MiB body arrives intact (%d bytes)", len(msgs[1].body))
	for _, m := range msgs {
		require.NotZero(t, m.sysFlag&commitlog.SysFlagCompressed)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// userPropertyCount is how many user properties the round trip carries.
const userPropertyCount = 50

// userProperties returns properties with names and values drawn from the
// characters RocketMQ allows (anything but its separators \x01 and \x02).
func userProperties() map[string]string {
	values := []string{
		"plain", "with spaces inside", "équipe-été", "日本語のテキスト", "emoji 🚀✨", "a=b;c:d,e", `quote" and 'single'`,
		`back\slash/slash`, "<xml attr=\"1\"/>", `{"json":[1,2,3]}`, "tab\there", "100%", "a|b||c", "#hash&amp",
		"~!@$^*()_+-`", "Ωμέγα", "Привет", "مرحبا", strings.Repeat("long", 100),
	}
	props := make(map[string]string, userPropertyCount)
	for i := range userPropertyCount {
		name := fmt.Sprintf("user.prop-%02d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("UserProp_%02d_ünï", i)
		}
		props[name] = fmt.Sprintf("%s #%d", values[i%len(values)], i)
	}
	return props
}

// Fifty user properties with varied characters survive send and consume,
// next to the CLUSTER property the broker adds, which the client's
// CreateReplyMessage needs to answer a request.
func TestInteropManyUserPropertiesRoundTrip(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("Props")
	ic.createTopic(topic, interopQueues)
	p := ic.producer()
	props := userProperties()
	for name, value := range props {
		require.True(t, commitlog.ValidProperty(name, value), "%q=%q", name, value)
	}
	send := func(p rocketmq.Producer, body string) {
		msg := primitive.NewMessage(topic, []byte(body))
		msg.WithProperties(copyProps(props))
		msg.WithTag("Props")
		res, err := p.SendSync(sendCtx(t), msg)
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
	}
	send(p, "props-0")
	send(p, "props-1")

	var got collector
	ic.pushConsumer(uniqueName("cg"), topic, "*", &got)
	got.waitBodies(t, []string{"props-0", "props-1"})
	for _, m := range got.all() {
		for name, value := range props {
			assert.Equal(t, value, m.props[name], "%s: property %q", m.body, name)
		}
		assert.Equal(t, "Props", m.props[primitive.PropertyTags])
		assert.Equal(t, ic.broker.Config().ClusterName, m.props[primitive.PropertyCluster])
		req := &primitive.MessageExt{}
		req.WithProperties(copyProps(m.props))
		reply, err := consumer.CreateReplyMessage(req, []byte("reply"))
		require.NoError(t, err)
		assert.Equal(t, ic.broker.Config().ClusterName+"_REPLY_TOPIC", reply.Topic)
	}
}

func copyProps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
