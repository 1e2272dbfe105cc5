package remoting

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Route bodies a client reads from a name server (spec/remoting.md §3).

// QueueData is one broker's queues of a topic in a route.
type QueueData struct {
	BrokerName     string // "brokerName"
	ReadQueueNums  int32  // "readQueueNums": queue ids 0..n-1 consumers read
	WriteQueueNums int32  // "writeQueueNums": queue ids 0..n-1 producers write
	Perm           int32  // "perm": PermName bits (2 write, 4 read)
	TopicSysFlag   int32  // "topicSysFlag" (the Go client's "topicSynFlag" is read too)
}

// BrokerData is one broker group in a route: its addresses by broker id.
type BrokerData struct {
	Cluster     string           // "cluster"
	BrokerName  string           // "brokerName"
	BrokerAddrs map[int64]string // "brokerAddrs": broker id (0 = master) -> "host:port"; never nil after decoding
}

// TopicRouteData is GET_ROUTEINFO_BY_TOPIC's (ReqGetRouteInfoByTopic)
// response body. filterServerTable and 5.x's topicQueueMappingByBroker are
// not read.
type TopicRouteData struct {
	OrderTopicConf string       // "orderTopicConf": "broker:count" pairs joined by ";", or empty
	QueueDatas     []QueueData  // "queueDatas"
	BrokerDatas    []BrokerData // "brokerDatas"
}

// ClusterInfo is GET_BROKER_CLUSTER_INFO's (ReqGetBrokerClusterInfo)
// response body.
type ClusterInfo struct {
	BrokerAddrTable  map[string]BrokerData // "brokerAddrTable": broker name -> broker; never nil after decoding
	ClusterAddrTable map[string][]string   // "clusterAddrTable": cluster -> broker names; never nil after decoding
}

// MaxRouteEntries bounds the queue and broker entries of a route body and
// the brokers of a cluster info body. A large cluster has a few hundred
// broker groups; 65,536 leaves ample room while bounding the work of one
// body beyond its byte size.
const MaxRouteEntries = 1 << 16

// wireQueueData is QueueData as JSON.
type wireQueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	WriteQueueNums int32  `json:"writeQueueNums"`
	Perm           int32  `json:"perm"`
	TopicSysFlag   *int32 `json:"topicSysFlag"`
	TopicSynFlag   *int32 `json:"topicSynFlag"`
}

// wireBrokerData is BrokerData as JSON, with the address keys still text.
type wireBrokerData struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
}

// brokerData converts w, parsing the broker ids; what names w for errors.
func (w *wireBrokerData) brokerData(what string) (BrokerData, error) {
	b := BrokerData{Cluster: w.Cluster, BrokerName: w.BrokerName, BrokerAddrs: make(map[int64]string, len(w.BrokerAddrs))}
	for _, key := range slices.Sorted(maps.Keys(w.BrokerAddrs)) {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return BrokerData{}, fmt.Errorf("%w: %s: broker %q: brokerAddrs key %q is not a broker id", ErrBadBody, what, w.BrokerName, key)
		}
		b.BrokerAddrs[id] = w.BrokerAddrs[key]
	}
	return b, nil
}

// DecodeTopicRouteData reads a TopicRouteData in standard JSON or in
// fastjson's form with bare integer brokerAddrs keys. Errors wrap ErrBadBody.
func DecodeTopicRouteData(body []byte) (*TopicRouteData, error) {
	const what = "TopicRouteData"
	var w struct {
		OrderTopicConf string           `json:"orderTopicConf"`
		QueueDatas     []wireQueueData  `json:"queueDatas"`
		BrokerDatas    []wireBrokerData `json:"brokerDatas"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	if len(w.QueueDatas) > MaxRouteEntries || len(w.BrokerDatas) > MaxRouteEntries {
		return nil, fmt.Errorf("%w: %s: %d queue entries and %d brokers, more than %d", ErrBadBody, what,
			len(w.QueueDatas), len(w.BrokerDatas), MaxRouteEntries)
	}
	rd := &TopicRouteData{
		OrderTopicConf: w.OrderTopicConf,
		QueueDatas:     make([]QueueData, len(w.QueueDatas)),
		BrokerDatas:    make([]BrokerData, len(w.BrokerDatas)),
	}
	for i, q := range w.QueueDatas {
		rd.QueueDatas[i] = QueueData{
			BrokerName:     q.BrokerName,
			ReadQueueNums:  q.ReadQueueNums,
			WriteQueueNums: q.WriteQueueNums,
			Perm:           q.Perm,
		}
		switch {
		case q.TopicSysFlag != nil:
			rd.QueueDatas[i].TopicSysFlag = *q.TopicSysFlag
		case q.TopicSynFlag != nil:
			rd.QueueDatas[i].TopicSysFlag = *q.TopicSynFlag
		}
	}
	for i := range w.BrokerDatas {
		b, err := w.BrokerDatas[i].brokerData(what)
		if err != nil {
			return nil, err
		}
		rd.BrokerDatas[i] = b
	}
	return rd, nil
}

// DecodeClusterInfo reads a ClusterInfo in standard JSON or in fastjson's
// form with bare integer brokerAddrs keys. Errors wrap ErrBadBody.
func DecodeClusterInfo(body []byte) (*ClusterInfo, error) {
	const what = "ClusterInfo"
	var w struct {
		BrokerAddrTable  map[string]wireBrokerData `json:"brokerAddrTable"`
		ClusterAddrTable map[string][]string       `json:"clusterAddrTable"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	names := 0
	for _, brokers := range w.ClusterAddrTable {
		names += len(brokers)
	}
	if len(w.BrokerAddrTable) > MaxRouteEntries || names > MaxRouteEntries {
		return nil, fmt.Errorf("%w: %s: %d brokers and %d cluster members, more than %d", ErrBadBody, what,
			len(w.BrokerAddrTable), names, MaxRouteEntries)
	}
	ci := &ClusterInfo{
		BrokerAddrTable:  make(map[string]BrokerData, len(w.BrokerAddrTable)),
		ClusterAddrTable: make(map[string][]string, len(w.ClusterAddrTable)),
	}
	for _, name := range slices.Sorted(maps.Keys(w.BrokerAddrTable)) {
		wb := w.BrokerAddrTable[name]
		b, err := wb.brokerData(what)
		if err != nil {
			return nil, err
		}
		ci.BrokerAddrTable[name] = b
	}
	for cluster, brokers := range w.ClusterAddrTable {
		if brokers == nil {
			brokers = []string{}
		}
		ci.ClusterAddrTable[cluster] = brokers
	}
	return ci, nil
}
