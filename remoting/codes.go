package remoting

import "strconv"

// Request codes (apache/rocketmq RequestCode.java). Command.Code holds one in
// a request. The client-facing ones are described in spec/remoting.md §2.
const (
	// ReqSendMessage sends one message (the Go client's every send).
	ReqSendMessage int32 = 10
	// ReqPullMessage pulls messages from a queue, possibly long-polling.
	ReqPullMessage int32 = 11
	// ReqQueryMessage queries messages by key.
	ReqQueryMessage int32 = 12
	// ReqQueryBrokerOffset queries a broker's offset (operator tools).
	ReqQueryBrokerOffset int32 = 13
	// ReqQueryConsumerOffset reads a group's committed offset of a queue.
	ReqQueryConsumerOffset int32 = 14
	// ReqUpdateConsumerOffset commits a group's offset of a queue.
	ReqUpdateConsumerOffset int32 = 15
	// ReqUpdateAndCreateTopic creates or updates a topic on a broker.
	ReqUpdateAndCreateTopic int32 = 17
	// ReqUpdateAndCreateTopicList creates or updates several topics.
	ReqUpdateAndCreateTopicList int32 = 18
	// ReqGetAllTopicConfig returns a broker's topic configuration table.
	ReqGetAllTopicConfig int32 = 21
	// ReqGetTopicConfigList returns a list of topic configurations.
	ReqGetTopicConfigList int32 = 22
	// ReqGetTopicNameList returns a broker's topic names.
	ReqGetTopicNameList int32 = 23
	// ReqUpdateBrokerConfig changes a broker's configuration; the body is
	// Java properties text ("key=value" lines). An Apogee broker changes
	// only brokerRole (and brokerId) at run time: "brokerRole=ASYNC_MASTER"
	// or "brokerRole=SYNC_MASTER" promotes a slave to master of its broker
	// group, as mqadmin updateBrokerConfig -k brokerRole sends it.
	ReqUpdateBrokerConfig int32 = 25
	// ReqGetBrokerConfig returns a broker's configuration.
	ReqGetBrokerConfig int32 = 26
	// ReqTriggerDeleteFiles asks a broker to delete expired files now.
	ReqTriggerDeleteFiles int32 = 27
	// ReqGetBrokerRuntimeInfo returns a broker's runtime statistics.
	ReqGetBrokerRuntimeInfo int32 = 28
	// ReqSearchOffsetByTimestamp finds a queue offset by store time.
	ReqSearchOffsetByTimestamp int32 = 29
	// ReqGetMaxOffset returns the next offset to be written in a queue.
	ReqGetMaxOffset int32 = 30
	// ReqGetMinOffset returns the smallest offset still in a queue.
	ReqGetMinOffset int32 = 31
	// ReqGetEarliestMsgStoreTime returns a queue's oldest store time.
	ReqGetEarliestMsgStoreTime int32 = 32
	// ReqViewMessageByID reads one message by its offset message id.
	ReqViewMessageByID int32 = 33
	// ReqHeartBeat registers a client's producer and consumer groups.
	ReqHeartBeat int32 = 34
	// ReqUnregisterClient removes a client from its groups.
	ReqUnregisterClient int32 = 35
	// ReqConsumerSendMsgBack returns a failed message for retry.
	ReqConsumerSendMsgBack int32 = 36
	// ReqEndTransaction commits or rolls back a half message.
	ReqEndTransaction int32 = 37
	// ReqGetConsumerListByGroup lists the client ids of a group.
	ReqGetConsumerListByGroup int32 = 38
	// ReqCheckTransactionState asks a producer for a half message's state
	// (broker to client).
	ReqCheckTransactionState int32 = 39
	// ReqNotifyConsumerIdsChanged tells consumers to rebalance (broker to
	// client).
	ReqNotifyConsumerIdsChanged int32 = 40
	// ReqLockBatchMQ locks queues for orderly consumption.
	ReqLockBatchMQ int32 = 41
	// ReqUnlockBatchMQ unlocks queues.
	ReqUnlockBatchMQ int32 = 42
	// ReqGetAllConsumerOffset returns every committed offset of a broker.
	ReqGetAllConsumerOffset int32 = 43
	// ReqGetAllDelayOffset returns the delay queues' progress.
	ReqGetAllDelayOffset int32 = 45
	// ReqCheckClientConfig validates a client's subscription expression.
	ReqCheckClientConfig int32 = 46
	// ReqGetClientConfig returns a client's configuration.
	ReqGetClientConfig int32 = 47
	// ReqPutKVConfig stores a name server KV config entry.
	ReqPutKVConfig int32 = 100
	// ReqGetKVConfig reads a name server KV config entry.
	ReqGetKVConfig int32 = 101
	// ReqDeleteKVConfig deletes a name server KV config entry.
	ReqDeleteKVConfig int32 = 102
	// ReqRegisterBroker registers a broker and its topics with a name
	// server.
	ReqRegisterBroker int32 = 103
	// ReqUnregisterBroker removes a broker from a name server.
	ReqUnregisterBroker int32 = 104
	// ReqGetRouteInfoByTopic returns a topic's route.
	ReqGetRouteInfoByTopic int32 = 105
	// ReqGetBrokerClusterInfo returns the clusters and their brokers.
	ReqGetBrokerClusterInfo int32 = 106
	// ReqUpdateAndCreateSubscriptionGroup creates or updates a group.
	ReqUpdateAndCreateSubscriptionGroup int32 = 200
	// ReqGetAllSubscriptionGroupConfig returns a broker's groups.
	ReqGetAllSubscriptionGroupConfig int32 = 201
	// ReqGetTopicStatsInfo returns a topic's per-queue offsets.
	ReqGetTopicStatsInfo int32 = 202
	// ReqGetConsumerConnectionList lists a consumer group's connections.
	ReqGetConsumerConnectionList int32 = 203
	// ReqGetProducerConnectionList lists a producer group's connections.
	ReqGetProducerConnectionList int32 = 204
	// ReqWipeWritePermOfBroker removes a broker's write permission on a
	// name server.
	ReqWipeWritePermOfBroker int32 = 205
	// ReqGetAllTopicListFromNameserver lists every topic a name server
	// knows.
	ReqGetAllTopicListFromNameserver int32 = 206
	// ReqDeleteSubscriptionGroup deletes a group on a broker.
	ReqDeleteSubscriptionGroup int32 = 207
	// ReqGetConsumeStats returns a group's consume progress.
	ReqGetConsumeStats int32 = 208
	// ReqSuspendConsumer suspends a consumer group.
	ReqSuspendConsumer int32 = 209
	// ReqResumeConsumer resumes a consumer group.
	ReqResumeConsumer int32 = 210
	// ReqResetConsumerOffsetInConsumer resets offsets in the consumers.
	ReqResetConsumerOffsetInConsumer int32 = 211
	// ReqResetConsumerOffsetInBroker resets offsets in the broker.
	ReqResetConsumerOffsetInBroker int32 = 212
	// ReqAdjustConsumerThreadPool resizes a consumer's thread pool.
	ReqAdjustConsumerThreadPool int32 = 213
	// ReqWhoConsumeTheMessage lists the groups that consumed a message.
	ReqWhoConsumeTheMessage int32 = 214
	// ReqDeleteTopicInBroker deletes a topic on a broker.
	ReqDeleteTopicInBroker int32 = 215
	// ReqDeleteTopicInNamesrv deletes a topic's routes on a name server.
	ReqDeleteTopicInNamesrv int32 = 216
	// ReqRegisterTopicInNamesrv registers a topic's route on a name server.
	ReqRegisterTopicInNamesrv int32 = 217
	// ReqGetKVListByNamespace returns a KV config namespace.
	ReqGetKVListByNamespace int32 = 219
	// ReqResetConsumerClientOffset tells a consumer to reset its offsets
	// (broker to client).
	ReqResetConsumerClientOffset int32 = 220
	// ReqGetConsumerStatusFromClient asks a consumer for its offsets
	// (broker to client).
	ReqGetConsumerStatusFromClient int32 = 221
	// ReqInvokeBrokerToResetOffset asks a broker to reset a group's offsets.
	ReqInvokeBrokerToResetOffset int32 = 222
	// ReqInvokeBrokerToGetConsumerStatus asks a broker for a group's
	// client-side offsets.
	ReqInvokeBrokerToGetConsumerStatus int32 = 223
	// ReqGetTopicsByCluster lists the topics of a cluster.
	ReqGetTopicsByCluster int32 = 224
	// ReqQueryTopicConsumeByWho lists the groups consuming a topic.
	ReqQueryTopicConsumeByWho int32 = 300
	// ReqQueryConsumeTimeSpan returns a group's consume time span.
	ReqQueryConsumeTimeSpan int32 = 303
	// ReqGetSystemTopicListFromNs lists system topics from a name server.
	ReqGetSystemTopicListFromNs int32 = 304
	// ReqGetSystemTopicListFromBroker lists system topics from a broker.
	ReqGetSystemTopicListFromBroker int32 = 305
	// ReqCleanExpiredConsumeQueue asks a broker to clean consume queues.
	ReqCleanExpiredConsumeQueue int32 = 306
	// ReqGetConsumerRunningInfo asks a consumer for its state (broker to
	// client).
	ReqGetConsumerRunningInfo int32 = 307
	// ReqQueryCorrectionOffset returns correction offsets of groups.
	ReqQueryCorrectionOffset int32 = 308
	// ReqConsumeMessageDirectly asks a consumer to consume one message
	// (broker to client).
	ReqConsumeMessageDirectly int32 = 309
	// ReqSendMessageV2 sends one message with one-letter header keys.
	ReqSendMessageV2 int32 = 310
	// ReqCleanUnusedTopic asks a broker to remove unused topics.
	ReqCleanUnusedTopic int32 = 316
	// ReqGetBrokerConsumeStats returns a broker's consume statistics.
	ReqGetBrokerConsumeStats int32 = 317
	// ReqUpdateNamesrvConfig changes a name server's configuration.
	ReqUpdateNamesrvConfig int32 = 318
	// ReqGetNamesrvConfig returns a name server's configuration.
	ReqGetNamesrvConfig int32 = 319
	// ReqSendBatchMessage sends a batch of messages (V2 header).
	ReqSendBatchMessage int32 = 320
	// ReqQueryConsumeQueue returns consume queue units.
	ReqQueryConsumeQueue int32 = 321
	// ReqQueryDataVersion compares a broker's data version with a name
	// server's.
	ReqQueryDataVersion int32 = 322
	// ReqResumeCheckHalfMessage resumes checking a half message.
	ReqResumeCheckHalfMessage int32 = 323
	// ReqSendReplyMessage sends a reply in request/reply messaging.
	ReqSendReplyMessage int32 = 324
	// ReqSendReplyMessageV2 sends a reply with one-letter header keys.
	ReqSendReplyMessageV2 int32 = 325
	// ReqPushReplyMessageToClient delivers a reply to the requester
	// (broker to client).
	ReqPushReplyMessageToClient int32 = 326
	// ReqAddWritePermOfBroker restores a broker's write permission on a
	// name server.
	ReqAddWritePermOfBroker int32 = 327
	// ReqGetAllProducerInfo lists a broker's producers.
	ReqGetAllProducerInfo int32 = 328
	// ReqQueryTopicsByConsumer lists the topics a group consumes.
	ReqQueryTopicsByConsumer int32 = 343
	// ReqQuerySubscriptionByConsumer returns a group's subscription.
	ReqQuerySubscriptionByConsumer int32 = 345
	// ReqGetTopicConfig returns one topic's configuration.
	ReqGetTopicConfig int32 = 351
	// ReqGetSubscriptionGroupConfig returns one group's configuration.
	ReqGetSubscriptionGroupConfig int32 = 352
	// ReqLitePullMessage pulls for the lite pull consumer.
	ReqLitePullMessage int32 = 361
	// ReqQueryAssignment returns a client's queue assignment.
	ReqQueryAssignment int32 = 400
	// ReqGetBrokerMemberGroup returns the brokers of a broker group.
	ReqGetBrokerMemberGroup int32 = 901
	// ReqBrokerHeartbeat keeps a broker registration alive (RocketMQ 5).
	ReqBrokerHeartbeat int32 = 904
	// ReqGetBrokerEpochCache returns a broker's epoch list and CommitLog
	// end (RocketMQ 5's EpochEntryCache): a slave compares it with its own
	// before it copies the broker's log, and cuts back whatever history the
	// broker does not share. No extFields; the body is JSON,
	// {"brokerId":0,"brokerName":"broker-a","clusterName":"DefaultCluster",
	// "epochList":[{"endOffset":4096,"epoch":1,"startOffset":0}],
	// "maxOffset":4096}.
	ReqGetBrokerEpochCache int32 = 1007
)

// requestCodeNames names every request code above, as RocketMQ spells it.
var requestCodeNames = map[int32]string{
	ReqSendMessage:                      "SEND_MESSAGE",
	ReqPullMessage:                      "PULL_MESSAGE",
	ReqQueryMessage:                     "QUERY_MESSAGE",
	ReqQueryBrokerOffset:                "QUERY_BROKER_OFFSET",
	ReqQueryConsumerOffset:              "QUERY_CONSUMER_OFFSET",
	ReqUpdateConsumerOffset:             "UPDATE_CONSUMER_OFFSET",
	ReqUpdateAndCreateTopic:             "UPDATE_AND_CREATE_TOPIC",
	ReqUpdateAndCreateTopicList:         "UPDATE_AND_CREATE_TOPIC_LIST",
	ReqGetAllTopicConfig:                "GET_ALL_TOPIC_CONFIG",
	ReqGetTopicConfigList:               "GET_TOPIC_CONFIG_LIST",
	ReqGetTopicNameList:                 "GET_TOPIC_NAME_LIST",
	ReqUpdateBrokerConfig:               "UPDATE_BROKER_CONFIG",
	ReqGetBrokerConfig:                  "GET_BROKER_CONFIG",
	ReqTriggerDeleteFiles:               "TRIGGER_DELETE_FILES",
	ReqGetBrokerRuntimeInfo:             "GET_BROKER_RUNTIME_INFO",
	ReqSearchOffsetByTimestamp:          "SEARCH_OFFSET_BY_TIMESTAMP",
	ReqGetMaxOffset:                     "GET_MAX_OFFSET",
	ReqGetMinOffset:                     "GET_MIN_OFFSET",
	ReqGetEarliestMsgStoreTime:          "GET_EARLIEST_MSG_STORETIME",
	ReqViewMessageByID:                  "VIEW_MESSAGE_BY_ID",
	ReqHeartBeat:                        "HEART_BEAT",
	ReqUnregisterClient:                 "UNREGISTER_CLIENT",
	ReqConsumerSendMsgBack:              "CONSUMER_SEND_MSG_BACK",
	ReqEndTransaction:                   "END_TRANSACTION",
	ReqGetConsumerListByGroup:           "GET_CONSUMER_LIST_BY_GROUP",
	ReqCheckTransactionState:            "CHECK_TRANSACTION_STATE",
	ReqNotifyConsumerIdsChanged:         "NOTIFY_CONSUMER_IDS_CHANGED",
	ReqLockBatchMQ:                      "LOCK_BATCH_MQ",
	ReqUnlockBatchMQ:                    "UNLOCK_BATCH_MQ",
	ReqGetAllConsumerOffset:             "GET_ALL_CONSUMER_OFFSET",
	ReqGetAllDelayOffset:                "GET_ALL_DELAY_OFFSET",
	ReqCheckClientConfig:                "CHECK_CLIENT_CONFIG",
	ReqGetClientConfig:                  "GET_CLIENT_CONFIG",
	ReqPutKVConfig:                      "PUT_KV_CONFIG",
	ReqGetKVConfig:                      "GET_KV_CONFIG",
	ReqDeleteKVConfig:                   "DELETE_KV_CONFIG",
	ReqRegisterBroker:                   "REGISTER_BROKER",
	ReqUnregisterBroker:                 "UNREGISTER_BROKER",
	ReqGetRouteInfoByTopic:              "GET_ROUTEINFO_BY_TOPIC",
	ReqGetBrokerClusterInfo:             "GET_BROKER_CLUSTER_INFO",
	ReqUpdateAndCreateSubscriptionGroup: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	ReqGetAllSubscriptionGroupConfig:    "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	ReqGetTopicStatsInfo:                "GET_TOPIC_STATS_INFO",
	ReqGetConsumerConnectionList:        "GET_CONSUMER_CONNECTION_LIST",
	ReqGetProducerConnectionList:        "GET_PRODUCER_CONNECTION_LIST",
	ReqWipeWritePermOfBroker:            "WIPE_WRITE_PERM_OF_BROKER",
	ReqGetAllTopicListFromNameserver:    "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	ReqDeleteSubscriptionGroup:          "DELETE_SUBSCRIPTIONGROUP",
	ReqGetConsumeStats:                  "GET_CONSUME_STATS",
	ReqSuspendConsumer:                  "SUSPEND_CONSUMER",
	ReqResumeConsumer:                   "RESUME_CONSUMER",
	ReqResetConsumerOffsetInConsumer:    "RESET_CONSUMER_OFFSET_IN_CONSUMER",
	ReqResetConsumerOffsetInBroker:      "RESET_CONSUMER_OFFSET_IN_BROKER",
	ReqAdjustConsumerThreadPool:         "ADJUST_CONSUMER_THREAD_POOL",
	ReqWhoConsumeTheMessage:             "WHO_CONSUME_THE_MESSAGE",
	ReqDeleteTopicInBroker:              "DELETE_TOPIC_IN_BROKER",
	ReqDeleteTopicInNamesrv:             "DELETE_TOPIC_IN_NAMESRV",
	ReqRegisterTopicInNamesrv:           "REGISTER_TOPIC_IN_NAMESRV",
	ReqGetKVListByNamespace:             "GET_KVLIST_BY_NAMESPACE",
	ReqResetConsumerClientOffset:        "RESET_CONSUMER_CLIENT_OFFSET",
	ReqGetConsumerStatusFromClient:      "GET_CONSUMER_STATUS_FROM_CLIENT",
	ReqInvokeBrokerToResetOffset:        "INVOKE_BROKER_TO_RESET_OFFSET",
	ReqInvokeBrokerToGetConsumerStatus:  "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
	ReqGetTopicsByCluster:               "GET_TOPICS_BY_CLUSTER",
	ReqQueryTopicConsumeByWho:           "QUERY_TOPIC_CONSUME_BY_WHO",
	ReqQueryConsumeTimeSpan:             "QUERY_CONSUME_TIME_SPAN",
	ReqGetSystemTopicListFromNs:         "GET_SYSTEM_TOPIC_LIST_FROM_NS",
	ReqGetSystemTopicListFromBroker:     "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
	ReqCleanExpiredConsumeQueue:         "CLEAN_EXPIRED_CONSUMEQUEUE",
	ReqGetConsumerRunningInfo:           "GET_CONSUMER_RUNNING_INFO",
	ReqQueryCorrectionOffset:            "QUERY_CORRECTION_OFFSET",
	ReqConsumeMessageDirectly:           "CONSUME_MESSAGE_DIRECTLY",
	ReqSendMessageV2:                    "SEND_MESSAGE_V2",
	ReqCleanUnusedTopic:                 "CLEAN_UNUSED_TOPIC",
	ReqGetBrokerConsumeStats:            "GET_BROKER_CONSUME_STATS",
	ReqUpdateNamesrvConfig:              "UPDATE_NAMESRV_CONFIG",
	ReqGetNamesrvConfig:                 "GET_NAMESRV_CONFIG",
	ReqSendBatchMessage:                 "SEND_BATCH_MESSAGE",
	ReqQueryConsumeQueue:                "QUERY_CONSUME_QUEUE",
	ReqQueryDataVersion:                 "QUERY_DATA_VERSION",
	ReqResumeCheckHalfMessage:           "RESUME_CHECK_HALF_MESSAGE",
	ReqSendReplyMessage:                 "SEND_REPLY_MESSAGE",
	ReqSendReplyMessageV2:               "SEND_REPLY_MESSAGE_V2",
	ReqPushReplyMessageToClient:         "PUSH_REPLY_MESSAGE_TO_CLIENT",
	ReqAddWritePermOfBroker:             "ADD_WRITE_PERM_OF_BROKER",
	ReqGetAllProducerInfo:               "GET_ALL_PRODUCER_INFO",
	ReqQueryTopicsByConsumer:            "QUERY_TOPICS_BY_CONSUMER",
	ReqQuerySubscriptionByConsumer:      "QUERY_SUBSCRIPTION_BY_CONSUMER",
	ReqGetTopicConfig:                   "GET_TOPIC_CONFIG",
	ReqGetSubscriptionGroupConfig:       "GET_SUBSCRIPTIONGROUP_CONFIG",
	ReqLitePullMessage:                  "LITE_PULL_MESSAGE",
	ReqQueryAssignment:                  "QUERY_ASSIGNMENT",
	ReqGetBrokerMemberGroup:             "GET_BROKER_MEMBER_GROUP",
	ReqGetBrokerEpochCache:              "GET_BROKER_EPOCH_CACHE",
	ReqBrokerHeartbeat:                  "BROKER_HEARTBEAT",
}

// RequestCodeName returns RocketMQ's name of a request code
// ("GET_ROUTEINFO_BY_TOPIC"), or "REQUEST_CODE(n)" for a code the catalog
// lacks.
func RequestCodeName(code int32) string {
	if name, ok := requestCodeNames[code]; ok {
		return name
	}
	return "REQUEST_CODE(" + strconv.FormatInt(int64(code), 10) + ")"
}
