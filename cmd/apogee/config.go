package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil/brokerconf"
)

// Embedded defaults of the development server.
const (
	// defaultNamesrvAddr and defaultBrokerAddr are RocketMQ's ports on
	// loopback only: a development server is not exposed to the network
	// unless asked (-namesrv-addr, -broker-addr, brokerIP1).
	defaultNamesrvAddr = "127.0.0.1:9876"
	defaultBrokerAddr  = "127.0.0.1:10911"
	// dataDirName is the data directory under $HOME: store/ and logs/.
	dataDirName = "apogee"

	// Development file sizes, so that a first start on a laptop creates
	// megabytes rather than gigabytes (RocketMQ's defaults allocate a 1 GiB
	// CommitLog segment plus the next one, and a 420 MB index file).
	// broker.conf may set RocketMQ's sizes; a store keeps the sizes it was
	// created with.
	//
	// devCommitLogSegmentBytes still holds sixteen 4 MiB messages.
	devCommitLogSegmentBytes = 64 << 20
	// devConsumeQueueUnits makes 600,000-byte ConsumeQueue files.
	devConsumeQueueUnits = 30_000
	// devIndexHashSlots and devIndexMaxEntries make 8.4 MB index files.
	devIndexHashSlots  = 100_000
	devIndexMaxEntries = 400_000
)

// loopback is where the broker and the clients of a development server
// find each other.
var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// options are the command line, in increasing precedence over the
// defaults: the -c file, then -data and -broker-addr.
type options struct {
	home       string
	configFile string
	// dataDir is -data when given.
	dataDir *string
	// brokerAddr is -broker-addr when given.
	brokerAddr *string
}

// defaultConfig is the development broker's configuration with its data
// under dataDir.
func defaultConfig(home, dataDir string) brokerconf.Config {
	cfg := brokerconf.Default(home, loopback)
	cfg.BindAddress = loopback
	cfg.Broker.Store.RootDir = filepath.Join(dataDir, "store")
	cfg.LogDir = filepath.Join(dataDir, "logs")
	cfg.Broker.Store.CommitLog.SegmentSizeBytes = devCommitLogSegmentBytes
	cfg.Broker.Store.ConsumeQueueUnitsPerFile = devConsumeQueueUnits
	cfg.Broker.Store.IndexHashSlots = devIndexHashSlots
	cfg.Broker.Store.IndexMaxEntries = devIndexMaxEntries
	return cfg
}

// loadConfig builds and validates the broker's configuration, reporting
// each key of the file that is not applied on stderr.
func loadConfig(opts options, stderr io.Writer) (brokerconf.Config, error) {
	dataDir := filepath.Join(opts.home, dataDirName)
	if opts.dataDir != nil {
		dataDir = *opts.dataDir
	}
	cfg := defaultConfig(opts.home, dataDir)
	if err := cfg.Set("listenPort", portOf(defaultBrokerAddr)); err != nil {
		panic(fmt.Sprintf("apogee: default broker address: %v", err))
	}
	if opts.configFile != "" {
		data, err := cmdutil.ReadFile(opts.configFile, brokerconf.MaxFileBytes)
		if err != nil {
			return cfg, err
		}
		var warnings []brokerconf.Warning
		if cfg, warnings, err = brokerconf.Parse(data, cfg); err != nil {
			return cfg, fmt.Errorf("%s: %w", opts.configFile, err)
		}
		for _, w := range warnings {
			fmt.Fprintf(stderr, "apogee: %s: %s\n", opts.configFile, w)
		}
	}
	if opts.dataDir != nil {
		cfg.Broker.Store.RootDir = filepath.Join(dataDir, "store")
		cfg.LogDir = filepath.Join(dataDir, "logs")
	}
	if opts.brokerAddr != nil {
		host, port, err := net.SplitHostPort(*opts.brokerAddr)
		if err != nil {
			return cfg, fmt.Errorf("-broker-addr %q: %w", *opts.brokerAddr, err)
		}
		if host == "" {
			host = netip.IPv4Unspecified().String()
		}
		if err := cfg.Set("bindAddress", host); err != nil {
			return cfg, fmt.Errorf("-broker-addr: %w", err)
		}
		if err := cfg.Set("listenPort", port); err != nil {
			return cfg, fmt.Errorf("-broker-addr: %w", err)
		}
	}
	return cfg, cfg.Validate()
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		panic(fmt.Sprintf("apogee: %q: %v", addr, err))
	}
	return port
}

// reachable returns addr with an unspecified host (0.0.0.0, ::) replaced
// by host, so that it can be dialed or handed to clients.
func reachable(addr string, host netip.Addr) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsUnspecified() {
		return addr
	}
	return netip.AddrPortFrom(host, ap.Port()).String()
}
