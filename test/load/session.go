package main

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// jsonReport is what -json writes.
type jsonReport struct {
	Gateway   string           `json:"gateway"`
	Started   time.Time        `json:"started"`
	Options   map[string]any   `json:"options"`
	Runs      []runRecord      `json:"runs"`
	PeakRSSKB map[string]int64 `json:"peak_rss_kb"`
	Soak      []soakSample     `json:"soak,omitempty"`
	Warnings  []string         `json:"warnings"`
}

// run is one harness session: start everything, check it answers as planned, warm up,
// measure the rounds, report, and optionally soak.
func (s *system) run(ctx context.Context, o options, workloads []workload, stdout, stderr io.Writer) error {
	rep := jsonReport{Started: time.Now().UTC(), Options: map[string]any{
		"duration": o.duration.String(), "rounds": o.rounds, "connections": o.connections, "threads": o.threads,
		"pinned_core": s.cores.pinned, "load_cores": s.cores.load, "warmup": o.warmup.String(), "soak": o.soak.String()}}
	loadBefore := loadAverage()
	if err := s.start(ctx, o.gatewayBin, o.redisServer); err != nil {
		return err
	}
	defer s.close()
	rep.Gateway = describeBinary(s.gatewayBin, s.gatewayLabel)
	sizes, err := s.check(ctx, workloads)
	if err != nil {
		return err
	}
	wrk := wrkRunner{path: o.wrk, cores: s.cores.loadList(), connections: o.connections, threads: o.threads, dir: s.dir}
	if err := s.rounds(ctx, wrk, workloads, o, &rep, stderr); err != nil {
		return err
	}
	s.printHeader(stdout, o, rep.Gateway, loadBefore)
	if o.rounds > 0 {
		printTables(stdout, workloads, sizes, rep.Runs)
		printMemory(stdout, rep.PeakRSSKB)
		printWarnings(stdout, rep.Warnings)
	}
	if o.soak > 0 {
		if rep.Soak, err = s.soak(ctx, wrk, o, stdout, stderr); err != nil {
			return err
		}
	}
	return rep.write(o.jsonOut)
}

// rounds warms up, then runs the rounds into rep with the peak memory before and after.
func (s *system) rounds(ctx context.Context, wrk wrkRunner, workloads []workload, o options, rep *jsonReport, progress io.Writer) error {
	if err := s.warmUp(ctx, wrk, o.warmup, progress); err != nil {
		return err
	}
	rep.PeakRSSKB = s.peaks("startup", true)
	for round := 1; round <= o.rounds; round++ {
		recs, err := s.round(ctx, wrk, workloads, round, o, progress)
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, recs...)
	}
	maps.Copy(rep.PeakRSSKB, s.peaks("load", false))
	rep.Warnings = warnings(rep.Runs, s.cores)
	return nil
}

func (rep *jsonReport) write(path string) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// warmUp sends the mixed workload to each target for d, unmeasured: connection pools,
// the gateway's cached facts and the heap settle before the first round.
func (s *system) warmUp(ctx context.Context, wrk wrkRunner, d time.Duration, progress io.Writer) error {
	if d <= 0 {
		return nil
	}
	mixed, _ := selectWorkloads("mixed")
	for _, t := range []target{s.bare, s.gateway} {
		fmt.Fprintf(progress, "load: warming up %s for %s\n", t.name, d)
		if _, err := wrk.run(ctx, t.base, mixed[0].paths(), s.token, d); err != nil {
			return err
		}
	}
	return s.settle(ctx, progress)
}

// round runs every workload against its targets, back to back; which target goes first
// alternates between rounds so that neither always runs on a machine just warmed by the other.
func (s *system) round(ctx context.Context, wrk wrkRunner, workloads []workload, round int, o options, progress io.Writer) ([]runRecord, error) {
	var out []runRecord
	for _, w := range workloads {
		targets := s.targets(w)
		if round%2 == 0 {
			slices.Reverse(targets)
		}
		for _, t := range targets {
			r, err := s.measure(ctx, wrk, w, t, round, o.duration)
			if err != nil {
				return nil, err
			}
			if bad := unplanned(r, w.want(t)); bad != "" {
				return nil, fmt.Errorf("round %d, %s against %s answered %s (planned %v); see the logs", round, w.name, t.name, bad, keys(w.want(t)))
			}
			fmt.Fprintf(progress, "load: round %d/%d %-9s %-7s %8s req/s  p50 %6.2f ms  %6s µs CPU/req  (+%s µs redis-server)\n",
				round, o.rounds, w.name, t.name, thousands(r.RPS), r.P50MS, thousands(r.TargetCPUUS/float64(r.Requests)),
				thousands(r.RedisCPUUS/float64(r.Requests)))
			out = append(out, r)
			s.quiesce(t)
			if t.name == "gateway" {
				if err := s.settle(ctx, progress); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// quiesce waits, at most 3 s, until t has finished the requests wrk abandoned at the end
// of a run (an idle 100 ms), so that they do not take the next run's core.
func (s *system) quiesce(t target) {
	deadline := time.Now().Add(3 * time.Second)
	last, _ := cpuTime(t.proc.pid(), s.tick)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		now, err := cpuTime(t.proc.pid(), s.tick)
		if err != nil || now-last <= s.tick {
			return
		}
		last = now
	}
}

// settle waits until the gateway answers an allowed read through the upstream again after a
// run. wrk ends a run by closing its connections, which cancels the requests in flight; the
// next run must start from a gateway that reaches the upstream, or it would measure 503s (the
// breaker no longer counts a client's cancellation, so this is a check, not a wait, unless
// the upstream really failed).
func (s *system) settle(ctx context.Context, progress io.Writer) error {
	start := time.Now()
	for {
		n, err := s.checkOne(ctx, s.gateway, readAllowed)
		switch {
		case err == nil && n > 0:
			if waited := time.Since(start); waited > time.Second {
				fmt.Fprintf(progress, "load: waited %.0f s for the gateway's upstream circuit breaker to close after the run\n", waited.Seconds())
			}
			return nil
		case time.Since(start) > 30*time.Second:
			return fmt.Errorf("the gateway still fails to reach the upstream 30 s after a run: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// unplanned describes the statuses of r that are not in want, or returns "".
func unplanned(r runRecord, want map[int]bool) string {
	var bad []string
	for code, n := range r.Statuses {
		var c int
		fmt.Sscan(code, &c)
		if !want[c] {
			bad = append(bad, fmt.Sprintf("%d × %s", n, code))
		}
	}
	if r.Requests == 0 {
		bad = append(bad, "no requests at all")
	}
	return strings.Join(bad, ", ")
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// peaks reads the peak resident set (VmHWM) of the gateway, the bare proxy and
// redis-server, keyed "<name>_<phase>"; with reset it then restarts each peak from the
// current RSS, so that the next reading covers only what came after.
func (s *system) peaks(phase string, reset bool) map[string]int64 {
	out := map[string]int64{}
	for name, pid := range map[string]int{"gateway": s.gateway.proc.pid(), "bare": s.bare.proc.pid(), "redis-server": s.redis.pid()} {
		if kb, err := memKB(pid, "VmHWM"); err == nil {
			out[name+"_"+phase] = kb
		}
		if reset && resetPeakRSS(pid) != nil {
			out[name+"_not_reset"] = 1
		}
	}
	return out
}

func (s *system) printHeader(w io.Writer, o options, gateway, loadBefore string) {
	fmt.Fprintf(w, "## Gateway beside a bare httputil.ReverseProxy (%s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- gateway: %s\n", gateway)
	fmt.Fprintf(w, "- measured process pinned to core %d; wrk (%d thread(s), %d connections), the canned upstream and redis-server on core(s) %s\n",
		s.cores.pinned, o.threads, o.connections, s.cores.loadList())
	if o.rounds > 0 {
		fmt.Fprintf(w, "- %d round(s) × %s per workload and target, interleaved (the first target alternates by round), after a %s warm-up\n",
			o.rounds, o.duration, o.warmup)
	}
	if o.soak > 0 {
		fmt.Fprintf(w, "- then the mixed workload against the gateway for %s, its RSS sampled every %s\n", o.soak, o.soakEvery)
	}
	fmt.Fprintf(w, "- load average before: %s; after the rounds: %s\n\n", loadBefore, loadAverage())
}

func printMemory(w io.Writer, peak map[string]int64) {
	fmt.Fprintf(w, "\nPeak RSS (VmHWM) under load: gateway %.1f MB, bare proxy %.1f MB, redis-server %.1f MB; at start-up and warm-up: gateway %.1f MB, bare proxy %.1f MB.\n",
		mb(peak["gateway_load"]), mb(peak["bare_load"]), mb(peak["redis-server_load"]), mb(peak["gateway_startup"]), mb(peak["bare_startup"]))
	if peak["gateway_not_reset"] != 0 {
		fmt.Fprintln(w, "(The kernel refused to reset VmHWM after the warm-up: the peaks under load include the start-up.)")
	}
}

func printWarnings(w io.Writer, ws []string) {
	for _, s := range ws {
		fmt.Fprintf(w, "\nWARNING: %s", s)
	}
	if len(ws) > 0 {
		fmt.Fprintln(w)
	}
}

// describeBinary names the binary by its path, where it came from, the commit Go stamped
// in it if any, and a hash of its bytes, so that two reports can be told apart.
func describeBinary(path, origin string) string {
	desc := fmt.Sprintf("%s (%s", path, origin)
	if info, err := buildinfo.ReadFile(path); err == nil {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				desc += ", stamped " + kv.Value[:min(12, len(kv.Value))]
			}
		}
		desc += ", " + info.GoVersion
	}
	if b, err := os.ReadFile(path); err == nil {
		desc += fmt.Sprintf(", sha256 %.12x", sha256.Sum256(b))
	}
	return desc + ")"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
