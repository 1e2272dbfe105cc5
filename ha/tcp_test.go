package ha

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

// tcpTimeout bounds every wait of the real-network test.
const tcpTimeout = 20 * time.Second

// Replication over real TCP on 127.0.0.1 with real files and the wall
// clock: SYNC_MASTER puts from several goroutines, every one acknowledged,
// and a byte-identical slave.
func TestReplicationOverTCP(t *testing.T) {
	open := func() *store.Store {
		cfg := storeConfig(commitlog.FlushAsync)
		cfg.RootDir = t.TempDir()
		cfg.CommitLog.SegmentSizeBytes = 64 * 1024
		st, err := store.Open(env.Real(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	master, slave := open(), open()
	server, err := NewServer(env.Real(), master, ServerConfig{ListenAddr: "127.0.0.1:0", SyncMaster: true, Logger: testLogger(t)})
	require.NoError(t, err)
	require.NoError(t, server.Start())
	t.Cleanup(func() { server.Close() })
	master.SetReplicator(server)
	client := NewClient(env.Real(), slave, ClientConfig{MasterAddr: server.Addr(), Logger: testLogger(t)})
	client.Start()
	t.Cleanup(client.Close)
	require.Eventually(t, func() bool { return server.AckedOffset() >= 0 }, tcpTimeout, time.Millisecond, "the slave reported")

	const producers, perProducer = 4, 100
	results := make(chan store.PutResult, producers*perProducer)
	for p := range producers {
		go func() {
			for i := range perProducer {
				done := make(chan struct{})
				master.Put(message("TopicA", int32(p), fmt.Sprintf("p%d-%d|", p, i)), func(r store.PutResult) {
					results <- r
					close(done)
				})
				<-done // a producer waits for its answer, as a synchronous send does
			}
		}()
	}
	deadline := time.After(tcpTimeout)
	for range producers * perProducer {
		select {
		case r := <-results:
			require.Equal(t, store.PutOK, r.Status, "%v", r.Err)
		case <-deadline:
			t.Fatal("puts not acknowledged in time")
		}
	}

	end := master.CommitLogMaxOffset()
	require.Greater(t, end, int64(4*64*1024), "several segments")
	require.Eventually(t, func() bool { return slave.DispatchedOffset() >= end }, tcpTimeout, time.Millisecond)
	require.True(t, bytes.Equal(logBytes(t, master, 0, end), logBytes(t, slave, 0, end)))
	require.NoError(t, slave.CheckConsistency())
	for q := range int32(producers) {
		require.Equal(t, int64(perProducer), slave.MaxOffsetInQueue("TopicA", q))
	}
	require.True(t, client.State().Connected)
	require.Equal(t, 1, client.State().Connects)
}
