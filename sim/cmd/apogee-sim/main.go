// Command apogee-sim runs Apogee's deterministic cluster simulator: for each
// seed it prints the swarm parameters drawn from it and one result line,
// and exits 1 if any seed finds a violation. On a violation it writes
// porcupine's visualization of the failing queue (with every fault
// annotated) and prints the command that replays the seed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/sim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apogee-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "the first seed")
	seeds := fs.Int("seeds", 1, "how many consecutive seeds to run")
	steps := fs.Int64("steps", 0, "bound on the events of one run (0: the phases' virtual time only)")
	bug := fs.String("inject-bug", "", "a planted bug to switch on: "+fmt.Sprint(sim.Bugs()))
	verbose := fs.Bool("v", false, "print each run's timeline of faults")
	htmlDir := fs.String("html", "", "directory for the visualization of a failing queue (default: a temporary directory)")
	checkTimeout := fs.Duration("check-timeout", 10*time.Second, "bound on the linearizability check of one queue; an undecided check is a violation")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *seeds < 1 || *checkTimeout <= 0 {
		fmt.Fprintln(stderr, "apogee-sim: usage: apogee-sim -seed N [-seeds K] [-steps S] [-inject-bug NAME] [-html DIR] [-check-timeout D]")
		return 2
	}
	if *bug != "" && !sim.KnownBug(*bug) {
		fmt.Fprintf(stderr, "apogee-sim: unknown bug %q (known: %v)\n", *bug, sim.Bugs())
		return 2
	}
	failed := 0
	for i := 0; i < *seeds; i++ {
		s := *seed + uint64(i)
		res := sim.Run(s, sim.Options{MaxEvents: *steps, Bug: *bug, CheckTimeout: *checkTimeout})
		fmt.Fprintf(stdout, "params seed=%d %s\n", s, res.Params)
		if *verbose || !res.OK() {
			for _, l := range res.Timeline {
				fmt.Fprintf(stdout, "  | %s\n", l)
			}
		}
		fmt.Fprintln(stdout, res.Line())
		if res.OK() {
			continue
		}
		failed++
		fmt.Fprint(stdout, indent(res.Report.String()))
		for _, f := range res.Findings {
			fmt.Fprintf(stdout, "  finding: %s\n", f)
		}
		if path, err := writeHTML(res, *htmlDir); err != nil {
			fmt.Fprintf(stderr, "apogee-sim: visualization: %v\n", err)
		} else if path != "" {
			fmt.Fprintf(stdout, "  visualization: %s\n", path)
		}
		replay := fmt.Sprintf("go run ./sim/cmd/apogee-sim -seed %d", s)
		if *steps > 0 {
			replay += fmt.Sprintf(" -steps %d", *steps)
		}
		if *bug != "" {
			replay += " -inject-bug " + *bug
		}
		if *checkTimeout != 10*time.Second {
			replay += " -check-timeout " + checkTimeout.String()
		}
		fmt.Fprintf(stdout, "  replay: %s\n", replay)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// writeHTML writes the visualization of the first failing queue.
func writeHTML(res sim.Result, dir string) (string, error) {
	var q *linearizability.Queue
	for _, v := range res.Report.Violations {
		if v.Queue.Topic != "" {
			vq := v.Queue
			q = &vq
			break
		}
	}
	if q == nil {
		return "", nil
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "apogee-sim-"); err != nil {
			return "", err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("seed-%d-%s-%d.html", res.Seed, q.Broker, q.QueueID))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := linearizability.VisualizeQueue(res.Recorder, res.Check, *q, f); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

func indent(s string) string {
	out := ""
	line := ""
	for _, r := range s {
		if r == '\n' {
			out += "  " + line + "\n"
			line = ""
			continue
		}
		line += string(r)
	}
	if line != "" {
		out += "  " + line + "\n"
	}
	return out
}
