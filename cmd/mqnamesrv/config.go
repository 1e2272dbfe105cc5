package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/magiconair/properties"
)

// maxConfigBytes bounds a configuration file: a name server's settings fit
// in a few hundred bytes, and a huge file is a mistake, not a config.
const maxConfigBytes = 1 << 20

// config is the name server's effective configuration. The keys of -c
// files are RocketMQ's where RocketMQ has one (listenPort,
// scanNotActiveBrokerInterval), Apogee's otherwise.
type config struct {
	// ListenPort is listenPort (9876).
	ListenPort int
	// BindAddress is the interface to listen on (bindAddress, all by
	// default).
	BindAddress string
	// ScanNotActiveBrokerInterval is how often expired brokers are removed
	// (scanNotActiveBrokerInterval, milliseconds in files).
	ScanNotActiveBrokerInterval time.Duration
	// BrokerExpiry is how long a broker stays registered without a
	// heartbeat (brokerChannelExpiredTime, milliseconds in files; 120 s).
	BrokerExpiry time.Duration
	// LogDir holds namesrv.log (logDir; ~/logs/rocketmqlogs by default, as
	// RocketMQ).
	LogDir string
	// MaxFrameBytes bounds one remoting frame (maxFrameBytes, 16 MiB).
	MaxFrameBytes int
}

func defaultConfig() config {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return config{
		ListenPort:                  9876,
		BindAddress:                 "0.0.0.0",
		ScanNotActiveBrokerInterval: 5 * time.Second,
		BrokerExpiry:                120 * time.Second,
		LogDir:                      filepath.Join(home, "logs", "rocketmqlogs"),
		MaxFrameBytes:               16 << 20,
	}
}

// errConfig marks a configuration that cannot be used.
var errConfig = errors.New("bad configuration")

// parseConfig reads a Java properties document (the format of RocketMQ's
// namesrv.properties) over the defaults. Unknown keys are reported, not
// fatal, as RocketMQ ignores them.
func parseConfig(data []byte, cfg config) (config, []string, error) {
	if len(data) > maxConfigBytes {
		return cfg, nil, fmt.Errorf("%w: %d bytes, at most %d", errConfig, len(data), maxConfigBytes)
	}
	p, err := properties.Load(data, properties.UTF8)
	if err != nil {
		return cfg, nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	var unknown []string
	for _, key := range p.Keys() {
		value, _ := p.Get(key)
		if err := cfg.set(key, value); errors.Is(err, errUnknownKey) {
			unknown = append(unknown, key)
		} else if err != nil {
			return cfg, nil, err
		}
	}
	sort.Strings(unknown)
	return cfg, unknown, cfg.validate()
}

var errUnknownKey = errors.New("unknown key")

func (c *config) set(key, value string) error {
	switch key {
	case "listenPort":
		return setInt(&c.ListenPort, key, value)
	case "bindAddress":
		c.BindAddress = value
	case "scanNotActiveBrokerInterval":
		return setMillis(&c.ScanNotActiveBrokerInterval, key, value)
	case "brokerChannelExpiredTime":
		return setMillis(&c.BrokerExpiry, key, value)
	case "logDir":
		c.LogDir = value
	case "maxFrameBytes":
		return setInt(&c.MaxFrameBytes, key, value)
	default:
		return errUnknownKey
	}
	return nil
}

func setInt(dst *int, key, value string) error {
	n, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("%w: %s=%q is not an integer", errConfig, key, value)
	}
	*dst = n
	return nil
}

func setMillis(dst *time.Duration, key, value string) error {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 || n > int64(24*time.Hour/time.Millisecond) {
		return fmt.Errorf("%w: %s=%q is not a number of milliseconds up to a day", errConfig, key, value)
	}
	*dst = time.Duration(n) * time.Millisecond
	return nil
}

func (c config) validate() error {
	switch {
	case c.ListenPort < 0 || c.ListenPort > 65535:
		return fmt.Errorf("%w: listenPort %d outside 0..65535", errConfig, c.ListenPort)
	case c.ScanNotActiveBrokerInterval <= 0:
		return fmt.Errorf("%w: scanNotActiveBrokerInterval must be positive", errConfig)
	case c.BrokerExpiry <= 0:
		return fmt.Errorf("%w: brokerChannelExpiredTime must be positive", errConfig)
	case c.MaxFrameBytes < 1<<16 || c.MaxFrameBytes > 1<<30:
		return fmt.Errorf("%w: maxFrameBytes %d outside 64 KiB..1 GiB", errConfig, c.MaxFrameBytes)
	case c.LogDir == "":
		return fmt.Errorf("%w: logDir is empty", errConfig)
	}
	return nil
}

// print writes the effective configuration as properties, sorted by key.
func (c config) print(w io.Writer) {
	lines := map[string]string{
		"listenPort":                  strconv.Itoa(c.ListenPort),
		"bindAddress":                 c.BindAddress,
		"scanNotActiveBrokerInterval": strconv.FormatInt(c.ScanNotActiveBrokerInterval.Milliseconds(), 10),
		"brokerChannelExpiredTime":    strconv.FormatInt(c.BrokerExpiry.Milliseconds(), 10),
		"logDir":                      c.LogDir,
		"maxFrameBytes":               strconv.Itoa(c.MaxFrameBytes),
	}
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s=%s\n", k, lines[k])
	}
}
