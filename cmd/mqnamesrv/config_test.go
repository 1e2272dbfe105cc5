package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	data := []byte("# RocketMQ namesrv.properties\nlistenPort = 19876\nscanNotActiveBrokerInterval=2000\nbrokerChannelExpiredTime=30000\nrocketmqHome=/opt/rocketmq\nlogDir=/tmp/logs\n")
	cfg, unknown, err := parseConfig(data, defaultConfig())
	require.NoError(t, err)
	require.Equal(t, 19876, cfg.ListenPort)
	require.Equal(t, 2*time.Second, cfg.ScanNotActiveBrokerInterval)
	require.Equal(t, 30*time.Second, cfg.BrokerExpiry)
	require.Equal(t, "/tmp/logs", cfg.LogDir)
	require.Equal(t, []string{"rocketmqHome"}, unknown, "unknown keys are reported, not fatal")

	var out bytes.Buffer
	cfg.print(&out)
	again, unknown, err := parseConfig(out.Bytes(), defaultConfig())
	require.NoError(t, err)
	require.Empty(t, unknown)
	require.Equal(t, cfg, again, "-p output reads back as the same configuration")
}

func TestParseConfigRejects(t *testing.T) {
	cases := map[string]string{
		"not a number":  "listenPort=abc\n",
		"port too big":  "listenPort=70000\n",
		"negative ms":   "scanNotActiveBrokerInterval=-5\n",
		"zero expiry":   "brokerChannelExpiredTime=0\n",
		"tiny frames":   "maxFrameBytes=10\n",
		"empty log dir": "logDir=\n",
		"huge file":     strings.Repeat("#", maxConfigBytes+1),
		"bad unicode":   "listenPort=\\u12\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := parseConfig([]byte(data), defaultConfig())
			require.ErrorIs(t, err, errConfig)
		})
	}
}

func TestParseConfigGarbageKeysAreReported(t *testing.T) {
	_, unknown, err := parseConfig([]byte("\x00\xff\xfe=\x01\x02"), defaultConfig())
	require.NoError(t, err)
	require.Len(t, unknown, 1)
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("listenPort=9876\n"))
	f.Add([]byte("a=b\\\n  c\n! comment\nlogDir : /x\n"))
	f.Add([]byte("\\u00e9=\\u12"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := parseConfig(data, defaultConfig())
		if err != nil {
			require.ErrorIs(t, err, errConfig)
			return
		}
		require.NoError(t, cfg.validate())
	})
}
