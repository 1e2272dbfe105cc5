package main

import (
	"bytes"
	"io/fs"
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

func TestNamesrvAddrPrecedence(t *testing.T) {
	withFile := writeConf(t, "namesrvAddr=file:9876\n")
	withoutFile := writeConf(t, "brokerName=broker-b\n")
	cases := []struct {
		name string
		src  sources
		want []string
	}{
		{"nothing", sources{}, nil},
		{"environment only", sources{namesrvEnv: "env1:9876;env2:9876"}, []string{"env1:9876", "env2:9876"}},
		{"file without the key keeps the environment", sources{namesrvEnv: "env:9876", configFile: withoutFile}, []string{"env:9876"}},
		{"file over environment", sources{namesrvEnv: "env:9876", configFile: withFile}, []string{"file:9876"}},
		{"flag over file", sources{namesrvEnv: "env:9876", configFile: withFile, namesrvFlag: ptr("flag:9876")}, []string{"flag:9876"}},
		{"empty flag clears", sources{namesrvEnv: "env:9876", namesrvFlag: ptr("")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.src.home = "/home/u"
			tc.src.hostIP = netip.MustParseAddr("10.0.0.1")
			cfg, err := loadConfig(tc.src, &bytes.Buffer{})
			require.NoError(t, err)
			require.Equal(t, tc.want, cfg.Broker.NamesrvAddrs)
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	src := sources{home: "/home/u", hostIP: netip.MustParseAddr("10.0.0.1")}

	bad := src
	bad.namesrvEnv = "no-port"
	_, err := loadConfig(bad, &bytes.Buffer{})
	require.ErrorIs(t, err, brokerconf.ErrConfig)
	require.Contains(t, err.Error(), "NAMESRV_ADDR")

	bad = src
	bad.namesrvFlag = ptr("h:x")
	_, err = loadConfig(bad, &bytes.Buffer{})
	require.ErrorIs(t, err, brokerconf.ErrConfig)
	require.Contains(t, err.Error(), "-n")

	bad = src
	bad.configFile = writeConf(t, "brokerRole=MASTER\n")
	_, err = loadConfig(bad, &bytes.Buffer{})
	require.ErrorIs(t, err, brokerconf.ErrConfig)
	require.Contains(t, err.Error(), bad.configFile, "the error names the file")
	require.Contains(t, err.Error(), `brokerRole="MASTER"`)

	bad = src
	bad.configFile = writeConf(t, "storePathCommitLog=/elsewhere/commitlog\n")
	_, err = loadConfig(bad, &bytes.Buffer{})
	require.ErrorIs(t, err, brokerconf.ErrConfig)
	require.Contains(t, err.Error(), "storePathCommitLog")

	bad = src
	bad.configFile = filepath.Join(t.TempDir(), "missing.conf")
	_, err = loadConfig(bad, &bytes.Buffer{})
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestLoadConfigWarnsOncePerKey(t *testing.T) {
	src := sources{home: "/home/u", hostIP: netip.MustParseAddr("10.0.0.1"),
		configFile: writeConf(t, "brokerIP2=10.0.0.2\nhaFlowControlEnable=false\nbrokerNmae=x\nbrokerName=y\n")}
	var stderr bytes.Buffer
	cfg, err := loadConfig(src, &stderr)
	require.NoError(t, err)
	require.Equal(t, "y", cfg.Broker.BrokerName)
	f := src.configFile
	require.Equal(t, "mqbroker: "+f+": key \"brokerIP2\" ignored: a RocketMQ setting Apogee does not use\n"+
		"mqbroker: "+f+": unknown key \"brokerNmae\" ignored\n"+
		"mqbroker: "+f+": key \"haFlowControlEnable\" ignored: a RocketMQ setting Apogee does not use\n", stderr.String())
}
