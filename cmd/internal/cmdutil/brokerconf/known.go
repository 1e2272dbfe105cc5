package brokerconf

// ignoredKeys are the keys of RocketMQ's BrokerConfig, BrokerIdentity,
// MessageStoreConfig, NettyServerConfig and NettyClientConfig (4.9 and 5.x)
// that Apogee does not apply. Each one found in a file is reported once as
// ignored, so a setting that has no effect is never a surprise.
var ignoredKeys = map[string]bool{}

func init() {
	for _, k := range ignoredKeyList {
		ignoredKeys[k] = true
	}
}

// ignoredChecks lists ignored keys whose values are still checked. Some
// values change what the broker is (its storage format, how its role is
// chosen); Apogee cannot be that broker, so they are errors rather than
// warnings. deleteCommitLogFilesInterval, the pause between two deletions
// of one cleaning round, is accepted when it is a valid number of
// milliseconds (Apogee does not pause).
var ignoredChecks = map[string]func(key, value string) error{
	"enableDLegerCommitLog": refuseTrue("Apogee has no DLedger CommitLog; it keeps RocketMQ's classic CommitLog"),
	"enableControllerMode":  refuseTrue("Apogee has no controller mode; the role comes from brokerRole"),
	"storeType": func(key, value string) error {
		if value != "default" {
			return badValue(key, value, "Apogee keeps ConsumeQueues in files only (storeType=default)")
		}
		return nil
	},
	"deleteCommitLogFilesInterval": func(key, value string) error {
		_, err := parseMillis(key, value, 0, maxInterval)
		return err
	},
}

// refuseTrue returns a check that accepts false and refuses true for reason.
func refuseTrue(reason string) func(key, value string) error {
	return func(key, value string) error {
		b, err := parseBool(key, value)
		if err == nil && b {
			err = badValue(key, value, "%s", reason)
		}
		return err
	}
}

// ignoredKeyList is sorted.
var ignoredKeyList = []string{
	"accessMessageInMemoryHotRatio", "accessMessageInMemoryMaxRatio", "accountStatsEnable",
	"accountStatsPrintZeroValues", "ackMessageThreadPoolNums", "ackThreadPoolQueueCapacity",
	"aclEnable", "adminBrokerThreadPoolNums", "adminBrokerThreadPoolQueueCapacity",
	"allAckInSyncStateSet", "allowRecallWhenBrokerNotWriteable", "appendAckAsync", "appendCkAsync",
	"asyncLearner", "asyncSendEnable", "autoDeleteUnusedStats", "autoMessageVersionOnTopicLen",
	"batchDispatchRequestThreadPoolNums", "bitMapLengthConsumeQueueExt",
	"bottomMostCompressionTypeForConsumeQueueStore", "broadcastOffsetExpireMaxSecond",
	"broadcastOffsetExpireSecond", "brokerConfigPath", "brokerContainer", "brokerElectionPriority",
	"brokerFastFailureEnable", "brokerHeartbeatInterval", "brokerIP2", "brokerNotActiveTimeoutMillis",
	"brokerTopicEnable", "cgColdReadThreshold", "channelNotActiveInterval", "checkCRCOnRecover",
	"checkSyncStateSetPeriod", "cleanFileForciblyEnable", "cleanOfflineBrokerInterval",
	"cleanRocksDBDirtyCQIntervalMin", "cleanSwapedMapInterval", "clearRetryTopicWhenDeleteTopic",
	"clientAsyncSemaphoreValue", "clientCallbackExecutorThreads", "clientChannelMaxIdleTimeSeconds",
	"clientCloseSocketIfTimeout", "clientManageThreadPoolNums",
	"clientManagerThreadPoolQueueCapacity", "clientOnewaySemaphoreValue",
	"clientPooledByteBufAllocatorEnable", "clientSocketRcvBufSize", "clientSocketSndBufSize",
	"clientWorkerThreads", "clusterTopicEnable", "coldCtrStrategyEnable", "coldDataFlowControlEnable",
	"coldDataScanEnable", "combineAssignOffsetCQType", "combineCQEnableCheckSelf",
	"combineCQLoadingCQTypes", "combineCQMaxExtraSearchCommitLogFiles", "combineCQPreferCQType",
	"commercialBaseCount", "commercialBigCount", "commercialEnable", "commercialSizePerMsg",
	"commercialTimerCount", "commercialTransCount", "commitCommitLogLeastPages",
	"commitCommitLogThoroughInterval", "commitIntervalCommitLog", "commitLogForceSwapMapInterval",
	"commitLogSwapMapInterval", "commitLogSwapMapReserveFileNum", "compactionCqMappedFileSize",
	"compactionMappedFileSize", "compactionScheduleInternal", "compactionThreadNum",
	"compatibleWithOldNameSrv", "compressedRegister", "configBlackList", "configManagerVersion",
	"connectTimeoutMillis", "consumerFallbehindThreshold", "consumerManageThreadPoolNums",
	"consumerManagerThreadPoolQueueCapacity", "consumerOffsetUpdateVersionStep", "controllerAddr",
	"controllerHeartBeatTimeoutMills", "correctLogicMinOffsetForceInterval",
	"correctLogicMinOffsetSleepInterval", "dLegerGroup", "dLegerPeers", "dLegerSelfId",
	"dataReadAheadEnable", "debugLockEnable", "defaultMessageRequestMode", "defaultPopShareQueueNum",
	"defaultQueryMaxNum", "delayOffsetUpdateVersionStep", "deleteCommitLogFilesInterval",
	"deleteConsumeQueueFilesInterval", "destroyMapedFileIntervalForcibly", "disableCallbackExecutor",
	"disableConsumeIfConsumerReadSlowly", "disableNettyWorkerGroup", "disappearTimeAfterStart",
	"diskFallRecorded", "dispatchCqCacheNum", "dispatchCqThreads", "dispatchFromSenderThread",
	"duplicationEnable", "enableAcceleratedRecovery", "enableAsyncReput", "enableAutoInSyncReplicas",
	"enableBatchPush", "enableBroadcastOffsetStore", "enableBuildConsumeQueueConcurrently",
	"enableCalcFilterBitMap", "enableCleanExpiredOffset", "enableCompaction",
	"enableConnectionMetrics", "enableConsumeQueueExt", "enableControllerMode",
	"enableCreateSysGroup", "enableDLegerCommitLog", "enableDetailStat",
	"enableFastChannelEventProcess", "enableLagAndDlqMetrics", "enableLmq", "enableLmqStats",
	"enableLogConsumeQueueRepeatedlyBuildWhenRecover", "enableMessageStoreMetrics",
	"enableMixedMessageType", "enableMultiDispatch", "enableNetWorkFlowControl",
	"enableNotifyAfterPopOrderLockRelease", "enableNotifyBeforePopCalculateLag", "enablePopBatchAck",
	"enablePopBufferMerge", "enablePopLog", "enablePopMessageThreshold", "enablePopMetrics",
	"enablePropertyFilter", "enableReconnectForGoAway", "enableRegisterProducer",
	"enableRemoteEscape", "enableRemotingMetrics", "enableRequestMetrics", "enableRetryTopicV2",
	"enableRocksDBLog", "enableRunningFlagsInFlush", "enableScheduleAsyncDeliver",
	"enableScheduleMessageStats", "enableShutdownGracefully", "enableSingleTopicRegister",
	"enableSkipLongAwaitingAck", "enableSlaveActingMaster", "enableSplitMetadata",
	"enableSplitRegistration", "enableStatsMetrics", "enableTransactionMetrics",
	"endTransactionPoolQueueCapacity", "endTransactionThreadPoolNums", "estimateAccumulation",
	"expectConsumerNumUseFilter", "fastFailIfNoBufferInStorePool", "fetchControllerAddrByDnsLookup",
	"fetchNameSrvAddrByDnsLookup", "fetchNamesrvAddrByAddressServer", "fetchNamesrvAddrInterval",
	"filterDataCleanTimeSpan", "filterServerNums", "filterSupportRetry", "flushCommitLogTimed",
	"flushConsumerOffsetHistoryInterval",
	"flushLeastPagesWhenWarmMapedFile", "forceRegister", "forwardTimeout", "globalColdReadThreshold",
	"haFlowControlEnable", "haMaxGapNotInSync", "haMaxTimeSlaveNotCatchup", "heartbeatThreadPoolNums",
	"heartbeatThreadPoolQueueCapacity", "highSpeedMode", "inBrokerContainer", "inSyncReplicas",
	"initPopOffsetByCheckMsgInMem", "isolateLogEnable", "litePullMessageEnable",
	"litePullMessageThreadPoolNums", "litePullThreadPoolQueueCapacity",
	"loadBalancePollNameServerInterval", "loadBalanceProcessorThreadPoolNums",
	"loadBalanceThreadPoolQueueCapacity", "lockInStrictMode", "logicQueueForceSwapMapInterval",
	"logicQueueSwapMapInterval", "logicQueueSwapMapReserveFileNum",
	"logicalDiskSpaceCleanForciblyThreshold", "mappedFileSizeConsumeQueueExt",
	"mappedFileSizeTimerLog", "mappedFileSwapEnable", "mapperFileSizeBatchConsumeQueue",
	"maxAsyncPutMessageRequests", "maxBatchDeleteFilesNum", "maxChecksumRange", "maxConsumeQueueScan",
	"maxDelayTime", "maxErrorRateOfBloomFilter", "maxFilterMessageSize", "maxHaTransferByteInSecond",
	"maxLmqConsumeQueueNum", "maxOffsetMapSize", "maxPopPollingSize",
	"maxReconnectIntervalTimeSeconds", "maxRecoveryCommitlogFiles", "maxSlaveResendLength",
	"maxStatsIdleTimeInMinutes", "maxTopicLength", "maxTransferBytesOnMessageInDisk",
	"maxTransferCountOnMessageInDisk", "memTableFlushIntervalMs", "messageStorePlugIn",
	"metricGrpcExporterIntervalInMills", "metricGrpcExporterTimeOutInMills",
	"metricLoggingExporterIntervalInMills", "metricsExporterType", "metricsGrpcExporterHeader",
	"metricsGrpcExporterTarget", "metricsInDelta", "metricsLabel", "metricsOtelCardinalityLimit",
	"metricsPromExporterHost", "metricsPromExporterPort", "minInSyncReplicas", "msgTraceTopicName",
	"notifyConsumerIdsChangedEnable", "offsetCheckInSlave", "osPageCacheBusyTimeOutMills",
	"popCkMaxBufferSize", "popCkOffsetMaxQueueSize", "popCkStayBufferTime", "popCkStayBufferTimeOut",
	"popConsumerFSServiceInit", "popConsumerKVServiceEnable", "popConsumerKVServiceInit",
	"popConsumerKVServiceLog", "popFromRetryProbability", "popInflightMessageThreshold",
	"popLongPollingForceNotifyInterval", "popPollingMapExpireTimeSeconds", "popPollingMapSize",
	"popPollingSize", "popResponseReturnActualRetryTopic", "popReviveMaxAttemptTimes",
	"popReviveMaxReturnSizePerRead", "preferredLeaderId", "printChannelGroups",
	"printChannelGroupsMinNum", "processReplyMessageThreadPoolNums", "pullBatchMaxMessageCount",
	"pullMessageThreadPoolNums", "pullThreadPoolQueueCapacity", "putConsumeQueueDataByFileChannel",
	"putMessageFutureThreadPoolNums", "putMessageTimeout", "putMsgIndexHightWater",
	"putThreadPoolQueueCapacity", "queryMessageThreadPoolNums", "queryThreadPoolQueueCapacity",
	"readOnlyCommitLogStorePaths", "readUnCommitted", "realTimeNotifyConsumerChange",
	"realTimePersistRocksDBConfig", "recallMessageEnable", "recheckReputOffsetFromCq",
	"recoverConcurrently", "recoverThreadPoolNums", "redeleteHangedFileInterval", "regionId",
	"rejectPullConsumerEnable", "rejectTransactionMessage", "replicasPerDiskPartition",
	"replyThreadPoolQueueCapacity", "retrieveMessageFromPopRetryTopicV1", "reviveAckWaitMs",
	"reviveInterval", "reviveMaxSlow", "reviveQueueNum", "reviveScanTime", "rocketmqHome",
	"rocksdbCQDoubleWriteEnable", "rocksdbCompressionType", "rocksdbFlushWalFrequency",
	"rocksdbWalFileRollingThreshold", "sampleCountThreshold", "sampleSteps", "scanAvailableNameSrv",
	"scheduleAsyncDeliverMaxPendingLimit", "scheduleAsyncDeliverMaxResendNum2Blocked",
	"searchBcqByCacheEnable", "sendHeartbeatTimeoutMillis", "sendMessageThreadPoolNums",
	"sendThreadPoolQueueCapacity", "serverAsyncSemaphoreValue", "serverCallbackExecutorThreads",
	"serverChannelMaxIdleTimeSeconds", "serverLoadBalancerEnable", "serverNettyWorkerGroupEnable",
	"serverOnewaySemaphoreValue", "serverPooledByteBufAllocatorEnable", "serverSelectorThreads",
	"serverSocketBacklog", "serverSocketRcvBufSize", "serverSocketSndBufSize", "serverWorkerThreads",
	"shutdownWaitTimeSeconds", "skipPreOnline", "skipWhenCKRePutReachMaxTimes",
	"socksProxyConfig", "spinLockCollisionRetreatOptimalDegree", "splitMetadataSize",
	"splitRegistrationSize", "startAcceptSendRequestTimeStamp", "statRocksDBCQIntervalSec",
	"storePathBrokerIdentity", "storePathDLedgerCommitLog", "storePathEpochFile",
	"storeReplyMessageEnable", "storeType", "subscriptionExpiredTimeout",
	"syncBrokerMemberGroupPeriod", "syncBrokerMetadataPeriod", "syncControllerMetadataPeriod",
	"syncFromLastFile", "syncMasterFlushOffsetWhenStartup", "timerCheckMetricsWhen",
	"timerColdDataCheckIntervalMs", "timerCongestNumEachSlot", "timerEnableCheckMetrics",
	"timerEnableDisruptor", "timerEnableRetryUntilSuccess", "timerFlushIntervalMs",
	"timerGetMessageThreadNum", "timerInterceptDelayLevel", "timerMaxDelaySec",
	"timerMetricSmallThreshold", "timerPrecisionMs", "timerProgressLogIntervalMs",
	"timerPutMessageThreadNum", "timerRollWindowSlot", "timerSkipUnknownError", "timerStopDequeue",
	"timerStopEnqueue", "timerWarmEnable", "timerWheelEnable", "topicQueueLockNum", "totalReplicas",
	"traceOn", "traceTopicEnable",
	"transactionMetricFlushInterval", "transactionOpBatchInterval", "transactionOpMsgMaxSize",
	"transferMsgByHeap", "transientStorePoolEnable", "transientStorePoolSize",
	"travelCqFileNumWhenGetMessage", "updateNameServerAddrPeriod", "useABSLock",
	"useEpollNativeSelector", "usePIDColdCtrStrategy", "useReentrantLockWhenPutMessage",
	"useServerSideResetOffset", "useStaticSubscription", "useTLS",
	"validateSystemTopicWhenUpdateTopic", "waitTimeMillsInAckQueue",
	"waitTimeMillsInAdminBrokerQueue", "waitTimeMillsInHeartbeatQueue",
	"waitTimeMillsInLitePullQueue", "waitTimeMillsInPullQueue", "waitTimeMillsInSendQueue",
	"waitTimeMillsInTransactionQueue", "wakeCommitWhenPutMessage", "wakeFlushWhenPutMessage",
	"writeBufferHighWaterMark", "writeBufferLowWaterMark", "writeWithoutMmap",
}
