// Command mqbroker runs an Apogee broker, configured like RocketMQ's
// mqbroker.
//
// Usage:
//
//	mqbroker [-c broker.conf] [-n "host:port;host:port"] [-p | -m]
//
// -c reads a RocketMQ broker.conf (Java properties; the keys, units and
// defaults are listed in package brokerconf). Keys RocketMQ knows that
// Apogee does not use, and keys nobody knows, are reported on stderr one
// line each and otherwise ignored; a bad value stops the broker with an
// error naming the key and the value.
//
// The name servers come from -n, else namesrvAddr in the file, else the
// NAMESRV_ADDR environment variable. The address published to them is
// brokerIP1, by default the machine's first non-loopback IPv4 address
// (127.0.0.1 when it has none), as in RocketMQ.
//
// -p prints every effective setting as key=value lines sorted by key (a
// complete broker.conf) and exits; -m prints only the important ones
// (cluster, name, id, role, brokerIP1, flush type, listen port, name
// servers, store root) and exits.
//
// The store lives in storePathRootDir ($HOME/store by default). The log goes
// to stderr and to <logDir>/broker.log; logDir defaults to
// $HOME/logs/rocketmqlogs, where RocketMQ's broker writes its own
// broker.log. SIGINT or SIGTERM stops the broker cleanly: it stops serving,
// persists consumer offsets and flushes and closes the store; a second
// signal ends the process at once.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/cmd/internal/cmdutil/brokerconf"
	"github.com/apogeemq/apogee/env"
)

func main() { cmdutil.Main("mqbroker", run) }

// run runs the broker until stop is closed. stdout gets the lines that say
// where the broker listens and stores; stderr gets warnings and the log.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) error {
	fs := flag.NewFlagSet("mqbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("c", "", "broker config file (RocketMQ broker.conf)")
	namesrv := fs.String("n", "", `name server addresses, "host:port;host:port" (overrides namesrvAddr and NAMESRV_ADDR)`)
	printAll := fs.Bool("p", false, "print every effective setting and exit")
	printImportant := fs.Bool("m", false, "print the important settings and exit")
	if err := fs.Parse(args); err != nil {
		return cmdutil.UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqbroker: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return cmdutil.UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("finding the home directory for the default paths: %w", err)
	}
	src := sources{home: home, hostIP: cmdutil.HostIPv4(), namesrvEnv: os.Getenv(namesrvAddrEnv), configFile: *configFile}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "n" {
			src.namesrvFlag = namesrv
		}
	})
	cfg, err := loadConfig(src, stderr)
	if err != nil {
		return err
	}
	switch {
	case *printAll:
		return cfg.Print(stdout)
	case *printImportant:
		return cfg.PrintImportant(stdout)
	}
	return serve(cfg, stdout, stderr, stop)
}

// serve starts the broker, reports where it is, and closes it when stop is
// closed.
func serve(cfg brokerconf.Config, stdout, stderr io.Writer, stop <-chan struct{}) error {
	logger, closeLog, err := cmdutil.OpenLogger(cfg.LogDir, "broker.log", stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeLog(); err != nil {
			fmt.Fprintln(stderr, "mqbroker:", err)
		}
	}()
	bcfg := cfg.BrokerConfig()
	bcfg.Logger = logger
	b, err := broker.New(env.Real(), bcfg)
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return errors.Join(err, b.Close())
	}
	fmt.Fprintf(stdout, "mqbroker: broker %s listening on %s, published as %s (cluster %s, brokerId %d, %s, %s)\n",
		bcfg.BrokerName, b.ListenAddr(), b.Addr(), bcfg.ClusterName, bcfg.BrokerID, bcfg.Role, bcfg.Store.CommitLog.FlushMode)
	fmt.Fprintf(stdout, "mqbroker: store at %s\n", bcfg.Store.RootDir)
	if len(bcfg.NamesrvAddrs) == 0 {
		fmt.Fprintln(stdout, "mqbroker: no name server (set namesrvAddr, -n or NAMESRV_ADDR): clients cannot find this broker")
	} else {
		fmt.Fprintf(stdout, "mqbroker: registering with name servers %s\n", strings.Join(bcfg.NamesrvAddrs, ";"))
	}

	if ferr := cmdutil.WaitStopOrFailure(stop, b.Err, cmdutil.FailurePollInterval); ferr != nil {
		logger.Error("mqbroker: the store failed; exiting so that a restart recovers it", "err", ferr)
		if err := b.Close(); err != nil {
			logger.Error("mqbroker: closing the broker", "err", err)
		}
		return fmt.Errorf("the store failed; restart to recover it: %w", ferr)
	}
	logger.Info("mqbroker: stopping: closing the broker and flushing the store")
	if err := b.Close(); err != nil {
		return fmt.Errorf("closing the broker: %w", err)
	}
	logger.Info("mqbroker: stopped")
	return nil
}
