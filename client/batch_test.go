package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

func TestSendBatchEncodesEachMessage(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	p := r.producer(nil)
	big := bytes.Repeat([]byte("z"), 2*DefaultCompressOverBytes)
	msgs := []*Message{
		{Topic: "T", Tags: "A", Body: []byte("one"), Flag: 1},
		{Topic: "T", Keys: []string{"k"}, Body: big, Properties: map[string]string{"p": "v"}},
	}
	res, err := await(r, func(cb func(SendResult, error)) { p.SendBatchAsync(msgs, cb) })
	require.NoError(t, err)
	require.Len(t, a.sent(), 1)
	req := a.sent()[0]
	require.Equal(t, remoting.ReqSendBatchMessage, req.Code)
	assert.Contains(t, req.ExtFields, "a", "one-letter V2 keys")
	h := sendHeader(t, req)
	assert.True(t, h.Batch)
	assert.Empty(t, h.Properties)
	assert.Zero(t, h.SysFlag, "batches are never compressed")
	assert.Equal(t, res.Queue.QueueID, h.QueueID)

	entries, err := remoting.DecodeBatch(req.Body)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	ids := strings.Split(res.MsgID, ",")
	require.Len(t, ids, 2)
	assert.NotEqual(t, ids[0], ids[1])
	assert.EqualValues(t, 1, entries[0].Flag)
	assert.Equal(t, "one", string(entries[0].Body))
	assert.Equal(t, map[string]string{"TAGS": "A", "UNIQ_KEY": ids[0]}, commitlog.ParseProperties(entries[0].Properties))
	assert.Equal(t, big, entries[1].Body)
	assert.Equal(t, map[string]string{"p": "v", "KEYS": "k", "UNIQ_KEY": ids[1]}, commitlog.ParseProperties(entries[1].Properties))
}

func TestSendBatchChecks(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	p := r.producer(func(c *ProducerConfig) { c.MaxMessageBytes = 100 })
	for _, tc := range []struct {
		name string
		msgs []*Message
		want error
	}{
		{"empty", nil, ErrInvalidMessage},
		{"two topics", []*Message{msg("T", "x"), msg("U", "x")}, ErrInvalidMessage},
		{"bad message", []*Message{msg("T", "x"), msg("T", "")}, ErrInvalidMessage},
		{"too large", []*Message{msg("T", strings.Repeat("x", 60)), msg("T", strings.Repeat("x", 60))}, ErrMessageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := await(r, func(cb func(SendResult, error)) { p.SendBatchAsync(tc.msgs, cb) })
			require.ErrorIs(t, err, tc.want)
		})
	}
	assert.Empty(t, a.sent())
}
