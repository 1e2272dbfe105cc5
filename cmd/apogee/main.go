// Command apogee is the all-in-one development server: a name server and a
// broker in one process, with embedded defaults, so that
//
//	go run ./cmd/apogee
//
// gives RocketMQ clients a working NAMESRV_ADDR=127.0.0.1:9876.
//
// Usage:
//
//	apogee [-data DIR] [-namesrv-addr HOST:PORT] [-broker-addr HOST:PORT] [-c broker.conf]
//
// Defaults: the name server listens on 127.0.0.1:9876 and the broker on
// 127.0.0.1:10911, publishing brokerIP1 127.0.0.1; the broker registers
// with the embedded name server (and with any namesrvAddr of the file). DIR
// is $HOME/apogee: the store is DIR/store and the log, also written to
// stderr, DIR/logs/apogee.log. The store uses development file sizes (64 MiB
// CommitLog segments, 600,000-byte ConsumeQueue files, 8.4 MB index files)
// instead of RocketMQ's gigabytes.
//
// -c reads a RocketMQ broker.conf for any other broker setting (see package
// brokerconf), including RocketMQ's file sizes; -data and -broker-addr win
// over the file. To serve other machines, listen on every interface and
// publish a reachable address:
//
//	apogee -namesrv-addr 0.0.0.0:9876 -broker-addr 0.0.0.0:10911 -c broker.conf   # brokerIP1=<this host>
//
// On start it prints where it listens and stores. SIGINT or SIGTERM stops
// the broker (flushing and closing the store) and then the name server; a
// second signal ends the process at once.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil/brokerconf"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
)

func main() { cmdutil.Main("apogee", run) }

// run runs the name server and the broker until stop is closed. stdout gets
// the lines that say where they listen and store; stderr gets warnings and
// the log.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) error {
	fs := flag.NewFlagSet("apogee", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("c", "", "broker config file (RocketMQ broker.conf), optional")
	dataDir := fs.String("data", "", "data directory: the store in DIR/store, logs in DIR/logs (default $HOME/apogee)")
	namesrvAddr := fs.String("namesrv-addr", defaultNamesrvAddr, "name server listen address")
	brokerAddr := fs.String("broker-addr", defaultBrokerAddr, "broker listen address (overrides listenPort and bindAddress)")
	if err := fs.Parse(args); err != nil {
		return cmdutil.UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "apogee: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return cmdutil.UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("finding the home directory for the default paths: %w", err)
	}
	opts := options{home: home, configFile: *configFile}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			opts.dataDir = dataDir
		case "broker-addr":
			opts.brokerAddr = brokerAddr
		}
	})
	cfg, err := loadConfig(opts, stderr)
	if err != nil {
		return err
	}
	return serve(cfg, *namesrvAddr, stdout, stderr, stop)
}

// serve starts the name server and the broker, reports where they are, and
// closes both when stop is closed.
func serve(cfg brokerconf.Config, namesrvAddr string, stdout, stderr io.Writer, stop <-chan struct{}) error {
	logger, closeLog, err := cmdutil.OpenLogger(cfg.LogDir, "apogee.log", stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeLog(); err != nil {
			fmt.Fprintln(stderr, "apogee:", err)
		}
	}()
	e := env.Real()
	ns := namesrv.New(e, namesrv.Config{ListenAddr: namesrvAddr, Logger: logger})
	if err := ns.Start(); err != nil {
		return fmt.Errorf("starting the name server: %w", err)
	}
	bcfg := cfg.BrokerConfig()
	bcfg.Logger = logger
	bcfg.NamesrvAddrs = withFirst(reachable(ns.Addr(), loopback), bcfg.NamesrvAddrs)
	b, err := broker.New(e, bcfg)
	if err != nil {
		return errors.Join(err, ns.Close())
	}
	if err := b.Start(); err != nil {
		return errors.Join(err, b.Close(), ns.Close())
	}
	fmt.Fprintf(stdout, "apogee: name server listening on %s\n", ns.Addr())
	fmt.Fprintf(stdout, "apogee: broker %s listening on %s", bcfg.BrokerName, b.ListenAddr())
	if b.Addr() != b.ListenAddr() {
		fmt.Fprintf(stdout, ", published as %s", b.Addr())
	}
	fmt.Fprintf(stdout, " (cluster %s)\n", bcfg.ClusterName)
	fmt.Fprintf(stdout, "apogee: store at %s\n", bcfg.Store.RootDir)
	fmt.Fprintf(stdout, "apogee: point clients at NAMESRV_ADDR=%s\n", reachable(ns.Addr(), bcfg.BrokerIP1))

	if ferr := cmdutil.WaitStopOrFailure(stop, b.Err, cmdutil.FailurePollInterval); ferr != nil {
		logger.Error("apogee: the store failed; exiting so that a restart recovers it", "err", ferr)
		if err := errors.Join(b.Close(), ns.Close()); err != nil {
			logger.Error("apogee: closing", "err", err)
		}
		return fmt.Errorf("the store failed; restart to recover it: %w", ferr)
	}
	logger.Info("apogee: stopping: closing the broker, flushing the store, closing the name server")
	err = errors.Join(b.Close(), ns.Close())
	if err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	logger.Info("apogee: stopped")
	return nil
}

// withFirst returns addrs with first in front, once.
func withFirst(first string, addrs []string) []string {
	out := []string{first}
	for _, a := range addrs {
		if a != first {
			out = append(out, a)
		}
	}
	return out
}
