package brokerconf

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
)

var testHostIP = netip.MustParseAddr("10.1.2.3")

func testDefault() Config { return Default("/home/u", testHostIP) }

func TestDefaultIsRocketMQs(t *testing.T) {
	c := testDefault()
	require.NoError(t, c.Validate())
	want := map[string]string{
		"brokerClusterName":                 "DefaultCluster",
		"brokerName":                        "broker-a",
		"brokerId":                          "0",
		"brokerRole":                        "ASYNC_MASTER",
		"namesrvAddr":                       "",
		"listenPort":                        "10911",
		"bindAddress":                       "0.0.0.0",
		"brokerIP1":                         "10.1.2.3",
		"storePathRootDir":                  "/home/u/store",
		"storePathCommitLog":                "/home/u/store/commitlog",
		"logDir":                            "/home/u/logs/rocketmqlogs",
		"mappedFileSizeCommitLog":           "1073741824",
		"mappedFileSizeConsumeQueue":        "6000000",
		"flushDiskType":                     "ASYNC_FLUSH",
		"flushIntervalCommitLog":            "500",
		"flushCommitLogLeastPages":          "4",
		"flushCommitLogThoroughInterval":    "10000",
		"syncFlushTimeout":                  "5000",
		"flushIntervalConsumeQueue":         "1000",
		"flushConsumeQueueLeastPages":       "2",
		"flushConsumeQueueThoroughInterval": "60000",
		"warmMapedFileEnable":               "false",
		"enabledAppendPropCRC":              "false",
		"forceVerifyPropCRC":                "false",
		"messageIndexEnable":                "true",
		"messageIndexSafe":                  "false",
		"maxHashSlotNum":                    "5000000",
		"maxIndexNum":                       "20000000",
		"maxMsgsNumBatch":                   "64",
		"deleteWhen":                        "04",
		"fileReservedTime":                  "72",
		"diskMaxUsedSpaceRatio":             "75",
		"diskSpaceWarningLevelRatio":        "90",
		"diskSpaceCleanForciblyRatio":       "85",
		"cleanResourceInterval":             "10000",
		"deleteFileBatchMax":                "10",
		"messageDelayLevel":                 "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
		"maxTransferCountOnMessageInMemory": "32",
		"maxTransferBytesOnMessageInMemory": "262144",
		"maxMessageSize":                    "4194304",
		"defaultTopicQueueNums":             "8",
		"brokerPermission":                  "6",
		"autoCreateTopicEnable":             "true",
		"autoCreateSubscriptionGroup":       "true",
		"longPollingEnable":                 "true",
		"shortPollingTimeMills":             "1000",
		"haListenPort":                      "0",
		"haMasterAddress":                   "",
		"slaveReadEnable":                   "false",
		"haTransferBatchSize":               "32768",
		"haSendHeartbeatInterval":           "5000",
		"haHousekeepingInterval":            "20000",
		"haSlaveFallbehindMax":              "268435456",
		"slaveTimeout":                      "3000",
		"registerNameServerPeriod":          "30000",
		"registerBrokerTimeoutMills":        "6000",
		"flushConsumerOffsetInterval":       "5000",
		"flushDelayOffsetInterval":          "10000",
		"channelExpiredTimeout":             "120000",
		"transactionCheckInterval":          "60000",
		"transactionTimeOut":                "6000",
		"transactionCheckMax":               "15",
	}
	require.Equal(t, want, c.Properties())
}

func TestBrokerConfig(t *testing.T) {
	c := testDefault()
	require.NoError(t, c.Set("listenPort", "0"))
	require.NoError(t, c.Set("bindAddress", "127.0.0.1"))
	require.NoError(t, c.Set("maxMessageSize", "1024"))
	b := c.BrokerConfig()
	assert.Equal(t, "127.0.0.1:0", b.ListenAddr)
	assert.Equal(t, 1024, b.MaxMessageSize)
	assert.Equal(t, 1024, b.Store.CommitLog.MaxBodySizeBytes)
	assert.Equal(t, testHostIP, b.BrokerIP1)

	require.NoError(t, c.Set("bindAddress", "::"))
	require.NoError(t, c.Set("listenPort", "10911"))
	assert.Equal(t, "[::]:10911", c.BrokerConfig().ListenAddr)
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *Config)
		err    string // "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"commitlog where the store keeps it", func(c *Config) { c.StorePathCommitLog = "/home/u/store/commitlog/" }, ""},
		{"commitlog elsewhere", func(c *Config) { c.StorePathCommitLog = "/data/commitlog" }, `storePathCommitLog="/data/commitlog"`},
		{"commitlog follows the root", func(c *Config) {
			c.Broker.Store.RootDir = "/data"
			c.StorePathCommitLog = "/data/commitlog"
		}, ""},
		{"master with an id", func(c *Config) { c.Broker.BrokerID = 1 }, "brokerId=1 with brokerRole=ASYNC_MASTER"},
		{"sync master with an id", func(c *Config) { c.Broker.Role = broker.RoleSyncMaster; c.Broker.BrokerID = 2 }, "brokerId=2"},
		{"slave with id 0", func(c *Config) { c.Broker.Role = broker.RoleSlave }, "brokerId=0 with brokerRole=SLAVE"},
		{"slave with id 1", func(c *Config) { c.Broker.Role = broker.RoleSlave; c.Broker.BrokerID = 1 }, ""},
		{"message larger than a segment", func(c *Config) {
			c.Broker.Store.CommitLog.SegmentSizeBytes = 1 << 20
			c.Broker.MaxMessageSize = 1 << 20
		}, "maxMessageSize=1048576"},
		{"forcibly above warning", func(c *Config) {
			c.Broker.Store.DiskSpaceCleanForciblyRatio = 0.9
			c.Broker.Store.DiskSpaceWarningLevelRatio = 0.8
		}, "diskSpaceCleanForciblyRatio=90"},
		{"verify without append", func(c *Config) { c.Broker.Store.CommitLog.VerifyPropCRC = true }, "forceVerifyPropCRC"},
		{"verify with append", func(c *Config) {
			c.Broker.Store.CommitLog.VerifyPropCRC = true
			c.Broker.Store.CommitLog.AppendPropCRC = true
		}, ""},
		{"index too large", func(c *Config) { c.Broker.Store.IndexMaxEntries = 1 << 30 }, "maxIndexNum=1073741824"},
		{"index too large but off", func(c *Config) {
			c.Broker.Store.IndexMaxEntries = 1 << 30
			c.Broker.Store.MessageIndexEnable = false
		}, ""},
		{"no broker IP", func(c *Config) { c.Broker.BrokerIP1 = netip.Addr{} }, "brokerIP1"},
		{"no log dir", func(c *Config) { c.LogDir = "" }, "logDir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testDefault()
			tc.change(&c)
			err := c.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrConfig)
			require.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestSet(t *testing.T) {
	c := testDefault()
	require.NoError(t, c.Set("namesrvAddr", " 10.0.0.1:9876;10.0.0.2:9876; "))
	require.Equal(t, []string{"10.0.0.1:9876", "10.0.0.2:9876"}, c.Broker.NamesrvAddrs)
	require.NoError(t, c.Set("mapedFileSizeCommitLog", "65536"), "the old spelling works")
	require.Equal(t, int64(65536), c.Broker.Store.CommitLog.SegmentSizeBytes)

	err := c.Set("haFlowControlEnable", "true")
	require.ErrorIs(t, err, ErrUnknownKey)
	err = c.Set("listenPort", "x")
	require.ErrorIs(t, err, ErrConfig)
	require.Equal(t, broker.DefaultListenPort, c.ListenPort, "a bad value changes nothing")
}

func TestPrintImportant(t *testing.T) {
	c := testDefault()
	require.NoError(t, c.Set("namesrvAddr", "10.0.0.1:9876"))
	var out bytes.Buffer
	require.NoError(t, c.PrintImportant(&out))
	require.Equal(t, `brokerClusterName=DefaultCluster
brokerIP1=10.1.2.3
brokerId=0
brokerName=broker-a
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
listenPort=10911
namesrvAddr=10.0.0.1:9876
storePathRootDir=/home/u/store
`, out.String())
}

// TestPrintRoundTrips checks that -p output is a complete broker.conf: read
// over the defaults it gives back the same configuration.
func TestPrintRoundTrips(t *testing.T) {
	c := testDefault()
	_, err := fileOf(t, &c, `
brokerClusterName=Prod
brokerName=broker-b
brokerId=3
brokerRole=SLAVE
namesrvAddr=ns1:9876;ns2:9876
listenPort=20911
bindAddress=10.1.2.3
brokerIP1=192.0.2.7
storePathRootDir=C:\\rocketmq\\store
logDir=/var/log/apogee
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=600001
flushDiskType=SYNC_FLUSH
enabledAppendPropCRC=true
forceVerifyPropCRC=true
messageDelayLevel=1s 90s 2m 36h 3d
deleteWhen=01;02;23
diskMaxUsedSpaceRatio=60
`)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	var out bytes.Buffer
	require.NoError(t, c.Print(&out))
	again, warnings, err := Parse(out.Bytes(), testDefault())
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.NoError(t, again.Validate())
	require.Equal(t, c.Properties(), again.Properties())
	require.Equal(t, c.BrokerConfig(), again.BrokerConfig())
	require.Equal(t, filepath.Join(`C:\rocketmq\store`, "commitlog"), again.StorePathCommitLog)
	require.Equal(t, []time.Duration{time.Second, 90 * time.Second, 2 * time.Minute, 36 * time.Hour, 72 * time.Hour},
		again.Broker.Store.DelayLevels)
	require.Equal(t, commitlog.FlushSync, again.Broker.Store.CommitLog.FlushMode)
}

// fileOf parses a broker.conf over *c.
func fileOf(t *testing.T, c *Config, text string) ([]Warning, error) {
	t.Helper()
	got, warnings, err := Parse([]byte(text), *c)
	if err == nil {
		*c = got
	}
	return warnings, err
}
