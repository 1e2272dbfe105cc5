package client

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Against our broker: a message sent with keys is found by each key, by its
// message id and by its offset message id.
func TestQueryEndToEnd(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "E2EQuery"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic, ReadQueueNums: 2, WriteQueueNums: 2}))
	c.waitForRoute(topic)
	p := c.producer()
	first, err := p.Send(&Message{Topic: topic, Keys: []string{"order-1", "customer-7"}, Body: []byte("first")})
	require.NoError(t, err)
	second, err := p.Send(&Message{Topic: topic, Keys: []string{"order-2", "customer-7"}, Body: []byte("second")})
	require.NoError(t, err)
	begin, end := time.Now().Add(-time.Hour).UnixMilli(), time.Now().Add(time.Hour).UnixMilli()

	var res *QueryResult
	require.Eventually(t, func() bool {
		res, err = c.admin.QueryMessages(topic, "customer-7", 32, begin, end)
		return err == nil && len(res.Messages) == 2
	}, waitFor, 5*time.Millisecond, "both messages are indexed: %v", err)
	require.Equal(t, "second", string(res.Messages[0].Body), "newest first")
	require.Equal(t, "first", string(res.Messages[1].Body))
	require.Positive(t, res.IndexLastUpdateTimestampMs)

	res, err = c.admin.QueryMessages(topic, "order-1", 32, begin, end)
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	require.Equal(t, first.MsgID, res.Messages[0].MsgID)
	require.Equal(t, first.OffsetMsgID, res.Messages[0].OffsetMsgID)

	_, err = c.admin.QueryMessages(topic, "order-1", 32, begin, begin+1)
	require.ErrorIs(t, err, ErrNoMessage, "outside the time range")

	m, err := c.admin.MessageByUniqKey(topic, second.MsgID)
	require.NoError(t, err)
	require.Equal(t, "second", string(m.Body))
	require.Equal(t, []string{"order-2", "customer-7"}, m.Keys)

	m, err = c.admin.ViewMessage(first.OffsetMsgID)
	require.NoError(t, err)
	require.Equal(t, "first", string(m.Body))
	require.Equal(t, first.MsgID, m.MsgID)

	_, err = c.admin.MessageByUniqKey(topic, "7F0000010F2A18B4AAC2575FDE27FFFF")
	require.True(t, errors.Is(err, ErrNoMessage), err)
}
