package brokerconf

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
)

// TestEveryKey sets each key to a value other than its default and checks
// the field it lands in and what -p prints for it.
func TestEveryKey(t *testing.T) {
	cases := []struct {
		line  string
		print string // "" = the value as written
		check func(t *testing.T, c Config)
	}{
		{"brokerClusterName=Prod", "", func(t *testing.T, c Config) { require.Equal(t, "Prod", c.Broker.ClusterName) }},
		{"brokerName=broker-z", "", func(t *testing.T, c Config) { require.Equal(t, "broker-z", c.Broker.BrokerName) }},
		{"brokerId=2", "", func(t *testing.T, c Config) { require.Equal(t, int64(2), c.Broker.BrokerID) }},
		{"brokerRole=SYNC_MASTER", "", func(t *testing.T, c Config) { require.Equal(t, broker.RoleSyncMaster, c.Broker.Role) }},
		{"brokerRole=SLAVE", "", func(t *testing.T, c Config) { require.Equal(t, broker.RoleSlave, c.Broker.Role) }},
		{"namesrvAddr=a:1;b.example:9876", "", func(t *testing.T, c Config) {
			require.Equal(t, []string{"a:1", "b.example:9876"}, c.Broker.NamesrvAddrs)
		}},
		{"namesrvAddr=[::1]:9876", "", func(t *testing.T, c Config) { require.Equal(t, []string{"[::1]:9876"}, c.Broker.NamesrvAddrs) }},
		{"namesrvAddr=", "", func(t *testing.T, c Config) { require.Empty(t, c.Broker.NamesrvAddrs) }},
		{"listenPort=0", "", func(t *testing.T, c Config) { require.Equal(t, 0, c.ListenPort) }},
		{"haListenPort=20912", "", func(t *testing.T, c Config) {
			require.Equal(t, "0.0.0.0:20912", c.BrokerConfig().HAListenAddr)
		}},
		{"haListenPort=0", "", func(t *testing.T, c Config) { require.Empty(t, c.BrokerConfig().HAListenAddr, "listenPort + 1") }},
		{"haMasterAddress=10.0.0.1:10912", "", func(t *testing.T, c Config) { require.Equal(t, "10.0.0.1:10912", c.Broker.HAMasterAddr) }},
		{"haMasterAddress=", "", func(t *testing.T, c Config) { require.Empty(t, c.Broker.HAMasterAddr) }},
		{"slaveReadEnable=true", "", func(t *testing.T, c Config) { require.True(t, c.Broker.SlaveReadEnable) }},
		{"haTransferBatchSize=65536", "", func(t *testing.T, c Config) { require.Equal(t, 65536, c.Broker.HA.TransferBatchBytes) }},
		{"haSendHeartbeatInterval=2000", "", func(t *testing.T, c Config) {
			require.Equal(t, 2*time.Second, c.Broker.HA.HeartbeatInterval)
		}},
		{"haHousekeepingInterval=30000", "", func(t *testing.T, c Config) {
			require.Equal(t, 30*time.Second, c.Broker.HA.HousekeepingInterval)
		}},
		{"haSlaveFallbehindMax=1048576", "", func(t *testing.T, c Config) {
			require.Equal(t, int64(1<<20), c.Broker.HA.SlaveFallBehindMaxBytes)
		}},
		{"slaveTimeout=1500", "", func(t *testing.T, c Config) { require.Equal(t, 1500*time.Millisecond, c.Broker.HA.SlaveTimeout) }},
		{"listenPort=65535", "", func(t *testing.T, c Config) { require.Equal(t, 65535, c.ListenPort) }},
		{"bindAddress=127.0.0.1", "", func(t *testing.T, c Config) { require.Equal(t, "127.0.0.1:10911", c.ListenAddr()) }},
		{"brokerIP1=192.0.2.1", "", func(t *testing.T, c Config) {
			require.Equal(t, netip.MustParseAddr("192.0.2.1"), c.Broker.BrokerIP1)
		}},
		{"brokerIP1=::ffff:192.0.2.1", "192.0.2.1", func(t *testing.T, c Config) {
			require.True(t, c.Broker.BrokerIP1.Is4())
		}},
		{"storePathRootDir=/data/rmq", "", func(t *testing.T, c Config) {
			require.Equal(t, "/data/rmq", c.Broker.Store.RootDir)
			require.Equal(t, "/data/rmq/commitlog", c.CommitLogDir())
		}},
		{"storePathCommitLog=/home/u/store/commitlog", "", func(t *testing.T, c Config) {
			require.Equal(t, "/home/u/store/commitlog", c.StorePathCommitLog)
		}},
		{"logDir=/var/log/x", "", func(t *testing.T, c Config) { require.Equal(t, "/var/log/x", c.LogDir) }},
		{"mapedFileSizeCommitLog=1048576", "", func(t *testing.T, c Config) {
			require.Equal(t, int64(1<<20), c.Broker.Store.CommitLog.SegmentSizeBytes)
		}},
		{"mappedFileSizeCommitLog=4096", "", func(t *testing.T, c Config) {
			require.Equal(t, int64(4096), c.Broker.Store.CommitLog.SegmentSizeBytes)
		}},
		{"mapedFileSizeConsumeQueue=6000", "", func(t *testing.T, c Config) { require.Equal(t, 300, c.Broker.Store.ConsumeQueueUnitsPerFile) }},
		{"mappedFileSizeConsumeQueue=6001", "6020", func(t *testing.T, c Config) {
			require.Equal(t, 301, c.Broker.Store.ConsumeQueueUnitsPerFile, "rounded up to whole units, as RocketMQ")
		}},
		{"mappedFileSizeConsumeQueue=1", "20", func(t *testing.T, c Config) { require.Equal(t, 1, c.Broker.Store.ConsumeQueueUnitsPerFile) }},
		{"flushDiskType=SYNC_FLUSH", "", func(t *testing.T, c Config) {
			require.Equal(t, commitlog.FlushSync, c.Broker.Store.CommitLog.FlushMode)
		}},
		{"flushIntervalCommitLog=200", "", func(t *testing.T, c Config) {
			require.Equal(t, 200*time.Millisecond, c.Broker.Store.CommitLog.FlushInterval)
		}},
		{"flushCommitLogLeastPages=1", "", func(t *testing.T, c Config) { require.Equal(t, 1, c.Broker.Store.CommitLog.FlushLeastPages) }},
		{"flushCommitLogThoroughInterval=20000", "", func(t *testing.T, c Config) {
			require.Equal(t, 20*time.Second, c.Broker.Store.CommitLog.FlushThoroughInterval)
		}},
		{"syncFlushTimeout=1500", "", func(t *testing.T, c Config) {
			require.Equal(t, 1500*time.Millisecond, c.Broker.Store.CommitLog.SyncFlushTimeout)
		}},
		{"flushIntervalConsumeQueue=3000", "", func(t *testing.T, c Config) {
			require.Equal(t, 3*time.Second, c.Broker.Store.FlushConsumeQueueInterval)
		}},
		{"flushConsumeQueueLeastPages=7", "", func(t *testing.T, c Config) { require.Equal(t, 7, c.Broker.Store.FlushConsumeQueueLeastPages) }},
		{"flushConsumeQueueThoroughInterval=1", "", func(t *testing.T, c Config) {
			require.Equal(t, time.Millisecond, c.Broker.Store.FlushConsumeQueueThoroughInterval)
		}},
		{"warmMapedFileEnable=true", "", func(t *testing.T, c Config) { require.True(t, c.Broker.Store.CommitLog.WarmMappedFile) }},
		{"warmMappedFileEnable=TRUE", "true", func(t *testing.T, c Config) { require.True(t, c.Broker.Store.CommitLog.WarmMappedFile) }},
		{"enabledAppendPropCRC=true", "", func(t *testing.T, c Config) { require.True(t, c.Broker.Store.CommitLog.AppendPropCRC) }},
		{"forceVerifyPropCRC=true", "", func(t *testing.T, c Config) { require.True(t, c.Broker.Store.CommitLog.VerifyPropCRC) }},
		{"messageIndexEnable=false", "", func(t *testing.T, c Config) { require.False(t, c.Broker.Store.MessageIndexEnable) }},
		{"messageIndexSafe=True", "true", func(t *testing.T, c Config) { require.True(t, c.Broker.Store.MessageIndexSafe) }},
		{"maxHashSlotNum=1000", "", func(t *testing.T, c Config) { require.Equal(t, 1000, c.Broker.Store.IndexHashSlots) }},
		{"maxIndexNum=4000", "", func(t *testing.T, c Config) { require.Equal(t, 4000, c.Broker.Store.IndexMaxEntries) }},
		{"maxMsgsNumBatch=128", "", func(t *testing.T, c Config) { require.Equal(t, 128, c.Broker.Store.MaxQueryResults) }},
		{"deleteWhen=01;02;03", "", func(t *testing.T, c Config) { require.Equal(t, []int{1, 2, 3}, c.Broker.Store.DeleteWhen) }},
		{"deleteWhen= 4 ; 4;23", "04;23", func(t *testing.T, c Config) { require.Equal(t, []int{4, 23}, c.Broker.Store.DeleteWhen) }},
		{"deleteWhen=", "", func(t *testing.T, c Config) { require.Empty(t, c.Broker.Store.DeleteWhen) }},
		{"fileReservedTime=48", "", func(t *testing.T, c Config) { require.Equal(t, 48*time.Hour, c.Broker.Store.FileReservedTime) }},
		{"diskMaxUsedSpaceRatio=88", "", func(t *testing.T, c Config) { require.InDelta(t, 0.88, c.Broker.Store.DiskMaxUsedSpaceRatio, 1e-9) }},
		{"diskSpaceWarningLevelRatio=85", "", func(t *testing.T, c Config) {
			require.InDelta(t, 0.85, c.Broker.Store.DiskSpaceWarningLevelRatio, 1e-9)
		}},
		{"diskSpaceCleanForciblyRatio=80", "", func(t *testing.T, c Config) {
			require.InDelta(t, 0.80, c.Broker.Store.DiskSpaceCleanForciblyRatio, 1e-9)
		}},
		{"cleanResourceInterval=60000", "", func(t *testing.T, c Config) { require.Equal(t, time.Minute, c.Broker.Store.CleanResourceInterval) }},
		{"deleteFileBatchMax=3", "", func(t *testing.T, c Config) { require.Equal(t, 3, c.Broker.Store.DeleteFileBatchMax) }},
		{"messageDelayLevel=1s 60s 1d", "1s 1m 1d", func(t *testing.T, c Config) {
			require.Equal(t, []time.Duration{time.Second, time.Minute, 24 * time.Hour}, c.Broker.Store.DelayLevels)
		}},
		{"maxTransferCountOnMessageInMemory=400", "", func(t *testing.T, c Config) {
			require.Equal(t, 400, c.Broker.Store.MaxTransferCountOnMessage)
		}},
		{"maxTransferBytesOnMessageInMemory=1048576", "", func(t *testing.T, c Config) {
			require.Equal(t, 1<<20, c.Broker.Store.MaxTransferBytesOnMessage)
		}},
		{"maxMessageSize=65536", "", func(t *testing.T, c Config) { require.Equal(t, 65536, c.Broker.MaxMessageSize) }},
		{"defaultTopicQueueNums=4", "", func(t *testing.T, c Config) { require.Equal(t, int32(4), c.Broker.DefaultTopicQueueNums) }},
		{"brokerPermission=4", "", func(t *testing.T, c Config) { require.Equal(t, int32(4), c.Broker.BrokerPermission) }},
		{"autoCreateTopicEnable=false", "", func(t *testing.T, c Config) { require.False(t, c.Broker.AutoCreateTopicEnable) }},
		{"autoCreateSubscriptionGroup=false", "", func(t *testing.T, c Config) { require.False(t, c.Broker.AutoCreateSubscriptionGroup) }},
		{"longPollingEnable=false", "", func(t *testing.T, c Config) { require.False(t, c.Broker.LongPollingEnable) }},
		{"shortPollingTimeMills=250", "", func(t *testing.T, c Config) { require.Equal(t, 250*time.Millisecond, c.Broker.ShortPollingTime) }},
		{"registerNameServerPeriod=10000", "", func(t *testing.T, c Config) { require.Equal(t, 10*time.Second, c.Broker.RegisterPeriod) }},
		{"registerBrokerTimeoutMills=24000", "", func(t *testing.T, c Config) { require.Equal(t, 24*time.Second, c.Broker.RegisterTimeout) }},
		{"flushConsumerOffsetInterval=1000", "", func(t *testing.T, c Config) { require.Equal(t, time.Second, c.Broker.FlushOffsetInterval) }},
		{"flushDelayOffsetInterval=2000", "", func(t *testing.T, c Config) { require.Equal(t, 2*time.Second, c.Broker.FlushDelayOffsetInterval) }},
		{"channelExpiredTimeout=30000", "", func(t *testing.T, c Config) { require.Equal(t, 30*time.Second, c.Broker.ChannelExpiredTimeout) }},
		{"transactionCheckInterval=30000", "", func(t *testing.T, c Config) { require.Equal(t, 30*time.Second, c.Broker.Transaction.CheckInterval) }},
		{"transactionTimeOut=3000", "", func(t *testing.T, c Config) { require.Equal(t, 3*time.Second, c.Broker.Transaction.Timeout) }},
		{"transactionCheckMax=5", "", func(t *testing.T, c Config) { require.Equal(t, 5, c.Broker.Transaction.CheckMax) }},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, warnings, err := Parse([]byte(tc.line+"\n"), testDefault())
			require.NoError(t, err)
			require.Empty(t, warnings)
			tc.check(t, c)
			name, value, _ := strings.Cut(tc.line, "=")
			if tc.print != "" {
				value = tc.print
			}
			canonical := byName[name].name
			require.Equal(t, value, c.Properties()[canonical], "-p prints %s", canonical)
		})
	}
}

func TestBadValues(t *testing.T) {
	cases := []string{
		"brokerClusterName=",
		"transactionCheckMax=0",
		"transactionCheckMax=1001",
		"transactionTimeOut=0",
		"flushDelayOffsetInterval=0",
		"flushDelayOffsetInterval=-5",
		"brokerName=a b",
		"brokerName=" + strings.Repeat("x", maxNameBytes+1),
		"brokerId=-1",
		"brokerId=one",
		"brokerRole=MASTER",
		"brokerRole=async_master",
		"namesrvAddr=127.0.0.1",
		"namesrvAddr=127.0.0.1:0",
		"namesrvAddr=:9876",
		"namesrvAddr=a:9876;b:x",
		"namesrvAddr=" + strings.Repeat("h:1;", maxNamesrvAddrs+1),
		"listenPort=65536",
		"listenPort=-1",
		"haListenPort=65536",
		"haMasterAddress=10.0.0.1",
		"haMasterAddress=:10912",
		"haMasterAddress=10.0.0.1:0",
		"haTransferBatchSize=0",
		"haTransferBatchSize=4194305",
		"haSlaveFallbehindMax=0",
		"slaveTimeout=0",
		"listenPort=10911x",
		"bindAddress=localhost",
		"brokerIP1=0.0.0.0",
		"brokerIP1=fe80::1%eth0",
		"brokerIP1=host",
		"storePathRootDir=",
		"storePathCommitLog=/a;/b",
		"logDir=",
		"mapedFileSizeCommitLog=1024",
		"mappedFileSizeCommitLog=-1073741824",
		"mappedFileSizeCommitLog=4294967296",
		"mappedFileSizeCommitLog=1g",
		"mappedFileSizeConsumeQueue=0",
		"mappedFileSizeConsumeQueue=2147483648",
		"flushDiskType=ASYNC",
		"flushIntervalCommitLog=0",
		"flushIntervalCommitLog=-500",
		"flushIntervalCommitLog=86400001",
		"flushCommitLogLeastPages=0",
		"flushCommitLogLeastPages=-4",
		"flushCommitLogThoroughInterval=1.5",
		"syncFlushTimeout=",
		"flushIntervalConsumeQueue=0",
		"flushConsumeQueueLeastPages=0",
		"flushConsumeQueueThoroughInterval=x",
		"warmMapedFileEnable=yes",
		"enabledAppendPropCRC=1",
		"forceVerifyPropCRC=",
		"messageIndexEnable=on",
		"messageIndexSafe=no",
		"maxHashSlotNum=0",
		"maxIndexNum=-5",
		"maxMsgsNumBatch=0",
		"deleteWhen=24",
		"deleteWhen=04;x",
		"deleteWhen=-1",
		"fileReservedTime=0",
		"fileReservedTime=72h",
		"fileReservedTime=876001",
		"diskMaxUsedSpaceRatio=0.75",
		"diskMaxUsedSpaceRatio=99",
		"diskMaxUsedSpaceRatio=5",
		"diskSpaceWarningLevelRatio=95",
		"diskSpaceCleanForciblyRatio=20",
		"cleanResourceInterval=0",
		"deleteFileBatchMax=0",
		"messageDelayLevel=",
		"messageDelayLevel=1x",
		"messageDelayLevel=s",
		"messageDelayLevel=1s -5s",
		"messageDelayLevel=366d",
		"messageDelayLevel=99999999999999h",
		"messageDelayLevel=" + strings.TrimSpace(strings.Repeat("1s ", maxDelayLevels+1)),
		"maxTransferCountOnMessageInMemory=0",
		"maxTransferBytesOnMessageInMemory=0",
		"maxMessageSize=0",
		"maxMessageSize=-1",
		"maxMessageSize=16777217",
		"defaultTopicQueueNums=0",
		"defaultTopicQueueNums=1025",
		"brokerPermission=0",
		"brokerPermission=16",
		"autoCreateTopicEnable=ture",
		"autoCreateSubscriptionGroup=",
		"longPollingEnable=0",
		"shortPollingTimeMills=0",
		"registerNameServerPeriod=-30000",
		"registerBrokerTimeoutMills=six",
		"flushConsumerOffsetInterval=0",
		"channelExpiredTimeout=0",
		"enableDLegerCommitLog=true",
		"enableDLegerCommitLog=maybe",
		"enableControllerMode=TRUE",
		"storeType=defaultRocksDB",
		"deleteCommitLogFilesInterval=abc",
		"deleteCommitLogFilesInterval=-1",
	}
	for _, line := range cases {
		t.Run(line, func(t *testing.T) {
			before := testDefault()
			got, _, err := Parse([]byte(line+"\n"), before)
			require.ErrorIs(t, err, ErrConfig)
			name, value, _ := strings.Cut(line, "=")
			require.Contains(t, err.Error(), name+"=", "the error names the key")
			require.Contains(t, err.Error(), value, "the error names the value")
			require.Equal(t, before.Properties(), got.Properties(), "a failed parse changes nothing")
		})
	}
}

func TestWarnings(t *testing.T) {
	c, warnings, err := Parse([]byte(`
# A RocketMQ broker.conf with keys Apogee does not use.
brokerName=broker-a
haFlowControlEnable=false
sendMessageThreadPoolNums=16
brokerNmae=typo
deleteCommitLogFilesInterval=100
enableDLegerCommitLog=false
storeType=default
transientStorePoolEnable=true
`), testDefault())
	require.NoError(t, err)
	require.Equal(t, "broker-a", c.Broker.BrokerName)
	require.Equal(t, []Warning{
		{"brokerNmae", Unknown},
		{"deleteCommitLogFilesInterval", Ignored},
		{"enableDLegerCommitLog", Ignored},
		{"haFlowControlEnable", Ignored},
		{"sendMessageThreadPoolNums", Ignored},
		{"storeType", Ignored},
		{"transientStorePoolEnable", Ignored},
	}, warnings)
	require.Equal(t, `key "haFlowControlEnable" ignored: a RocketMQ setting Apogee does not use`, warnings[3].String())
	require.Equal(t, `unknown key "brokerNmae" ignored`, warnings[0].String())
}

func TestTwoSpellingsOfOneKey(t *testing.T) {
	c, warnings, err := Parse([]byte("mapedFileSizeCommitLog=65536\nmappedFileSizeCommitLog = 65536\n"), testDefault())
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, int64(65536), c.Broker.Store.CommitLog.SegmentSizeBytes)

	_, _, err = Parse([]byte("mapedFileSizeCommitLog=65536\nmappedFileSizeCommitLog=131072\n"), testDefault())
	require.ErrorIs(t, err, ErrConfig)
	require.Contains(t, err.Error(), `mapedFileSizeCommitLog="65536" and mappedFileSizeCommitLog="131072"`)

	c, _, err = Parse([]byte("brokerName=a\nbrokerName=b\n"), testDefault())
	require.NoError(t, err)
	require.Equal(t, "b", c.Broker.BrokerName, "one spelling twice: the last wins, as in Java")
}

func TestParseRejectsBadFiles(t *testing.T) {
	_, _, err := Parse([]byte(strings.Repeat("#", MaxFileBytes+1)), testDefault())
	require.ErrorIs(t, err, ErrConfig)
	_, _, err = Parse([]byte(`brokerName=\u12`), testDefault())
	require.ErrorIs(t, err, ErrConfig)
}

func TestParseTrimsValues(t *testing.T) {
	c, _, err := Parse([]byte("listenPort=10912  \nbrokerName = b  \n"), testDefault())
	require.NoError(t, err)
	require.Equal(t, 10912, c.ListenPort)
	require.Equal(t, "b", c.Broker.BrokerName)
}

func TestKeyTables(t *testing.T) {
	for _, k := range keys {
		for _, n := range append([]string{k.name}, k.aliases...) {
			require.False(t, ignoredKeys[n], "%s is applied and ignored", n)
			require.Same(t, byName[n], byName[k.name])
		}
	}
	for n := range ignoredChecks {
		require.True(t, ignoredKeys[n], "%s is checked but not listed", n)
	}
	require.True(t, sortedStrings(ignoredKeyList))
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

// FuzzParse checks that no document makes Parse panic or return an error
// outside ErrConfig, and that every valid configuration survives -p.
func FuzzParse(f *testing.F) {
	f.Add([]byte("brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\ndeleteWhen=04\nfileReservedTime=48\n" +
		"brokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\n"))
	f.Add([]byte("namesrvAddr=127.0.0.1:9876;[::1]:9876\nmessageDelayLevel=1s 5m 2h 1d\nmapedFileSizeConsumeQueue=6001\n"))
	f.Add([]byte("mapedFileSizeCommitLog=4096\nmappedFileSizeCommitLog=4096\nhaListenPort=1\nx=y\n"))
	f.Add([]byte("storePathRootDir=\\u00e9\\\\x\nstorePathCommitLog=/x/commitlog\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse(data, testDefault())
		if err != nil {
			require.ErrorIs(t, err, ErrConfig)
			return
		}
		if c.Validate() != nil {
			return
		}
		var out bytes.Buffer
		require.NoError(t, c.Print(&out))
		again, warnings, err := Parse(out.Bytes(), testDefault())
		require.NoError(t, err, "%s", out.String())
		require.Empty(t, warnings)
		require.Equal(t, c.Properties(), again.Properties())
	})
}
