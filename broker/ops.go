package broker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// brokerVersion is the MQVersion Apogee answers as (V4_9_4's ordinal, the
// 4.x release whose protocol it speaks).
const (
	brokerVersion     = 401
	brokerVersionDesc = "V4_9_4"
)

// stats counts what the broker served since it started.
type stats struct {
	bootMs   int64
	putTotal atomic.Int64
	getTotal atomic.Int64
}

// runtimeInfo serves GET_BROKER_RUNTIME_INFO: the broker's state as named
// text values (a subset of RocketMQ's table, same names).
func (b *Broker) runtimeInfo(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	now := b.env.Clock.Now().UnixMilli()
	st := b.store
	up := time.Duration(now-b.stats.bootMs) * time.Millisecond
	t := map[string]string{
		"brokerVersion":            strconv.Itoa(brokerVersion),
		"brokerVersionDesc":        brokerVersionDesc,
		"bootTimestamp":            strconv.FormatInt(b.stats.bootMs, 10),
		"runtime":                  formatRuntime(up),
		"msgPutTotalTodayNow":      strconv.FormatInt(b.stats.putTotal.Load(), 10),
		"msgGetTotalTodayNow":      strconv.FormatInt(b.stats.getTotal.Load(), 10),
		"commitLogMinOffset":       strconv.FormatInt(st.CommitLogMinOffset(), 10),
		"commitLogMaxOffset":       strconv.FormatInt(st.CommitLogMaxOffset(), 10),
		"commitLogFlushedOffset":   strconv.FormatInt(st.CommitLogFlushedOffset(), 10),
		"dispatchBehindBytes":      strconv.FormatInt(st.CommitLogMaxOffset()-st.DispatchedOffset(), 10),
		"brokerRole":               string(b.role()),
		"brokerName":               b.cfg.BrokerName,
		"brokerId":                 strconv.FormatInt(b.brokerID(), 10),
		"clusterName":              b.cfg.ClusterName,
		"diskFull":                 strconv.FormatBool(st.DiskFull()),
		"pullHeldCount":            strconv.Itoa(b.holds.size()),
		"earliestMessageTimeStamp": "0",
	}
	if u, err := b.env.FS.Usage(b.cfg.Store.RootDir); err == nil {
		t["commitLogDiskRatio"] = strconv.FormatFloat(u.UsedRatio(), 'f', 4, 64)
	}
	b.scheduleRuntimeInfo(t)
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendKVTableJSON(nil, &remoting.KVTable{Table: t})
	reply(resp)
}

// scheduleRuntimeInfo adds the delivery progress of each delay level as
// RocketMQ's ScheduleMessageService.buildRunningStats reports it:
// scheduleMessageOffset_<level> = "<progress offset>,<max offset>" of the
// level's SCHEDULE_TOPIC_XXXX queue. RocketMQ lists the levels its offset
// table holds (those delivered to since the file was first written);
// Apogee lists every configured level.
func (b *Broker) scheduleRuntimeInfo(t map[string]string) {
	for i, offset := range b.delay.levels.offsets() {
		maxOffset := b.store.MaxOffsetInQueue(store.ScheduleTopic, int32(i))
		t["scheduleMessageOffset_"+strconv.Itoa(i+1)] = strconv.FormatInt(offset, 10) + "," + strconv.FormatInt(maxOffset, 10)
	}
}

// formatRuntime writes an uptime as RocketMQ does.
func formatRuntime(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", s/86400, s%86400/3600, s%3600/60, s%60)
}

// topicStats serves GET_TOPIC_STATS_INFO: each queue's min and max offsets
// and the store time of its last message.
func (b *Broker) topicStats(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetTopicStatsInfoRequestHeader)
	if !ok {
		return
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResTopicNotExist, fmt.Sprintf("topic[%s] not exist", h.Topic)))
		return
	}
	table := remoting.TopicStatsTable{OffsetTable: map[remoting.MessageQueue]remoting.TopicOffset{}}
	for q := int32(0); q < tc.WriteQueueNums; q++ {
		mq := remoting.MessageQueue{Topic: h.Topic, BrokerName: b.cfg.BrokerName, QueueID: q}
		o := remoting.TopicOffset{MinOffset: b.store.MinOffsetInQueue(h.Topic, q), MaxOffset: b.store.MaxOffsetInQueue(h.Topic, q)}
		if o.MaxOffset > 0 {
			if ts, ok := b.store.MessageStoreTime(h.Topic, q, o.MaxOffset-1); ok {
				o.LastUpdateTimestamp = ts
			}
		}
		table.OffsetTable[mq] = o
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendTopicStatsTableJSON(nil, &table)
	reply(resp)
}

// consumeStats serves GET_CONSUME_STATS: for each queue of the group's
// topics (or of the one asked), the broker's max offset and the group's
// committed one.
func (b *Broker) consumeStats(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetConsumeStatsRequestHeader)
	if !ok {
		return
	}
	topics := b.offsets.topicsOfGroup(h.ConsumerGroup)
	if snap, ok := b.clients.snapshot(h.ConsumerGroup); ok {
		for _, s := range snap.subs {
			topics = append(topics, s.topic)
		}
	}
	if h.Topic != "" {
		topics = []string{h.Topic}
	}
	sort.Strings(topics)
	stats := remoting.ConsumeStats{OffsetTable: map[remoting.MessageQueue]remoting.OffsetWrapper{}}
	for i, topic := range topics {
		if i > 0 && topics[i-1] == topic {
			continue
		}
		tc, ok := b.topics.get(topic)
		if !ok {
			continue
		}
		committed := b.offsets.groupOffsets(h.ConsumerGroup, topic)
		for q := int32(0); q < tc.ReadQueueNums; q++ {
			w := remoting.OffsetWrapper{BrokerOffset: b.store.MaxOffsetInQueue(topic, q), ConsumerOffset: committed[q]}
			if w.ConsumerOffset > 0 {
				if ts, ok := b.store.MessageStoreTime(topic, q, w.ConsumerOffset-1); ok {
					w.LastTimestamp = ts
				}
			}
			stats.OffsetTable[remoting.MessageQueue{Topic: topic, BrokerName: b.cfg.BrokerName, QueueID: q}] = w
		}
	}
	if len(stats.OffsetTable) == 0 {
		reply(remoting.NewResponse(req, remoting.ResConsumerNotOnline, fmt.Sprintf("the consumer group [%s] has no subscription or offsets here", h.ConsumerGroup)))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendConsumeStatsJSON(nil, &stats)
	reply(resp)
}

// consumerConnections serves GET_CONSUMER_CONNECTION_LIST.
func (b *Broker) consumerConnections(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetConsumerConnectionListRequestHeader)
	if !ok {
		return
	}
	snap, ok := b.clients.snapshot(h.ConsumerGroup)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResConsumerNotOnline, fmt.Sprintf("the consumer group[%s] not online", h.ConsumerGroup)))
		return
	}
	cc := remoting.ConsumerConnection{
		SubscriptionTable: map[string]remoting.SubscriptionData{},
		ConsumeType:       snap.consumeType,
		MessageModel:      snap.messageModel,
		ConsumeFromWhere:  snap.consumeFromWhere,
	}
	for _, ch := range snap.channels {
		cc.ConnectionSet = append(cc.ConnectionSet, remoting.Connection{
			ClientID: ch.clientID, ClientAddr: ch.peer.RemoteAddr(), Language: ch.language, Version: ch.version})
	}
	for _, s := range snap.subs {
		sd := remoting.SubscriptionData{Topic: s.topic, SubString: s.subString, ExpressionType: s.expressionType, SubVersion: s.subVersion}
		for t := range s.tags {
			sd.TagsSet = append(sd.TagsSet, t)
		}
		sort.Strings(sd.TagsSet)
		for c := range s.codes {
			sd.CodeSet = append(sd.CodeSet, int32(c))
		}
		sort.Slice(sd.CodeSet, func(i, j int) bool { return sd.CodeSet[i] < sd.CodeSet[j] })
		cc.SubscriptionTable[s.topic] = sd
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendConsumerConnectionJSON(nil, &cc)
	reply(resp)
}

// brokerConfig serves GET_BROKER_CONFIG: the effective settings as Java
// properties text, with the topic table's data version in the header.
func (b *Broker) brokerConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	props := b.Config().Properties()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(props[k])
		sb.WriteByte('\n')
	}
	_, dv := b.topics.all()
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = map[string]string{"version": fmt.Sprintf(`{"counter":%d,"stateVersion":%d,"timestamp":%d}`, dv.Counter, dv.StateVersion, dv.TimestampMs)}
	resp.Body = []byte(sb.String())
	reply(resp)
}
