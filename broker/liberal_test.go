package broker_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// rawConn speaks frames over a plain TCP connection, so a test can send
// headers exactly as other clients write them.
type rawConn struct {
	t *testing.T
	c net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

// call writes a JSON-header frame and reads the answer with the same opaque.
func (r *rawConn) call(opaque int32, header string, body []byte) *remoting.Command {
	r.t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)+len(body)))
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(header)))
	frame = append(append(frame, header...), body...)
	require.NoError(r.t, r.c.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := r.c.Write(frame)
	require.NoError(r.t, err)
	for {
		var prefix [4]byte
		_, err := io.ReadFull(r.c, prefix[:])
		require.NoError(r.t, err)
		n := binary.BigEndian.Uint32(prefix[:])
		buf := make([]byte, 4+n)
		copy(buf, prefix[:])
		_, err = io.ReadFull(r.c, buf[4:])
		require.NoError(r.t, err)
		cmd, err := remoting.DecodeFrame(buf)
		require.NoError(r.t, err)
		if cmd.IsResponse() && cmd.Opaque == opaque {
			return cmd
		}
	}
}

// A Java client of an old version, with numeric and boolean header values,
// numeric tag codes, and no oneway bit on a fire-and-forget request, is
// served like the Go client.
func TestOldJavaClientsWithNumericHeadersAreServed(t *testing.T) {
	c := startCluster(t, nil)
	r := dialRaw(t, c.broker.Addr())

	send := func(opaque int32, tags, body string) *remoting.Command {
		props, err := json.Marshal("TAGS\x01" + tags + "\x02")
		require.NoError(t, err)
		h := fmt.Sprintf(`{"code":310,"language":"JAVA","version":79,"opaque":%d,"flag":0,"serializeTypeCurrentRPC":"JSON",`+
			`"extFields":{"a":"pg","b":"Liberal","c":"TBW102","d":4,"e":0,"f":0,"g":1700000000000,"h":0,"i":%s,"j":0,"k":false,"m":false}}`,
			opaque, props)
		return r.call(opaque, h, []byte(body))
	}
	resp := send(1, "TagA", "one")
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = send(2, "TagC", "two")
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	// Heartbeat with tag codes as JSON numbers (Java's Integers).
	hb := fmt.Sprintf(`{"clientID":"10.1.1.1@99","producerDataSet":[],"consumerDataSet":[{"groupName":"jg",`+
		`"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,`+
		`"subscriptionDataSet":[{"classFilterMode":false,"topic":"Liberal","subString":"TagA","tagsSet":["TagA"],"codeSet":[%d],"subVersion":1,"expressionType":"TAG"}]}]}`,
		javaHash("TagA"))
	resp = r.call(3, `{"code":34,"language":"JAVA","version":79,"opaque":3,"flag":0,"extFields":{}}`, []byte(hb))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	// A pull with numbers for numbers and the heartbeat's subscription.
	resp = r.call(4, `{"code":11,"language":"JAVA","version":79,"opaque":4,"flag":0,"extFields":{"consumerGroup":"jg","topic":"Liberal",`+
		`"queueId":0,"queueOffset":0,"maxMsgNums":32,"sysFlag":0,"commitOffset":0,"suspendTimeoutMillis":0,"subVersion":1}}`, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	recs := decodeRecords(t, resp.Body)
	require.Len(t, recs, 1, "TagC is filtered out")
	require.Equal(t, "one", string(recs[0].Body))
	require.Equal(t, "2", resp.ExtFields["nextBeginOffset"])
	require.Equal(t, "0", resp.ExtFields["minOffset"])
	require.Equal(t, "2", resp.ExtFields["maxOffset"])

	// UPDATE_CONSUMER_OFFSET without the oneway bit is answered.
	resp = r.call(5, `{"code":15,"language":"JAVA","version":79,"opaque":5,"flag":0,"extFields":{"consumerGroup":"jg","topic":"Liberal","queueId":0,"commitOffset":2}}`, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	resp = r.call(6, `{"code":14,"language":"JAVA","version":79,"opaque":6,"flag":0,"extFields":{"consumerGroup":"jg","topic":"Liberal","queueId":0}}`, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, "2", resp.ExtFields["offset"])

	// Another connection is served alongside.
	other := dialRaw(t, c.broker.Addr())
	resp = other.call(7, `{"code":30,"language":"JAVA","version":79,"opaque":7,"flag":0,"extFields":{"topic":"Liberal","queueId":0}}`, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, "2", resp.ExtFields["offset"])
}

// javaHash is Java's String.hashCode.
func javaHash(s string) int32 {
	var h int32
	for _, c := range s {
		h = 31*h + int32(c)
	}
	return h
}
