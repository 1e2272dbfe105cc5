package namesrv

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// Route lookup benchmark shape: 1,000 topics, each on all 10 brokers of a
// cluster (a master and a slave each), so that every route carries ten
// queue data and ten broker entries of two addresses.
const (
	benchTopics  = 1000
	benchBrokers = 10
	// benchBaselineMaxOps caps the baseline's iterations: its rate settles
	// within a fraction of a second, and running it b.N times would double
	// the benchmark's time on a shared machine.
	benchBaselineMaxOps = 50_000
)

// Mirror types of the route JSON for the baseline: encoding/json writes
// struct fields in declaration order and map keys sorted, which gives the
// same bytes as AppendRouteJSON.
type benchQueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	WriteQueueNums int32  `json:"writeQueueNums"`
	Perm           int32  `json:"perm"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
}

type benchBrokerData struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
}

type benchRoute struct {
	QueueDatas        []benchQueueData    `json:"queueDatas"`
	BrokerDatas       []benchBrokerData   `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
}

func benchRegistry(b *testing.B) (*Registry, []string) {
	b.Helper()
	r := NewRegistry(newManualClock(), 0)
	topics := make([]TopicConfig, benchTopics)
	for i := range topics {
		topics[i] = TopicConfig{TopicName: fmt.Sprintf("BenchTopic-%04d", i), ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6}
	}
	for i := range benchBrokers {
		name := fmt.Sprintf("broker-%02d", i)
		for id := range int64(2) {
			addr := fmt.Sprintf("10.0.%d.%d:10911", i, id+1)
			if _, err := r.RegisterBroker(reg("BenchCluster", name, id, addr, body(1, topics...))); err != nil {
				b.Fatal(err)
			}
		}
	}
	return r, r.Topics()
}

// prebuilt returns the baseline's struct for topic, built from the
// registry's typed copy outside the timed loop.
func prebuilt(r *Registry, topic string) benchRoute {
	route, _ := r.Route(topic)
	out := benchRoute{FilterServerTable: map[string][]string{}}
	for _, qd := range route.QueueDatas {
		out.QueueDatas = append(out.QueueDatas, benchQueueData(qd))
	}
	for _, bd := range route.BrokerDatas {
		addrs := map[string]string{}
		for id, a := range bd.Addrs {
			addrs[strconv.FormatInt(id, 10)] = a
		}
		out.BrokerDatas = append(out.BrokerDatas, benchBrokerData{Cluster: bd.Cluster, BrokerName: bd.BrokerName, BrokerAddrs: addrs})
	}
	return out
}

// BenchmarkRouteLookup measures the GET_ROUTEINFO_BY_TOPIC rendering
// (Registry.AppendRouteJSON under the read lock, into a reused buffer), and
// in the same run the baseline: json.Marshal of an equivalent struct built
// beforehand, which does no lookup at all. It reports ops/s for both and
// x-baseline, our rate over the baseline's.
func BenchmarkRouteLookup(b *testing.B) {
	r, topics := benchRegistry(b)
	structs := make([]benchRoute, len(topics))
	for i, topic := range topics {
		structs[i] = prebuilt(r, topic)
	}
	want, _ := r.AppendRouteJSON(nil, topics[0], "")
	got, err := json.Marshal(&structs[0])
	if err != nil || string(got) != string(want) {
		b.Fatalf("the baseline renders different bytes (%v):\n%s\n%s", err, got, want)
	}

	b.StopTimer()
	baselineOps := min(b.N, benchBaselineMaxOps)
	start := time.Now()
	for i := range baselineOps {
		if _, err := json.Marshal(&structs[i%len(structs)]); err != nil {
			b.Fatal(err)
		}
	}
	baseline := float64(baselineOps) / time.Since(start).Seconds()

	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	b.StartTimer()
	for i := range b.N {
		var found bool
		buf, found = r.AppendRouteJSON(buf[:0], topics[i%len(topics)], "")
		if !found {
			b.Fatal("route not found")
		}
	}
	b.StopTimer()
	ours := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(ours, "ops/s")
	b.ReportMetric(baseline, "baseline-ops/s")
	b.ReportMetric(ours/baseline, "x-baseline")
}
