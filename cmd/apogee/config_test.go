package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil/brokerconf"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broker.conf")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func ptr(s string) *string { return &s }

func TestEmbeddedDefaults(t *testing.T) {
	cfg, err := loadConfig(options{home: "/home/u"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:10911", cfg.ListenAddr())
	require.Equal(t, loopback, cfg.Broker.BrokerIP1)
	require.Equal(t, "/home/u/apogee/store", cfg.Broker.Store.RootDir)
	require.Equal(t, "/home/u/apogee/logs", cfg.LogDir)
	require.Empty(t, cfg.Broker.NamesrvAddrs, "the embedded name server is added at start")
	require.Equal(t, int64(devCommitLogSegmentBytes), cfg.Broker.Store.CommitLog.SegmentSizeBytes)
	require.Equal(t, devConsumeQueueUnits, cfg.Broker.Store.ConsumeQueueUnitsPerFile)
	require.Equal(t, devIndexHashSlots, cfg.Broker.Store.IndexHashSlots)
	require.Equal(t, devIndexMaxEntries, cfg.Broker.Store.IndexMaxEntries)
}

func TestFlagsWinOverTheFile(t *testing.T) {
	conf := writeConf(t, "storePathRootDir=/from/file\nlogDir=/from/file/logs\nlistenPort=20911\nbindAddress=0.0.0.0\n"+
		"brokerName=dev\nmapedFileSizeCommitLog=1073741824\nhaFlowControlEnable=true\n")

	var stderr bytes.Buffer
	cfg, err := loadConfig(options{home: "/home/u", configFile: conf}, &stderr)
	require.NoError(t, err)
	require.Equal(t, "/from/file", cfg.Broker.Store.RootDir, "without -data the file decides")
	require.Equal(t, "0.0.0.0:20911", cfg.ListenAddr(), "without -broker-addr the file decides")
	require.Equal(t, "dev", cfg.Broker.BrokerName)
	require.Equal(t, int64(1<<30), cfg.Broker.Store.CommitLog.SegmentSizeBytes, "RocketMQ's sizes on request")
	require.Equal(t, "apogee: "+conf+": key \"haFlowControlEnable\" ignored: a RocketMQ setting Apogee does not use\n", stderr.String())

	cfg, err = loadConfig(options{home: "/home/u", configFile: conf, dataDir: ptr("/data"), brokerAddr: ptr("127.0.0.1:0")}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "/data/store", cfg.Broker.Store.RootDir)
	require.Equal(t, "/data/logs", cfg.LogDir)
	require.Equal(t, "127.0.0.1:0", cfg.ListenAddr())

	cfg, err = loadConfig(options{home: "/home/u", brokerAddr: ptr(":10911")}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:10911", cfg.ListenAddr(), "an empty host listens everywhere")
}

func TestLoadConfigErrors(t *testing.T) {
	cases := map[string]options{
		"-broker-addr":       {brokerAddr: ptr("10911")},
		`bindAddress="host"`: {brokerAddr: ptr("host:10911")},
		`listenPort="x"`:     {brokerAddr: ptr("127.0.0.1:x")},
		`brokerId="x"`:       {configFile: writeConf(t, "brokerId=x\n")},
		"storePathCommitLog": {configFile: writeConf(t, "storePathCommitLog=/elsewhere\n")},
	}
	for want, opts := range cases {
		t.Run(want, func(t *testing.T) {
			opts.home = "/home/u"
			_, err := loadConfig(opts, &bytes.Buffer{})
			require.ErrorContains(t, err, want)
		})
	}
	_, err := loadConfig(options{home: "/home/u", configFile: writeConf(t, "brokerRole=LEADER\n")}, &bytes.Buffer{})
	require.ErrorIs(t, err, brokerconf.ErrConfig)
}

func TestReachable(t *testing.T) {
	host := netip.MustParseAddr("192.0.2.1")
	require.Equal(t, "192.0.2.1:9876", reachable("0.0.0.0:9876", host))
	require.Equal(t, "192.0.2.1:9876", reachable("[::]:9876", host))
	require.Equal(t, "127.0.0.1:9876", reachable("127.0.0.1:9876", host))
	require.Equal(t, "ns.example:9876", reachable("ns.example:9876", host))
}

func TestWithFirst(t *testing.T) {
	require.Equal(t, []string{"a:1"}, withFirst("a:1", nil))
	require.Equal(t, []string{"a:1", "b:2"}, withFirst("a:1", []string{"b:2", "a:1"}))
}
