package broker

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// msgRegion is the MSG_REGION a send answer carries (RocketMQ's default
// region id).
const msgRegion = "DefaultRegion"

// propertyCluster is the property RocketMQ's broker sets on every message it
// stores, single or batched: the broker's cluster name
// (MessageConst.PROPERTY_CLUSTER). Request-reply consumers read it to
// address their reply; the Go client's CreateReplyMessage refuses a message
// without it.
const propertyCluster = commitlog.PropertyCluster

// send serves SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
func (b *Broker) send(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, err := remoting.DecodeSendMessageRequestHeaderFor(req.Code, req.ExtFields)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	batch := req.Code == remoting.ReqSendBatchMessage
	tc, code, remark := b.checkSend(p, &h, req.Body, batch)
	if code != remoting.ResSuccess {
		reply(remoting.NewResponse(req, code, remark))
		return
	}
	queueID := h.QueueID
	if queueID < 0 {
		queueID = int32(b.env.Rand.Intn(int(tc.WriteQueueNums)))
	}
	born := bornHost(p.RemoteAddr())
	var storeHost netip.AddrPort // zero: the store's configured host
	if hp := b.host.Load(); hp != nil {
		storeHost = *hp
	}
	done := func(r store.PutResult) {
		if r.Status.Stored() {
			b.stats.putTotal.Add(int64(r.MsgCount))
		}
		reply(b.sendResponse(req, queueID, r))
	}
	if !batch {
		m := commitlog.Message{
			Topic:           h.Topic,
			QueueID:         queueID,
			Flag:            h.Flag,
			SysFlag:         h.SysFlag,
			BornTimestampMs: h.BornTimestamp,
			BornHost:        born,
			StoreHost:       storeHost,
			ReconsumeTimes:  h.ReconsumeTimes,
			Body:            req.Body,
			Properties: appendWithCluster(make([]byte, 0, withClusterSize(len(h.Properties), b.cfg.ClusterName)),
				h.Properties, b.cfg.ClusterName),
		}
		b.prepareForStore(&m)
		if m.Topic == TransHalfTopic {
			// done calls reply: the answer to a half message names its
			// transaction.
			reply = withTransactionID(reply, &m)
		}
		b.store.Put(&m, done)
		return
	}
	entries, err := remoting.DecodeBatch(req.Body)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResMessageIllegal, err.Error()))
		return
	}
	msgs := make([]commitlog.Message, len(entries))
	propsBytes := 0
	for _, e := range entries {
		propsBytes += withClusterSize(len(e.Properties), b.cfg.ClusterName)
	}
	// One buffer holds every message's properties with the cluster set.
	props := make([]byte, 0, propsBytes)
	for i, e := range entries {
		if len(e.Body) > b.cfg.MaxMessageSize {
			reply(remoting.NewResponse(req, remoting.ResMessageIllegal,
				fmt.Sprintf("message %d of the batch: body size %d over the maximum %d", i, len(e.Body), b.cfg.MaxMessageSize)))
			return
		}
		if name, ok := b.laterDelivery(e.Properties); ok {
			// RocketMQ's Java producer refuses these before sending
			// ("TimeDelayLevel is not supported for batching"); the Go
			// client does not, and the delay would be ignored.
			reply(remoting.NewResponse(req, remoting.ResMessageIllegal,
				fmt.Sprintf("message %d of the batch carries %s: a batch of messages cannot be delayed", i, name)))
			return
		}
		msgs[i] = commitlog.Message{
			Topic:           h.Topic,
			QueueID:         queueID,
			Flag:            e.Flag,
			SysFlag:         h.SysFlag &^ commitlog.SysFlagCompressed,
			BornTimestampMs: h.BornTimestamp,
			BornHost:        born,
			StoreHost:       storeHost,
			ReconsumeTimes:  h.ReconsumeTimes,
			Body:            e.Body,
		}
		start := len(props)
		props = appendWithCluster(props, e.Properties, b.cfg.ClusterName)
		msgs[i].Properties = props[start:len(props):len(props)]
	}
	b.store.PutBatch(msgs, done)
}

// checkSend validates a send as RocketMQ's msgCheck does and finds (or
// creates) the topic. A code other than SUCCESS is the answer.
func (b *Broker) checkSend(p remoting.Peer, h *remoting.SendMessageRequestHeader, body []byte, batch bool) (configfile.TopicConfig, int32, string) {
	var tc configfile.TopicConfig
	if b.isSlave() {
		return tc, remoting.ResServiceNotAvailable, "the broker is a slave and does not accept messages"
	}
	if b.cfg.BrokerPermission&configfile.PermWrite == 0 {
		return tc, remoting.ResNoPermission, fmt.Sprintf("the broker[%s] sending message is forbidden", b.cfg.BrokerName)
	}
	if err := ValidateTopic(h.Topic); err != nil {
		return tc, remoting.ResSystemError, err.Error()
	}
	if notAllowedSendTopics[h.Topic] {
		return tc, remoting.ResNoPermission, fmt.Sprintf("sending message to topic[%s] is forbidden", h.Topic)
	}
	if h.Topic == DefaultTopic {
		return tc, remoting.ResSystemError, fmt.Sprintf("the topic[%s] is conflict with the default topic", h.Topic)
	}
	if !batch && len(body) > b.cfg.MaxMessageSize {
		return tc, remoting.ResMessageIllegal, fmt.Sprintf("the message body size %d is over the maximum %d", len(body), b.cfg.MaxMessageSize)
	}
	if batch && len(body) > b.cfg.MaxMessageSize {
		return tc, remoting.ResMessageIllegal, fmt.Sprintf("the batch size %d is over the maximum %d", len(body), b.cfg.MaxMessageSize)
	}
	if batch && commitlog.TransactionType(h.SysFlag) != commitlog.SysFlagTransactionNone {
		// As RocketMQ's CommitLog refuses it: a batch is not parked.
		return tc, remoting.ResMessageIllegal, "a batch of messages cannot be transactional"
	}
	if batch {
		if code, remark := b.checkBatchTarget(h); code != remoting.ResSuccess {
			return tc, code, remark
		}
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		var code int32
		var remark string
		tc, code, remark = b.autoCreateTopic(p, h)
		if code != remoting.ResSuccess {
			return tc, code, remark
		}
	}
	if tc.Perm&configfile.PermWrite == 0 {
		return tc, remoting.ResNoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", h.Topic)
	}
	if h.QueueID >= max(tc.WriteQueueNums, tc.ReadQueueNums) {
		return tc, remoting.ResSystemError, fmt.Sprintf("request queueId[%d] is illegal, topic[%s] has %d write queues, producer[%s]",
			h.QueueID, h.Topic, tc.WriteQueueNums, p.RemoteAddr())
	}
	if tc.WriteQueueNums <= 0 {
		return tc, remoting.ResNoPermission, fmt.Sprintf("the topic[%s] has no write queue", h.Topic)
	}
	if !batch && isRetryTopic(h.Topic) {
		// A consumer's resend of a message it failed to consume.
		return b.retrySendTarget(h, tc)
	}
	return tc, remoting.ResSuccess, ""
}

// checkBatchTarget refuses, with MESSAGE_ILLEGAL, the batches RocketMQ's
// broker refuses: one to a retry topic (RocketMQ 5's sendBatchMessage: a
// resend goes one message at a time, through the dead-letter check), and
// one whose properties ask for a later delivery (CommitLog.asyncPutMessages
// checks the batch's DELAY; Apogee also the timer properties, since a
// batch is never parked and its messages would come at once).
func (b *Broker) checkBatchTarget(h *remoting.SendMessageRequestHeader) (int32, string) {
	if isRetryTopic(h.Topic) {
		return remoting.ResMessageIllegal, fmt.Sprintf("batch request does not support retry group %s", h.Topic)
	}
	if h.Properties == "" {
		return remoting.ResSuccess, ""
	}
	if name, ok := b.laterDelivery([]byte(h.Properties)); ok {
		return remoting.ResMessageIllegal, fmt.Sprintf("a batch of messages cannot be delayed: the batch carries %s", name)
	}
	return remoting.ResSuccess, ""
}

// autoCreateTopic creates an unknown topic on its first send: a retry topic
// always (one queue), another when the default topic it names allows it
// (INHERIT permission, autoCreateTopicEnable).
func (b *Broker) autoCreateTopic(p remoting.Peer, h *remoting.SendMessageRequestHeader) (configfile.TopicConfig, int32, string) {
	notExist := fmt.Sprintf("topic[%s] not exist, apply first please!", h.Topic)
	var tc configfile.TopicConfig
	switch {
	case isRetryTopic(h.Topic):
		tc = configfile.NewTopicConfig(h.Topic)
		tc.ReadQueueNums, tc.WriteQueueNums = 1, 1
		tc.Perm = configfile.PermRead | configfile.PermWrite
	default:
		def, ok := b.topics.get(h.DefaultTopic)
		if !ok || h.DefaultTopic == "" {
			def, ok = b.topics.get(DefaultTopic)
		}
		if !ok || !b.cfg.AutoCreateTopicEnable || def.Perm&configfile.PermInherit == 0 {
			return tc, remoting.ResTopicNotExist, notExist
		}
		queues := def.WriteQueueNums
		if h.DefaultTopicQueueNums > 0 && h.DefaultTopicQueueNums < queues {
			queues = h.DefaultTopicQueueNums
		}
		if queues <= 0 {
			return tc, remoting.ResTopicNotExist, notExist
		}
		tc = configfile.NewTopicConfig(h.Topic)
		tc.ReadQueueNums, tc.WriteQueueNums = queues, queues
		tc.Perm = def.Perm &^ configfile.PermInherit
		tc.TopicSysFlag = 0
	}
	got, created, err := b.topics.createIfAbsent(tc)
	if err != nil {
		return tc, remoting.ResSystemError, err.Error()
	}
	if created {
		b.log.Info("broker: topic created on first send", "topic", got.TopicName, "queues", got.WriteQueueNums, "producer", p.RemoteAddr())
		b.registerSoon()
	}
	return got, remoting.ResSuccess, ""
}

func isRetryTopic(topic string) bool {
	return len(topic) > len(RetryGroupPrefix) && topic[:len(RetryGroupPrefix)] == RetryGroupPrefix
}

// sendResponse maps a put outcome to the send answer.
func (b *Broker) sendResponse(req *remoting.Command, queueID int32, r store.PutResult) *remoting.Command {
	var code int32
	remark := ""
	switch r.Status {
	case store.PutOK:
		code = remoting.ResSuccess
	case store.PutFlushDiskTimeout:
		code = remoting.ResFlushDiskTimeout
	case store.PutFlushSlaveTimeout:
		code = remoting.ResFlushSlaveTimeout
	case store.PutSlaveNotAvailable:
		code = remoting.ResSlaveNotAvailable
	case store.PutServiceNotAvailable:
		code, remark = remoting.ResServiceNotAvailable, "service not available now, maybe the disk is full or the broker is shutting down"
	case store.PutMessageIllegal, store.PutPropertiesSizeExceeded:
		code, remark = remoting.ResMessageIllegal, "the message is illegal: body or properties over their size limits"
	case store.PutOSPageCacheBusy:
		code, remark = remoting.ResSystemBusy, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"
	default:
		code, remark = remoting.ResSystemError, "create mapped file failed, the server is busy or broken"
	}
	if r.Err != nil && remark != "" {
		remark += ": " + r.Err.Error()
	} else if r.Err != nil && code != remoting.ResSuccess {
		remark = r.Err.Error()
	}
	resp := remoting.NewResponse(req, code, remark)
	if r.Status.Stored() {
		resp.ExtFields = remoting.SendMessageResponseHeader{
			MsgID:       r.MsgID,
			QueueID:     queueID,
			QueueOffset: r.QueueOffset,
			MsgRegion:   msgRegion,
			TraceOn:     "true",
		}.ToExtFields()
	}
	return resp
}

// withClusterSize bounds what appendWithCluster appends for properties of
// propsBytes bytes: those bytes, a separator the last pair may lack, and the
// CLUSTER pair.
func withClusterSize(propsBytes int, cluster string) int {
	return propsBytes + 1 + len(propertyCluster) + 1 + len(cluster) + 1
}

// appendWithCluster appends encoded properties to dst with the CLUSTER
// property set to cluster, as RocketMQ's broker stores every message: the
// other pairs are kept byte for byte and in order (each ending with the
// separator), a CLUSTER pair the producer sent is dropped, and the broker's
// goes last. It appends at most withClusterSize(len(props), cluster) bytes.
func appendWithCluster[P ~string | ~[]byte](dst []byte, props P, cluster string) []byte {
	for start := 0; start < len(props); {
		end := start
		for end < len(props) && props[end] != commitlog.PropertySeparator {
			end++
		}
		if !isClusterPair(props[start:end]) {
			dst = append(dst, props[start:end]...)
			dst = append(dst, commitlog.PropertySeparator)
		}
		start = end + 1
	}
	return commitlog.AppendProperty(dst, propertyCluster, cluster)
}

// isClusterPair reports whether an encoded pair (without its separator)
// names CLUSTER.
func isClusterPair[P ~string | ~[]byte](pair P) bool {
	n := len(propertyCluster)
	if len(pair) <= n || pair[n] != commitlog.NameValueSeparator {
		return false
	}
	for i := range n {
		if pair[i] != propertyCluster[i] {
			return false
		}
	}
	return true
}

// bornHost parses a peer address; an unparsable one reads as the zero
// address (the record then carries 0.0.0.0:0).
func bornHost(addr string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}

func itoa[T int32 | int64](v T) string { return strconv.FormatInt(int64(v), 10) }
