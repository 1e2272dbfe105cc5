package main

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil/brokerconf"
)

// namesrvAddrEnv is the environment variable RocketMQ's broker reads for
// namesrvAddr when the file does not set it.
const namesrvAddrEnv = "NAMESRV_ADDR"

// sources are the inputs of the effective configuration, in increasing
// precedence: the defaults (home directory and machine address), the
// NAMESRV_ADDR environment variable, the -c file, the -n flag.
type sources struct {
	home   string
	hostIP netip.Addr
	// namesrvEnv is NAMESRV_ADDR; "" when unset or empty.
	namesrvEnv string
	// configFile is -c; "" for none.
	configFile string
	// namesrvFlag is -n when given.
	namesrvFlag *string
}

// loadConfig builds and validates the effective configuration, reporting
// each key of the file that is not applied on stderr.
func loadConfig(src sources, stderr io.Writer) (brokerconf.Config, error) {
	cfg := brokerconf.Default(src.home, src.hostIP)
	if src.namesrvEnv != "" {
		if err := cfg.Set("namesrvAddr", src.namesrvEnv); err != nil {
			return cfg, fmt.Errorf("%s: %w", namesrvAddrEnv, err)
		}
	}
	if src.configFile != "" {
		data, err := cmdutil.ReadFile(src.configFile, brokerconf.MaxFileBytes)
		if err != nil {
			return cfg, err
		}
		var warnings []brokerconf.Warning
		if cfg, warnings, err = brokerconf.Parse(data, cfg); err != nil {
			return cfg, fmt.Errorf("%s: %w", src.configFile, err)
		}
		for _, w := range warnings {
			fmt.Fprintf(stderr, "mqbroker: %s: %s\n", src.configFile, w)
		}
	}
	if src.namesrvFlag != nil {
		if err := cfg.Set("namesrvAddr", *src.namesrvFlag); err != nil {
			return cfg, fmt.Errorf("-n: %w", err)
		}
	}
	return cfg, cfg.Validate()
}
