package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/env"
)

// startBroker starts a broker on loopback with no name server.
func startBroker(t *testing.T, role broker.Role, id int64) *broker.Broker {
	t.Helper()
	cfg := broker.DefaultConfig(t.TempDir())
	cfg.Role, cfg.BrokerID = role, id
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 64
	cfg.Store.IndexMaxEntries = 256
	b, err := broker.New(env.Real(), cfg)
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() { b.Close() })
	return b
}

func TestUpdateBrokerConfigPromotesASlave(t *testing.T) {
	b := startBroker(t, broker.RoleSlave, 1)
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"updateBrokerConfig", "-b", b.Addr(), "-k", "brokerRole", "-v", "SYNC_MASTER"}, &out, &errOut, nil))
	require.Equal(t, "update broker config success, "+b.Addr()+": promoted to SYNC_MASTER\n", out.String())
	require.Equal(t, broker.RoleSyncMaster, b.Role())
	require.Equal(t, int64(0), b.Config().BrokerID)

	out.Reset()
	require.NoError(t, run([]string{"getBrokerEpoch", "-b", b.Addr()}, &out, &errOut, nil))
	require.Contains(t, out.String(), `"epochList":[{"endOffset":0,"epoch":1,"startOffset":0}]`)
	require.Empty(t, errOut.String())
}

func TestUpdateBrokerConfigRefused(t *testing.T) {
	b := startBroker(t, broker.RoleAsyncMaster, 0)
	var out, errOut bytes.Buffer
	err := run([]string{"updateBrokerConfig", "-b", b.Addr(), "-k", "flushDiskType", "-v", "SYNC_FLUSH"}, &out, &errOut, nil)
	require.ErrorContains(t, err, "INVALID_PARAMETER")
	require.ErrorContains(t, err, "flushDiskType cannot change at run time")
	require.Empty(t, out.String())
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"promote"},
		{"updateBrokerConfig", "-k", "brokerRole", "-v", "SYNC_MASTER"},
		{"updateBrokerConfig", "-b", "127.0.0.1:1"},
		{"getBrokerEpoch", "-b", "127.0.0.1:1", "extra"},
		{"getBrokerEpoch", "-x"},
	} {
		var out, errOut bytes.Buffer
		err := run(args, &out, &errOut, nil)
		var usage cmdutil.UsageError
		require.ErrorAs(t, err, &usage, "%q", args)
		require.NotEmpty(t, errOut.String())
	}
}
