package broker_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// Every stored message carries the broker's cluster name in CLUSTER, as
// RocketMQ's broker sets it, replacing one the producer sent; the other
// properties stay as sent.
func TestSendSetsTheClusterProperty(t *testing.T) {
	c := startCluster(t, nil)
	cluster := c.broker.Config().ClusterName
	props := map[string]string{"TAGS": "T", "CLUSTER": "NotOurs", "KEYS": "k"}

	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Clustered", 0, props).ToExtFields(), []byte("single"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	var body []byte
	for i := range 3 {
		body = remoting.AppendBatchEntry(body, int32(i), []byte(fmt.Sprintf("batched-%d", i)), commitlog.EncodeProperties(props))
	}
	h := sendHeader("Clustered", 0, nil)
	h.Batch = true
	resp = c.invoke(remoting.ReqSendBatchMessage, h.ToExtFieldsV2(), body)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	resp = c.invoke(remoting.ReqPullMessage, pullHeader("cg", "Clustered", 0, 0, "*").ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	recs := decodeRecords(t, resp.Body)
	require.Len(t, recs, 4)
	for _, r := range recs {
		got := commitlog.ParseProperties(r.Properties)
		require.Equal(t, map[string]string{"TAGS": "T", "CLUSTER": cluster, "KEYS": "k"}, got, "%s", r.Body)
		require.Equal(t, 1, bytes.Count(r.Properties, []byte("CLUSTER\x01")), "%s: one CLUSTER pair", r.Body)
	}
}
