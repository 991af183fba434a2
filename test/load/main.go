// Command load is the gateway's load harness: one command that measures what the gateway
// costs beside a bare httputil.ReverseProxy in front of the same upstream, on this machine,
// in one interleaved run. It starts a real redis-server, a canned FHIR upstream serving
// Synthea resources from memory, the bare proxy and the gateway (demo IdPs, the real
// sign-in for a token), pins the two measured processes to one core and runs wrk on the
// others, then prints req/s, latencies, CPU per request from /proc and the ratios as a
// markdown table. See the README's "Measuring speed".
//
// It reports figures and never judges them: no threshold here may fail a build. The smoke
// test only checks that the harness works.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && (os.Args[1] == roleUpstream || os.Args[1] == roleProxy) {
		err = serveRole(ctx, os.Args[1], os.Args[2:], os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	duration, warmup, soak, soakEvery time.Duration
	rounds, connections, threads, cpu int
	gatewayBin, workloads, jsonOut    string
	soakCSV, wrk, redisServer         string
	adminAddr                         string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each run (whole seconds)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of every workload against every target, interleaved; 0 skips them")
	fs.IntVar(&o.connections, "connections", 32, "wrk connections")
	fs.IntVar(&o.threads, "threads", 0, "wrk threads (default: one per load core)")
	fs.IntVar(&o.cpu, "cpu", -1, "core to pin the gateway and the bare proxy to (default: the last online core)")
	fs.StringVar(&o.gatewayBin, "gateway-bin", "", "mypatients binary to measure (default: build ./cmd/mypatients)")
	fs.StringVar(&o.workloads, "workloads", "all", "comma list of read, search50, search100, refused, mixed")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "mixed load on each target before the rounds, not measured")
	fs.DurationVar(&o.soak, "soak", 0, "after the rounds, run the mixed workload against the gateway this long and print its RSS curve")
	fs.DurationVar(&o.soakEvery, "soak-every", 10*time.Second, "RSS sample interval during -soak")
	fs.StringVar(&o.soakCSV, "soak-csv", "", "also write the RSS curve to this CSV file")
	fs.StringVar(&o.jsonOut, "json", "", "also write every run's figures to this JSON file")
	fs.StringVar(&o.wrk, "wrk", "wrk", "wrk program")
	fs.StringVar(&o.redisServer, "redis-server", "redis-server", "redis-server program")
	fs.StringVar(&o.adminAddr, "admin-addr", "", "serve the gateway's admin listener here, for profiles during a run: go tool pprof http://ADDR/debug/pprof/profile?seconds=10")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration < time.Second || o.connections < 1 || o.rounds < 0 || o.soakEvery <= 0 {
		return o, errors.New("-duration must be at least 1s, -connections at least 1, -rounds not negative, -soak-every positive")
	}
	return o, nil
}

// tools finds the programs the harness runs, or says how to install them.
func tools(o *options) error {
	taskset := "taskset"
	for _, t := range []struct {
		path    *string
		pkg     string
		purpose string
	}{
		{&o.wrk, "wrk", "the load generator"},
		{&o.redisServer, "redis-server", "the gateway's Redis"},
		{&taskset, "util-linux", "pinning to cores"},
	} {
		p, err := exec.LookPath(*t.path)
		if err != nil {
			return fmt.Errorf("%s (%s) is not installed: apt-get install -y %s (bash .ci/run does it)", *t.path, t.purpose, t.pkg)
		}
		*t.path = p
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	workloads, err := selectWorkloads(o.workloads)
	if err != nil {
		return err
	}
	if err := tools(&o); err != nil {
		return err
	}
	plan, err := planCores(o.cpu)
	if err != nil {
		return err
	}
	if o.threads == 0 {
		o.threads = len(plan.load)
	}
	dir, err := os.MkdirTemp("", "mypatients-load-")
	if err != nil {
		return err
	}
	s := &system{dir: dir, cores: plan, tick: clockTick(), connections: o.connections, adminAddr: o.adminAddr}
	fmt.Fprintf(stderr, "load: starting redis-server, the canned upstream, the bare proxy and the gateway (logs in %s)\n", dir)
	if err := s.run(ctx, o, workloads, stdout, stderr); err != nil {
		return fmt.Errorf("%w\n(logs kept in %s)", err, dir)
	}
	return os.RemoveAll(dir)
}
