// Package brokerconf reads RocketMQ's broker.conf into a broker's
// configuration, for the mqbroker and apogee commands.
//
// # Format
//
// broker.conf is a Java properties file (see cmdutil.ParseProperties:
// UTF-8, no ${} expansion). Values are trimmed of surrounding white space
// (Java keeps trailing spaces, which then fail RocketMQ's number parsing).
// A file is at most MaxFileBytes. Keys are RocketMQ's field names; where
// RocketMQ has two spellings both are read and -p prints the first one
// listed:
//
//	key                                  unit / syntax          default       applies to
//	brokerClusterName                    name                   DefaultCluster  broker
//	brokerName                           name                   broker-a      broker
//	brokerId                             0..2^63-1              0             broker (0 = master)
//	brokerRole                           ASYNC_MASTER|SYNC_MASTER|SLAVE       broker
//	namesrvAddr                          host:port;host:port    NAMESRV_ADDR  broker
//	listenPort                           0..65535               10911         listener (0 = any free port)
//	bindAddress                          IP                     0.0.0.0       listener
//	brokerIP1                            IP, not 0.0.0.0        first IPv4    published address, store host
//	storePathRootDir                     path                   $HOME/store   store
//	storePathCommitLog                   path                   <root>/commitlog  store (must be that)
//	logDir                               path                   $HOME/logs/rocketmqlogs  broker.log (Apogee's key)
//	mappedFileSizeCommitLog, mapedFileSizeCommitLog  bytes 4096..2^31-1  1 GiB  CommitLog segment size
//	mappedFileSizeConsumeQueue, mapedFileSizeConsumeQueue  bytes, rounded up to 20s  6,000,000  ConsumeQueue file
//	flushDiskType                        ASYNC_FLUSH|SYNC_FLUSH ASYNC_FLUSH
//	flushIntervalCommitLog               ms                     500
//	flushCommitLogLeastPages             4 KiB pages, >= 1      4
//	flushCommitLogThoroughInterval       ms                     10000
//	syncFlushTimeout                     ms                     5000
//	flushIntervalConsumeQueue            ms                     1000
//	flushConsumeQueueLeastPages          4 KiB pages, >= 1      2
//	flushConsumeQueueThoroughInterval    ms                     60000
//	warmMapedFileEnable, warmMappedFileEnable  bool            false
//	enabledAppendPropCRC                 bool                   false
//	forceVerifyPropCRC                   bool                   false         (needs enabledAppendPropCRC)
//	messageIndexEnable                   bool                   true
//	messageIndexSafe                     bool                   false
//	maxHashSlotNum                       slots                  5000000       IndexFile geometry
//	maxIndexNum                          entries                20000000      IndexFile geometry
//	maxMsgsNumBatch                      1..65536               64            key query results
//	deleteWhen                           hours "04" or "01;02"  04            retention ("" = none)
//	fileReservedTime                     hours >= 1             72            retention
//	diskMaxUsedSpaceRatio                percent 10..95         75            retention
//	diskSpaceWarningLevelRatio           percent 35..90         90            puts refused above
//	diskSpaceCleanForciblyRatio          percent 30..85         85            age ignored above
//	cleanResourceInterval                ms                     10000         retention
//	deleteFileBatchMax                   files 1..10000         10            retention
//	messageDelayLevel                    "1s 5s ... 2h" (s m h d)  RocketMQ's 18 levels
//	maxTransferCountOnMessageInMemory    1..65536               32            one pull
//	maxTransferBytesOnMessageInMemory    bytes                  262144        one pull
//	maxMessageSize                       bytes, <= 16 MiB       4194304       body and batch limit
//	defaultTopicQueueNums                1..1024                8             auto-created topics
//	brokerPermission                     bits 1..15             6             published permission
//	autoCreateTopicEnable                bool                   true
//	autoCreateSubscriptionGroup          bool                   true
//	longPollingEnable                    bool                   true
//	shortPollingTimeMills                ms                     1000
//	registerNameServerPeriod             ms                     30000
//	registerBrokerTimeoutMills           ms                     6000
//	flushConsumerOffsetInterval          ms                     5000
//	flushDelayOffsetInterval             ms                     10000         delayOffset.json, timerOffset.json
//	channelExpiredTimeout                ms                     120000
//	transactionCheckInterval             ms                     60000         check-back period
//	transactionTimeOut                   ms                     6000          first check after
//	transactionCheckMax                  checks 1..1000         15            then discarded
//	haListenPort                         0..65535               0             master's HA port (0 = listenPort + 1)
//	haMasterAddress                      host:port or empty     empty         slave's master HA address (empty: name server's)
//	slaveReadEnable                      bool                   false         pulls may be steered to a slave
//	haTransferBatchSize                  bytes 1..4 MiB         32768         one frame to a slave
//	haSendHeartbeatInterval              ms                     5000          replication heartbeat
//	haHousekeepingInterval               ms                     20000         idle replication connection closed
//	haSlaveFallbehindMax                 bytes                  268435456     SYNC_MASTER does not wait past it
//	slaveTimeout                         ms                     3000          SYNC_MASTER wait for a slave
//
// Periods and timeouts are 1 ms to one day: 0 is refused because the
// components read a zero duration as their default, not as RocketMQ does.
// For the same reason the "least pages" counts refuse 0 and
// brokerPermission refuses 0.
//
// # Keys that are not applied
//
// Every other key of RocketMQ's BrokerConfig, BrokerIdentity,
// MessageStoreConfig, NettyServerConfig and NettyClientConfig is reported
// once as Ignored, and any key RocketMQ does not know either as Unknown;
// neither stops the broker. A few ignored keys are still checked: values
// that would make a different broker (enableDLegerCommitLog=true,
// enableControllerMode=true, storeType other than default) are errors, and
// deleteCommitLogFilesInterval must be a number of milliseconds.
//
// # Precedence
//
// The commands build a Config from Default, then the NAMESRV_ADDR
// environment variable (through Set("namesrvAddr", ...)), then the file
// (Parse), then their flags (Set again), and finally call Validate.
//
// # Invariants
//
//   - Parse and Set never panic on any input, and every error they return
//     matches ErrConfig (or ErrUnknownKey from Set) and names the key and
//     the value.
//   - A Config is only changed by a key whose whole value is valid.
//   - Properties(), written out and parsed over Default, gives back a
//     Config with the same Properties() and BrokerConfig(), with no warnings:
//     -p output is a complete broker.conf.
//   - A Config that passed Validate gives broker.New no field it would
//     silently replace with a default.
package brokerconf
