package namesrv

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse drives every kind of call from several goroutines, as
// the real network does; run with -race. The invariants must hold at the
// end and every route rendered meanwhile must be one of the forms a
// registration could produce.
func TestConcurrentUse(t *testing.T) {
	r, clock := newTestRegistry(t)
	const brokers, rounds = 4, 200
	var wg sync.WaitGroup
	for b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("broker-%d", b)
			for i := range rounds {
				br := reg("c", name, 0, fmt.Sprintf("h:%d", b+1), body(int64(i), topicsOf("Shared", name+"-own")...))
				br.ConnID = uint64(b + 1)
				_, err := r.RegisterBroker(br)
				assert.NoError(t, err)
				switch i % 50 {
				case 10:
					r.UnregisterBroker("c", br.BrokerAddr, name, 0)
				case 20:
					r.ConnectionClosed(br.ConnID)
				case 30:
					r.WipeWritePerm(name)
				case 40:
					r.DeleteTopic(name+"-own", "")
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 0, 1024)
		for range rounds * brokers {
			var found bool
			buf, found = r.AppendRouteJSON(buf[:0], "Shared", "")
			if found {
				assert.Contains(t, string(buf), `"filterServerTable":{}}`)
			}
			r.ClusterInfo()
			r.AppendClusterInfoJSON(nil)
			r.TopicsByCluster("c")
			r.ScanNotActiveBrokers(clock.Now().Add(time.Duration(len(buf)) * time.Second))
		}
	}()
	wg.Wait()
	require.NoError(t, r.checkInvariants())
}
