package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
)

// simCluster runs our name server and broker on the rig's manual clock,
// in-memory network and an in-memory file system: the whole exchange is
// driven by the test, in one goroutine, as the simulator drives it.
func simCluster(t *testing.T) (*rig, string, *broker.Broker) {
	r := newRig(t)
	r.e.FS = env.NewMemFS(r.clock)
	ns := namesrv.New(r.e, namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, ns.Start())
	t.Cleanup(func() { ns.Close() })
	cfg := broker.DefaultConfig("/store")
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.NamesrvAddrs = []string{ns.Addr()}
	cfg.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 100
	cfg.Store.IndexMaxEntries = 400
	b, err := broker.New(r.e, cfg)
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() { b.Close() })
	r.run()
	return r, ns.Addr(), b
}

func TestSimulatedSendAndPullWithTheCallbackAPI(t *testing.T) {
	r, nsAddr, b := simCluster(t)
	adm := NewAdmin(r.e, AdminConfig{NamesrvAddrs: []string{nsAddr}, Logger: quiet})
	defer adm.Close()
	_, err := await(r, errOnly(func(cb func(error)) {
		adm.CreateTopicAsync(b.Addr(), TopicConfig{Name: "Sim", ReadQueueNums: 2, WriteQueueNums: 2}, cb)
	}))
	require.NoError(t, err)
	r.run() // the broker registers the topic

	p := NewProducer(r.e, ProducerConfig{NamesrvAddrs: []string{nsAddr}, Logger: quiet})
	require.NoError(t, p.Start())
	defer p.Close()
	sent := map[string]string{}
	for i := range 10 {
		body := fmt.Sprint("simulated ", i)
		res, err := r.send(p, &Message{Topic: "Sim", Tags: "T", Body: []byte(body)})
		require.NoError(t, err)
		sent[res.MsgID] = body
	}

	c := NewPullConsumer(r.e, PullConsumerConfig{NamesrvAddrs: []string{nsAddr}, Group: "sim-group",
		SuspendTimeout: 5 * time.Second, Logger: quiet})
	require.NoError(t, c.Start())
	defer c.Close()
	qs, err := await(r, func(cb func([]MessageQueue, error)) { c.FetchQueuesAsync("Sim", cb) })
	require.NoError(t, err)
	require.Len(t, qs, 2)
	for _, mq := range qs {
		res, err := await(r, func(cb func(PullResult, error)) { c.PullAsync(mq, 0, 32, "T", cb) })
		require.NoError(t, err)
		require.Equal(t, PullFound, res.Status)
		for _, m := range res.Messages {
			assert.Equal(t, sent[m.MsgID], string(m.Body))
			delete(sent, m.MsgID)
		}
	}
	assert.Empty(t, sent)

	// Long polling in virtual time.
	var held *PullResult
	c.PullAsync(qs[0], 100, 32, "*", func(res PullResult, err error) {
		require.NoError(t, err)
		held = &res
	})
	r.run()
	require.NotNil(t, held, "an offset out of range is answered at once")
	assert.Equal(t, PullOffsetIllegal, held.Status)
	// At the queue's end the pull is held.
	end, err := await(r, func(cb func(int64, error)) { c.MaxOffsetAsync(qs[0], cb) })
	require.NoError(t, err)
	held = nil
	c.PullAsync(qs[0], end, 32, "*", func(res PullResult, err error) {
		require.NoError(t, err)
		held = &res
	})
	r.advance(time.Second)
	require.Nil(t, held, "held while nothing arrives")
	_, err = await(r, func(cb func(SendResult, error)) { p.SendToQueueAsync(msg("Sim", "late"), qs[0], cb) })
	require.NoError(t, err)
	r.run()
	require.NotNil(t, held, "answered when the message arrived")
	require.Equal(t, PullFound, held.Status)
	require.Len(t, held.Messages, 1)
	assert.Equal(t, "late", string(held.Messages[0].Body))
}
