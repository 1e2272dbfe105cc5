// Package broker is Apogee's broker: RocketMQ's request processors on the
// remoting server, over the message store (spec/remoting.md).
//
// # Parts
//
//   - Broker ties them together: it opens the store, loads the metadata
//     files, serves requests, registers with every name server on start,
//     on each topic change and every RegisterPeriod, and schedules its
//     periodic work with Clock.AfterFunc.
//   - topicManager owns topics.json, groupManager subscriptionGroup.json
//     and offsetManager consumerOffset.json (package store/configfile).
//     Topic and group changes are persisted at once; committed offsets on
//     a period (flushConsumerOffsetInterval) and at Close.
//   - clientManager tracks producer and consumer connections by group,
//     with each consumer group's subscriptions; a member that joins or
//     leaves makes the broker push NOTIFY_CONSUMER_IDS_CHANGED to the
//     others, and a connection that closes, or stops heartbeating for
//     ChannelExpiredTimeout, leaves every group.
//   - pullHolds keeps long-polling pulls by queue, at most MaxHeldPulls.
//   - delayService delivers delayed and timer messages (see Delayed and
//     timer messages).
//   - lockTable holds orderly consumers' queue locks (see Orderly
//     consumption).
//   - transactions remembers which half messages were ended and where the
//     transaction check service goes on (see Transactions).
//   - replication runs a master's ha.Server or a slave's ha.Client, copies
//     a master's metadata to its slave, keeps the epoch file and promotes a
//     slave (see Roles and replication).
//
// # Requests served
//
//	10  SEND_MESSAGE            310 SEND_MESSAGE_V2        320 SEND_BATCH_MESSAGE
//	11  PULL_MESSAGE            34  HEART_BEAT             35  UNREGISTER_CLIENT
//	38  GET_CONSUMER_LIST_BY_GROUP                         14  QUERY_CONSUMER_OFFSET
//	15  UPDATE_CONSUMER_OFFSET  30  GET_MAX_OFFSET         31  GET_MIN_OFFSET
//	29  SEARCH_OFFSET_BY_TIMESTAMP                         32  GET_EARLIEST_MSG_STORETIME
//	17  UPDATE_AND_CREATE_TOPIC 215 DELETE_TOPIC_IN_BROKER 21  GET_ALL_TOPIC_CONFIG
//	200 UPDATE_AND_CREATE_SUBSCRIPTIONGROUP                207 DELETE_SUBSCRIPTIONGROUP
//	201 GET_ALL_SUBSCRIPTIONGROUP_CONFIG                   26  GET_BROKER_CONFIG
//	28  GET_BROKER_RUNTIME_INFO 202 GET_TOPIC_STATS_INFO   208 GET_CONSUME_STATS
//	203 GET_CONSUMER_CONNECTION_LIST
//	41  LOCK_BATCH_MQ           42  UNLOCK_BATCH_MQ        12  QUERY_MESSAGE
//	33  VIEW_MESSAGE_BY_ID      307 GET_CONSUMER_RUNNING_INFO
//	309 CONSUME_MESSAGE_DIRECTLY                           222 INVOKE_BROKER_TO_RESET_OFFSET
//	223 INVOKE_BROKER_TO_GET_CONSUMER_STATUS  (to consumers: 220, 221, 307, 309)
//	37  END_TRANSACTION         (to producers: 39 CHECK_TRANSACTION_STATE)
//	36  CONSUMER_SEND_MSG_BACK  43  GET_ALL_CONSUMER_OFFSET 45  GET_ALL_DELAY_OFFSET
//	25  UPDATE_BROKER_CONFIG    1007 GET_BROKER_EPOCH_CACHE
//
// Any other code is answered REQUEST_CODE_NOT_SUPPORTED. Every request is
// answered, with or without the oneway bit the Go client never sets (the
// transport drops the answers to requests that carry it).
//
// # Send
//
// A send is checked as RocketMQ's msgCheck does — the broker is a master
// with write permission; the topic is valid (at most 127 characters of
// [%|a-zA-Z0-9_-], SYSTEM_ERROR otherwise), not a topic only the broker
// writes (NO_PERMISSION: SCHEDULE_TOPIC_XXXX, TimerTopic, the transaction
// topics, SELF_TEST_TOPIC, OFFSET_MOVED_EVENT), and exists or may be created
// from the default topic it names (TBW102 with the INHERIT bit, which
// autoCreateTopicEnable sets; TOPIC_NOT_EXIST otherwise); the queue id is
// within the topic's (a negative one picks a random writable queue); the
// body, or the whole batch, is at most maxMessageSize (MESSAGE_ILLEGAL) —
// and only then stored. A batch is refused MESSAGE_ILLEGAL when it is
// transactional, goes to a retry topic, or asks for a later delivery — DELAY
// or a timer property on the batch (RocketMQ checks the batch's DELAY) or
// on any of its messages (RocketMQ's Java producer refuses those; stored as
// a batch they would come at once); nothing is parked from a batch. The
// record keeps the producer's sysFlag (a compressed body stays compressed)
// and properties byte for byte, plus CLUSTER=<brokerClusterName> (replacing
// one the producer sent), as RocketMQ's SendMessageProcessor does. The answer carries the offset message id,
// queue id and queue offset, and is sent when the store's durability holds:
// at once under async flush, after the group commit under sync flush
// (FLUSH_DISK_TIMEOUT when it took longer than syncFlushTimeout).
//
// # Pull
//
// A pull is checked (group and topic exist and are readable, the queue id
// is below readQueueNums), filtered by tag code — with the expression in
// the request when its subscription flag is set, else with the
// subscription the group's heartbeat registered for the topic — and
// answered from the store with the records sliced out of the mapped
// CommitLog and handed to the connection without copies. Status mapping
// follows RocketMQ's PullMessageProcessor: nothing new is PULL_NOT_FOUND,
// nothing matching PULL_RETRY_IMMEDIATELY, an offset outside the queue
// PULL_OFFSET_MOVED with the corrected nextBeginOffset. Every pull answer
// carries nextBeginOffset, minOffset and maxOffset. With the suspend flag a
// pull that found nothing new is held until a message for its queue is
// dispatched (and passes its filter) or its suspendTimeoutMillis passes,
// then run once more and answered. The commit-offset flag stores the
// piggy-backed offset on the first run of a pull.
//
// # Offsets
//
// QUERY_CONSUMER_OFFSET answers QUERY_NOT_FOUND for a group with no
// committed offset of the queue, so the client applies its
// consumeFromWhere. (RocketMQ answers 0 instead when the queue's first
// message is still in memory; Apogee keeps the client's choice.)
//
// # Orderly consumption
//
// LOCK_BATCH_MQ locks each queue of its mqSet for (consumerGroup, clientId)
// and answers lockOKMQSet: the queues the client holds now, in request
// order. A queue another client holds is left out unless that lock was not
// renewed for RebalanceLockMaxLiveTime (60 s); the holder's own request
// renews it. UNLOCK_BATCH_MQ releases the caller's locks only. A body that
// does not decode is SYSTEM_ERROR, one without group or client id
// INVALID_PARAMETER. Locks live in memory, as in RocketMQ: a restart loses
// them and clients take them again at their next renewal; a closed
// connection keeps its client's locks until they expire. onlyThisBroker is
// ignored (one broker holds a queue's locks). The table holds at most
// maxQueueLocks locks and is swept of expired ones every lifetime.
//
// # Queries
//
// QUERY_MESSAGE answers the records of the topic whose KEYS or UNIQ_KEY hold
// the key, stored within [beginTimestamp, endTimestamp], newest first, at
// most maxNum (32 whatever maxNum with _UNIQUE_KEY_QUERY=true) and the
// store's MaxQueryResults, leaving out records past a frame's worth; none is
// QUERY_NOT_FOUND (also when the index is disabled). Both answers carry
// indexLastUpdateTimestamp and indexLastUpdatePhyoffset. VIEW_MESSAGE_BY_ID
// answers the record at a CommitLog offset (an offset message id's second
// half), SYSTEM_ERROR when no record starts there. The records go to the
// connection without copies, as a pull's. Clients with tracing on send
// their trace records to RMQ_SYS_TRACE_TOPIC, a writable topic every broker
// has; a query of it by a message's id finds the message's traces.
//
// # Operator calls
//
// GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY are forwarded to
// the named client of the group over its own connection (the latter with
// the record its offset msgId names as the body and brokerName added), and
// the client's answer is relayed as it came. A client not connected, a bad
// msgId or one that names no record is SYSTEM_ERROR; a client silent for
// 10 s is CONSUME_MSG_TIMEOUT. INVOKE_BROKER_TO_RESET_OFFSET sets the group's
// committed offsets of the topic's read queues to the first message stored
// at or after timestamp (-1: the end; without isForce a queue only moves
// back; queueId with offset sets one queue), pushes
// RESET_CONSUMER_CLIENT_OFFSET with the table to every connection of the
// group, and answers the table (ResetOffsetBody). With no client online the
// committed offsets still change, as RocketMQ 5's server-side reset does.
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS asks the group's clients (or only
// clientAddr) for their offsets with GET_CONSUMER_STATUS_FROM_CLIENT and
// answers them by client id; a client that fails is left out.
//
// # Transactions
//
// A send of the PREPARED transaction type is parked as a half message in
// RMQ_SYS_TRANS_HALF_TOPIC queue 0 (REAL_TOPIC, REAL_QID, __transactionId__;
// type NOT_TYPE, so it takes a queue offset there), and its answer carries
// transactionId = its UNIQ_KEY (spec/store.md §8). END_TRANSACTION finds the
// half message by its CommitLog offset and checks it — a half-queue record
// that the queue's unit points at, of the request's producer group, at the
// queue offset the request names; SYSTEM_ERROR otherwise. COMMIT stores the
// real message (topic and queue from REAL_TOPIC and REAL_QID, those and
// TRAN_MSG removed, type COMMIT, preparedTransactionOffset = the half
// message's offset; a DELAY level parks it in SCHEDULE_TOPIC_XXXX first) and
// then an op record; ROLLBACK only the op record: RMQ_SYS_TRANS_OP_HALF_TOPIC
// queue 0, tag "d", body the ended half-queue offsets in decimal separated by
// commas ("17"; "17,3" for a copy and its transaction's first half message).
// The answer is sent when the puts are settled. State 0 (unknown) changes
// nothing. A batch with a transaction type is refused MESSAGE_ILLEGAL.
//
// Ends are remembered as a bitmap of half-queue offsets, from 2^18 offsets
// below the check progress on, rebuilt at start from the op records past the
// op progress. An END for a transaction already ended — through the same half
// message or another copy of it (TRAN_PREPARED_QUEUE_OFFSET names the
// first) — is answered SUCCESS and writes nothing. Further back nothing is
// remembered, and an END is applied as RocketMQ applies it.
//
// The check service runs every transactionCheckInterval (60 s) on a master.
// A round examines the half queue from its progress up to the end it had
// when it began. Ended transactions are skipped. A half message checked
// transactionCheckMax (15) times, or older than fileReservedTime, is
// discarded with a log line. The first one younger than transactionTimeOut
// (6 s, by born time) stops the round — unless CHECK_IMMUNITY_TIME_IN_SECONDS
// makes it immune for longer: then it is copied forward unchanged. Any other
// is copied to the end of the half queue with TRANSACTION_CHECK_TIMES + 1,
// and CHECK_TRANSACTION_STATE about the copy (body: the copy's record in its
// real topic and queue) goes oneway to a live producer of its PGROUP picked
// with env.Rand; the check counts even when none is connected, as in
// RocketMQ. A round copies at most 10,000 and reads at most 40,000 half
// messages. The progress is committed as CID_RMQ_SYS_TRANS's offsets of the
// half queue and of the op queue (the first op record needed to rebuild the
// ends) in consumerOffset.json.
//
// # Delayed and timer messages
//
// A message (not transactional, or a committed transaction's) is parked
// before it is stored when it asks for a later delivery (spec/store.md §7):
//
//   - DELAY = level > 0: in SCHEDULE_TOPIC_XXXX queue level-1 (levels past
//     the last, 18 by default, are clamped), with REAL_TOPIC and REAL_QID;
//     dispatch writes store time + the level's delay (messageDelayLevel)
//     into the unit's tag slot. Timer properties on it are dropped.
//   - otherwise TIMER_DELAY_SEC, TIMER_DELAY_MS, TIMER_DELIVER_MS or
//     __STARTDELIVERTIME (the first present, in that order) naming a time
//     at least 1 s ahead: in TimerTopic (rmq_sys_apogee_timer, 32 queues),
//     with REAL_TOPIC, REAL_QID and TIMER_OUT_MS = the absolute delivery
//     time. A time in the past or within 1 s, a value that is not a number,
//     or a TIMER_OUT_MS already present (a message delivered once) leaves
//     the message in its topic. There is no maximum delay (RocketMQ 5
//     refuses more than timerMaxDelaySec).
//
// Every queue of both topics holds messages that all wait the same step
// after their store time (a delay level; 2^k s for TimerTopic queue k), so
// it is in due order and is served by one timer (env.Clock.AfterFunc),
// never one per message: a round reads the queue from its progress offset,
// stops at the first message not yet due and sleeps until it is (at most
// 1 s at a time, so that a wall clock stepping forward costs at most that),
// or until the store's arrival listener reports a message for an empty
// queue. A due level message is stored again in REAL_TOPIC / REAL_QID with
// its body, flag, sysFlag, reconsumeTimes, born host and time, its
// properties without DELAY, REAL_TOPIC, REAL_QID and the timer ones, and
// WAIT=false; the tag code comes from TAGS again. A TimerTopic message with
// R >= 1 s left to TIMER_OUT_MS is stored again in the queue of the longest
// step <= R (a hop: R more than halves each time, so it takes one hop per
// set bit of R in seconds); with less left it is delivered like a level
// message, keeping TIMER_OUT_MS. So level messages are delivered at their
// time and timer messages within the second before theirs (RocketMQ 5's
// timerPrecisionMs); a backlog or a failing store can make either later,
// nothing earlier. Messages whose REAL_TOPIC is missing, invalid or the
// transaction half topic are dropped with an error log line, as are
// messages the store refuses as illegal; other failed puts are retried
// every 100 ms, and nothing behind them in the queue is delivered
// meanwhile. A round makes at most 1024 puts, then continues on the clock
// at once. Queues are first read 1 s after Start. Slaves deliver nothing.
//
// GET_BROKER_RUNTIME_INFO reports each level's progress as RocketMQ does:
// scheduleMessageOffset_<level> = "<progress offset>,<max offset>".
//
// Progress is the next queue offset of each queue, in delayOffset.json
// ({"dataVersion":{...},"offsetTable":{<level>:<offset>}}, RocketMQ's file:
// keys are levels, 1-based) and timerOffset.json (the same format, keys
// are TimerTopic queue ids). Both are written every FlushDelayOffsetInterval
// (flushDelayOffsetInterval, 10 s) when they changed and at Close, after a
// store flush. An offset is written only once the CommitLog is flushed past
// every copy delivered before it, so a machine crash never leaves the file
// past a delivered copy that the crash took back. At start the offsets are
// corrected into each queue's [min, max] (a missing level starts at the
// minimum); keys naming no queue are kept and written back; a file that
// cannot be parsed (nor its .bak) stops New with an error.
//
// Delivery puts first and moves the offset after, so after a crash the
// progress file may lag the deliveries made since it was last written
// (RocketMQ then delivers those again). Apogee delivers each message once
// across restarts and crashes: in each queue's first pass after start, a
// due message is delivered only if the store holds no copy made from it
// before — looked up in the message index by its UNIQ_KEY in REAL_TOPIC
// (and in TimerTopic, for a hop), among records stored after it (from a
// minute before its store time on) with its born time, body and real queue,
// each copy matched to one parked message. A copy found is skipped. As a
// queue puts in order, one message at a time, the pass ends at the first
// message that has no copy and is then stored, or at the first one parked
// after the start: it costs one lookup (two for a timer message) per
// message delivered between the last progress write and the crash, plus
// one per queue, and nothing afterwards. A machine crash that took back a
// copy (async flush) took back every later copy of its queue too: those
// are delivered again, once. A copy is found only through the index:
// with messageIndexEnable=false, or for a message without UNIQ_KEY,
// delivery after a crash is at least once, as in RocketMQ.
//
// # Retry and dead letters
//
// CONSUMER_SEND_MSG_BACK (spec/store.md §9) reads the record at the
// request's CommitLog offset and stores a copy with reconsumeTimes + 1,
// RETRY_TOPIC (the record's topic unless set), ORIGIN_MESSAGE_ID (the
// record's offset msgId unless set) and WAIT=false. If the record's
// reconsumeTimes >= maxReconsumeTimes (the request's when it carries one,
// else the group's retryMaxTimes, 16 by default) or the request's
// delayLevel < 0, the copy goes to %DLQ%<group> (created with one readable
// and writable queue and registered with the name servers), at once and
// with an Info log line; otherwise to %RETRY%<group> (created with the
// group's retryQueueNums if missing; a random queue) with DELAY = the
// request's level, or 3 + reconsumeTimes when it is 0, so it is parked like
// any delayed message. The group is created when autoCreateSubscriptionGroup
// allows (SUBSCRIPTION_GROUP_NOT_EXIST otherwise); a broker or retry topic
// without write permission answers NO_PERMISSION, a slave
// SERVICE_NOT_AVAILABLE, an offset where no record starts or a failed put
// SYSTEM_ERROR, and a group with retryQueueNums 0 SUCCESS without storing
// anything.
//
// A consumer's own resend to %RETRY%<group> (SEND_MESSAGE, the official
// clients' fallback when the send-back fails, with reconsumeTimes already
// incremented) follows RocketMQ's handleRetryAndDLQ: the group must exist or
// be creatable (SUBSCRIPTION_GROUP_NOT_EXIST otherwise), and a message whose
// reconsumeTimes is past maxReconsumeTimes (the header's, else the group's
// retryMaxTimes; RocketMQ 5's comparison) is stored in %DLQ%<group> at once,
// without DELAY, with an Info log line. Other resends are stored as any
// send, parked by their DELAY.
//
// # Roles and replication
//
// brokerRole and brokerId make a broker the master (ASYNC_MASTER or
// SYNC_MASTER, id 0) or a slave (SLAVE, id > 0) of the broker group its
// brokerName names (spec/store.md §12). Replication is package ha's: the
// master's ha.Server listens on haListenPort (listenPort + 1) and streams
// its CommitLog; the slave's ha.Client appends it verbatim and builds its
// own ConsumeQueues and index. The master installs its Server as the
// store's replicator: a SYNC_MASTER's send is answered once a slave
// acknowledged the record (SLAVE_NOT_AVAILABLE at once without a slave,
// FLUSH_SLAVE_TIMEOUT after slaveTimeout), an ASYNC_MASTER's at once. A
// SYNC_MASTER's consumers see a message only once a slave acknowledged it
// (store.Replicator.ConfirmedOffset): without a slave, sends are stored but
// answered SLAVE_NOT_AVAILABLE, and consumers wait for a slave to copy
// them.
//
// A slave registers with its brokerId; the name servers answer with the
// master's remoting and HA addresses (haMasterAddress overrides the
// latter). It refuses sends, send-backs, ends of transactions and offset
// resets; it serves pulls and queries of what it copied (long polling
// included: replicated records wake held pulls as they are dispatched)
// and takes commits of consumer offsets. Every SlaveSyncInterval (10 s)
// and as soon as it learns its master, it copies the master's topics,
// groups, committed offsets and delay progress (GET_ALL_TOPIC_CONFIG,
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_ALL_CONSUMER_OFFSET,
// GET_ALL_DELAY_OFFSET; see ha_adopt.go for how each is merged) and
// compares epochs (below). The timer topic's progress is not copied: a
// promoted slave starts it from its own file and relies on the redelivery
// check to skip copies already delivered. Without name servers, a slave
// with haMasterAddress streams at once, comparing and copying nothing.
//
// Pulls follow RocketMQ 4.x: every answer carries suggestWhichBrokerId;
// without slaveReadEnable it is always 0 (the master). With it, the group's
// whichBrokerWhenConsumeSlowly (1) when the answer's last message lies
// SlowConsumerLagBytes or more behind the CommitLog's end, else the group's
// brokerId (0 unless the group was set to read from a slave). Clients keep
// pulling from the suggested id and fall back to any broker of the group
// when it is not in their route, which is how a consumer keeps reading
// from a slave while its master is gone.
//
// # Epochs
//
// The classic protocol carries no history: a slave reports how long its
// log is, never which log, so a slave whose log parted from its master's
// below the master's end is not detected by package ha. The broker keeps
// the history beside it, as RocketMQ 5's controller mode does: the epoch
// file <storePathRootDir>/epochFileCheckpoint (with a .bak copy, replaced
// atomically) lists which master epoch began at which CommitLog offset, in
// RocketMQ 5's format, text lines ending in "\n":
//
//	line  content             example
//	   1  entry count          2
//	   2  CRC                  773307083
//	 3..  <epoch>-<startOffset> 7-7000
//	                           8-8000
//
// where CRC is the IEEE CRC-32 of the entry lines (each with its "\n")
// masked to 31 bits (0: not checked), epochs are positive and increasing,
// and start offsets non-negative and non-decreasing; an epoch ends where
// the next begins, the last at the log's end. At most MaxEpochEntries
// entries (past it the oldest go); a file that does not decode stops New
// unless its .bak does.
//
// A broker that starts as a master, or is promoted, begins a new epoch at
// its log's end (one above every epoch it has seen). A slave copies its
// master's list after comparing it with its own: the newest epoch both
// list with the same start is common, and the logs agree up to the nearer
// of its two ends (the master's last epoch is still growing). When the
// slave holds bytes past that point — a slave that was ahead of the one
// promoted, an old master rejoining after a promotion, a slave whose
// master restarted having lost a tail — replication pauses, the read fence
// (ha_fence.go) shuts and waits for the reads in flight, the store is cut
// there (Store.TruncateTo), and the slave streams again from the cut. GET_BROKER_EPOCH_CACHE
// answers a broker's list (RocketMQ 5's EpochEntryCache JSON, see
// remoting.ReqGetBrokerEpochCache); a master that does not know the code
// (a RocketMQ 4.x broker) is copied without comparison, as a store with no
// epoch file is. Two logs share no epoch only when they never had a
// master in common: the slave then does not copy and logs an error until
// an operator empties it.
//
// A comparison runs when a slave learns its master, every
// SlaveSyncInterval, and each time the stream from the master ends or
// cannot be made: the slave streams again only after its log was found to
// agree with the master's history (retrying every ReconnectDelay while the
// master is away), so a master that restarts at the same address having
// lost a tail its slave holds is found out before anything of its new
// epoch is streamed, and the tail is cut. Under SYNC_FLUSH that cannot
// happen: a master streams only what it made durable
// (store.Store.ReplicableEnd). Under ASYNC_FLUSH it can: consumers that
// read such a tail from the slave while the master was down have moved
// past offsets the restarted master hands out again (the loss async flush
// admits; promoting the slave instead keeps the tail), and from the
// master's restart until the slave's next attempt (within ReconnectDelay)
// the slave still serves the old tail at offsets the master is reusing. A
// master that held its writes after an unclean restart until its slave
// had compared would close that window; it does not.
//
// What the epochs cannot see: two masters promoted by hand at once (split
// brain) each begin an epoch; their logs disagree and the later promotion
// wins at the name servers (its topic table's state version is its epoch
// number), but what each accepted alone belongs to one history only.
//
// # Promotion
//
// UPDATE_BROKER_CONFIG with brokerRole=ASYNC_MASTER or SYNC_MASTER (and
// brokerId=0 or none), sent to a slave — mqadmin updateBrokerConfig -b
// <slave> -k brokerRole -v SYNC_MASTER, as RocketMQ's operators send it —
// makes it the master of its group at run time (ha_promote.go): copying
// stops, the record still arriving is dropped (nothing else is: every
// whole record a slave holds was its master's), a new epoch begins there,
// the HA server starts, committed offsets past their queue's end are
// lowered to it, the transaction state is rebuilt (the check progress
// copied from the old master is rewound to the first half message this log
// leaves open: the old master may have passed it in records never
// copied), the delay service
// starts after checking for copies already delivered, and the broker
// registers as brokerId 0. Each queue continues where its ConsumeQueue
// ends, so no queue offset the new master holds is handed out again
// (apache/rocketmq#7689). What the old master accepted and the slave never
// received is lost to the group, as in RocketMQ: under SYNC_MASTER a send
// was answered SEND_OK only once a slave held it, so what is lost was
// answered FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE, or not at all.
// Other settings, and a master's change of role, take a restart with a
// changed broker.conf; the old master comes back as a slave of the new one
// (brokerRole=SLAVE, brokerId > 0) and cuts its own tail by the epochs.
//
// # Invariants
//
//   - Nothing is written for a refused send.
//   - A queue of a consumer group has at most one unexpired lock holder.
//   - A held pull leaves the hold table exactly once and is then run again
//     and answered: when an arrival wakes it, when its timer fires, or at
//     Close (where the answer races the closing connection).
//   - Name servers never see a topic the broker does not have: topics are
//     registered after they are persisted.
//   - A committed transaction's real message is in the CommitLog before its
//     op record, and an END for a transaction whose end is remembered
//     writes nothing; a half message the check service passed without an
//     end has a copy past it, or was discarded with a log line.
//   - A parked message is never stored in its real topic before its due
//     time (timer messages: before their time less 1 s), and the progress
//     files never name an offset past a delivered copy that is not durable.
//   - While the message index is on, a parked message with a UNIQ_KEY has
//     at most one copy made from it across restarts and crashes (a machine
//     crash that may tear index pages needs messageIndexSafe as well).
//   - Each parked queue has at most one pending timer.
//   - A slave appends only what its master streams, and only once its log
//     was found to agree with the master's history (or no history could be
//     compared); no store read is in flight while replication cuts the
//     log.
//   - A broker serving as master has begun an epoch above every epoch in
//     its file; a promoted slave's queues continue past every queue offset
//     its log holds.
package broker
