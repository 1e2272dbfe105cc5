// Command mqnamesrv runs Apogee's name server: brokers register their
// topics with it, clients ask it for routes. Flags follow RocketMQ's
// mqnamesrv: -c FILE reads a properties file, -p prints the effective
// configuration and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mqnamesrv:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mqnamesrv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("c", "", "name server config file (Java properties)")
	printConfig := fs.Bool("p", false, "print the effective configuration and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := defaultConfig()
	if *configFile != "" {
		data, err := readConfigFile(*configFile)
		if err != nil {
			return err
		}
		var unknown []string
		if cfg, unknown, err = parseConfig(data, cfg); err != nil {
			return fmt.Errorf("%s: %w", *configFile, err)
		}
		for _, k := range unknown {
			fmt.Fprintf(stderr, "mqnamesrv: %s: ignoring unknown key %q\n", *configFile, k)
		}
	}
	if *printConfig {
		cfg.print(stdout)
		return nil
	}

	logger, closeLog, err := openLogger(cfg.LogDir, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ns := namesrv.New(env.Real(), namesrv.Config{
		ListenAddr:    net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.ListenPort)),
		ScanInterval:  cfg.ScanNotActiveBrokerInterval,
		BrokerExpiry:  cfg.BrokerExpiry,
		MaxFrameBytes: cfg.MaxFrameBytes,
		Logger:        logger,
	})
	if err := ns.Start(); err != nil {
		return err
	}
	logger.Info("name server started", "addr", ns.Addr())
	<-ctx.Done()
	logger.Info("name server shutting down")
	return ns.Close()
}

func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// openLogger logs to stderr and to <logDir>/namesrv.log.
func openLogger(logDir string, stderr io.Writer) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating log directory: %w", err)
	}
	path := filepath.Join(logDir, "namesrv.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening log file: %w", err)
	}
	h := slog.NewTextHandler(io.MultiWriter(stderr, f), nil)
	return slog.New(h), func() {
		if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			fmt.Fprintln(stderr, "mqnamesrv: closing log:", err)
		}
	}, nil
}
