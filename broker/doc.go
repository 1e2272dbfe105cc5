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
//
// Any other code is answered REQUEST_CODE_NOT_SUPPORTED. Every request is
// answered, with or without the oneway bit the Go client never sets (the
// transport drops the answers to requests that carry it).
//
// # Send
//
// A send is checked as RocketMQ's msgCheck does — the broker is a master
// with write permission; the topic is valid (at most 127 characters of
// [%|a-zA-Z0-9_-], SYSTEM_ERROR otherwise), not a system topic producers may
// not write (NO_PERMISSION), and exists or may be created from the default
// topic it names (TBW102 with the INHERIT bit, which autoCreateTopicEnable
// sets; TOPIC_NOT_EXIST otherwise); the queue id is within the topic's (a
// negative one picks a random writable queue); the body, or the whole batch,
// is at most maxMessageSize (MESSAGE_ILLEGAL) — and only then stored. The
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
// # Invariants
//
//   - Nothing is written for a refused send.
//   - A held pull leaves the hold table exactly once and is then run again
//     and answered: when an arrival wakes it, when its timer fires, or at
//     Close (where the answer races the closing connection).
//   - Name servers never see a topic the broker does not have: topics are
//     registered after they are persisted.
package broker
