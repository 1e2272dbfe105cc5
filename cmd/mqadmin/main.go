// Command mqadmin sends operator requests to Apogee brokers, with the
// syntax of RocketMQ's mqadmin for the commands it has:
//
//	mqadmin updateBrokerConfig -b host:port -k key -v value [-t timeout]
//	mqadmin getBrokerEpoch -b host:port [-t timeout]
//
// updateBrokerConfig sends UPDATE_BROKER_CONFIG with "key=value". An
// Apogee broker changes only brokerRole at run time: sent to a slave,
// "-k brokerRole -v ASYNC_MASTER" (or SYNC_MASTER) promotes it to master
// of its broker group once its master is lost, and the command returns
// when the broker serves as the master (see package broker, Promotion).
// getBrokerEpoch prints a broker's epoch list (GET_BROKER_EPOCH_CACHE) as
// the broker answers it, JSON: which master epoch began at which CommitLog
// offset.
//
// The exit status is 0 when the broker answered SUCCESS, 1 when it refused
// or could not be reached (the reason goes to stderr), 2 for a bad command
// line.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// defaultTimeout bounds one request: a promotion answers once the slave's
// reads in flight are done and its log is flushed, which takes well under
// it.
const defaultTimeout = 30 * time.Second

func main() { cmdutil.Main("mqadmin", run) }

// run runs one command; stop is not used (a command ends by itself).
func run(args []string, stdout, stderr io.Writer, _ <-chan struct{}) error {
	if len(args) == 0 {
		usage(stderr)
		return cmdutil.UsageError{Err: errors.New("no command")}
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("mqadmin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("b", "", "broker address, host:port")
	timeout := fs.Duration("t", defaultTimeout, "how long to wait for the broker's answer")
	var key, value *string
	switch cmd {
	case "updateBrokerConfig":
		key = fs.String("k", "", "the setting's broker.conf key")
		value = fs.String("v", "", "its new value")
	case "getBrokerEpoch":
	default:
		fmt.Fprintf(stderr, "mqadmin: unknown command %q\n", cmd)
		usage(stderr)
		return cmdutil.UsageError{Err: fmt.Errorf("unknown command %q", cmd)}
	}
	if err := fs.Parse(args); err != nil {
		return cmdutil.UsageError{Err: err}
	}
	if *addr == "" || fs.NArg() > 0 || key != nil && *key == "" {
		fmt.Fprintf(stderr, "mqadmin: %s needs -b (and -k with -v for updateBrokerConfig), and no other argument\n", cmd)
		fs.Usage()
		return cmdutil.UsageError{Err: errors.New("bad arguments")}
	}
	var req *remoting.Command
	if key != nil {
		req = remoting.NewRequest(remoting.ReqUpdateBrokerConfig, nil, []byte(*key+"="+escapeValue(*value)+"\n"))
	} else {
		req = remoting.NewRequest(remoting.ReqGetBrokerEpochCache, nil, nil)
	}
	cl := remoting.NewClient(env.Real(), remoting.ClientConfig{Logger: slog.New(slog.DiscardHandler)})
	defer cl.Close()
	resp, err := cl.InvokeSync(*addr, req, *timeout)
	if err != nil {
		return fmt.Errorf("%s: %w", *addr, err)
	}
	if resp.Code != remoting.ResSuccess {
		return fmt.Errorf("%s answered %s: %s", *addr, remoting.ResponseCodeName(resp.Code), resp.Remark)
	}
	if key != nil {
		fmt.Fprintf(stdout, "update broker config success, %s", *addr)
		if resp.Remark != "" {
			fmt.Fprintf(stdout, ": %s", resp.Remark)
		}
		fmt.Fprintln(stdout)
		return nil
	}
	fmt.Fprintf(stdout, "%s\n", resp.Body)
	return nil
}

// escapeValue escapes what a Java properties value cannot hold as is.
func escapeValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(v)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mqadmin updateBrokerConfig -b host:port -k key -v value [-t timeout]")
	fmt.Fprintln(w, "       mqadmin getBrokerEpoch -b host:port [-t timeout]")
}
