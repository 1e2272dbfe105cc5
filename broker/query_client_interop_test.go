package broker_test

import (
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/client"
)

// A message the official Go client sent with keys is found through
// Apogee's client: by key (over the topic's route), by the Go client's
// message id (UNIQ_KEY) and by its offset message id.
func TestInteropQueryWithApogeeClient(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("Query")
	ic.createTopic(topic, interopQueues)
	p := ic.producer()
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("find me")).WithKeys([]string{"order-42", "vip"}))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)

	adm := client.NewAdmin(ic.e, client.AdminConfig{NamesrvAddrs: []string{ic.ns.Addr()}, Logger: quiet})
	t.Cleanup(adm.Close)
	begin, end := time.Now().Add(-time.Hour).UnixMilli(), time.Now().Add(time.Hour).UnixMilli()
	var found *client.QueryResult
	eventually(t, func() (bool, string) {
		found, err = adm.QueryMessages(topic, "order-42", 32, begin, end)
		if err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	require.Len(t, found.Messages, 1)
	m := found.Messages[0]
	require.Equal(t, "find me", string(m.Body))
	require.Equal(t, res.MsgID, m.MsgID)
	require.Equal(t, res.OffsetMsgID, m.OffsetMsgID)
	require.Equal(t, []string{"order-42", "vip"}, m.Keys)

	byID, err := adm.MessageByUniqKey(topic, res.MsgID)
	require.NoError(t, err)
	require.Equal(t, m.CommitLogOffset, byID.CommitLogOffset)

	viewed, err := adm.ViewMessage(res.OffsetMsgID)
	require.NoError(t, err)
	require.Equal(t, "find me", string(viewed.Body))
	require.Equal(t, topic, viewed.Topic)

	_, err = adm.QueryMessages(topic, "order-43", 32, begin, end)
	require.ErrorIs(t, err, client.ErrNoMessage)
}
