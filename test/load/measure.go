package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// runRecord is one measured wrk run against one target: what the report and -json are made of.
type runRecord struct {
	Round    int              `json:"round"`
	Workload string           `json:"workload"`
	Target   string           `json:"target"`
	Requests int64            `json:"requests"`
	Seconds  float64          `json:"seconds"`
	RPS      float64          `json:"rps"`
	P50MS    float64          `json:"p50_ms"`
	P90MS    float64          `json:"p90_ms"`
	P99MS    float64          `json:"p99_ms"`
	Statuses map[string]int64 `json:"statuses"`
	// SocketErrors are wrk's connect, read, write and timeout errors.
	SocketErrors int64 `json:"socket_errors"`
	// CPU used during the run, in microseconds: the measured target, redis-server and the
	// canned upstream.
	TargetCPUUS   float64 `json:"target_cpu_us"`
	RedisCPUUS    float64 `json:"redis_cpu_us"`
	UpstreamCPUUS float64 `json:"upstream_cpu_us"`
	WrkCPUUS      float64 `json:"wrk_cpu_us"`
	UpstreamCalls int64   `json:"upstream_calls"`
	// Unexpected counts requests the canned upstream did not plan for (it refused them).
	Unexpected int64 `json:"upstream_unexpected"`
	// How busy the pinned core and the load cores were, in percent, and how much of that
	// was the target (on the pinned core) and the harness's own load side (wrk, upstream,
	// redis-server on the load cores). The rest is other processes and interrupts.
	PinnedBusy  float64 `json:"pinned_core_busy"`
	TargetShare float64 `json:"pinned_core_target"`
	LoadBusy    float64 `json:"load_cores_busy"`
	LoadShare   float64 `json:"load_cores_harness"`
	// PeakRSSKB is the largest VmRSS of the target sampled during the run.
	PeakRSSKB int64 `json:"peak_rss_kb"`
}

// snapshot is what is read before and after a run.
type snapshot struct {
	target, redis, upstream time.Duration
	cores                   map[int]coreTime
	up                      stats
}

func (s *system) snapshot(t target) (snapshot, error) {
	var sn snapshot
	var errs [5]error
	sn.target, errs[0] = cpuTime(t.proc.pid(), s.tick)
	sn.redis, errs[1] = cpuTime(s.redis.pid(), s.tick)
	sn.upstream, errs[2] = cpuTime(s.upstream.pid(), s.tick)
	sn.cores, errs[3] = coreTimes()
	sn.up, errs[4] = s.upstreamStats()
	for _, err := range errs {
		if err != nil {
			return sn, err
		}
	}
	return sn, nil
}

func (s *system) upstreamStats() (stats, error) {
	resp, err := http.Get(s.upstreamBase + "/_stats")
	if err != nil {
		return stats{}, err
	}
	defer resp.Body.Close()
	var st stats
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// measure runs w against t once, for d, and records what it cost.
func (s *system) measure(ctx context.Context, wrk wrkRunner, w workload, t target, round int, d time.Duration) (runRecord, error) {
	before, err := s.snapshot(t)
	if err != nil {
		return runRecord{}, err
	}
	stopRSS, peak := sampleRSS(t.proc.pid(), 200*time.Millisecond)
	res, err := wrk.run(ctx, t.base, w.paths(), s.token, d)
	stopRSS()
	if err != nil {
		return runRecord{}, fmt.Errorf("%s against %s: %w", w.name, t.name, err)
	}
	after, err := s.snapshot(t)
	if err != nil {
		return runRecord{}, err
	}
	secs := float64(res.DurationUS) / 1e6
	us := func(a, b time.Duration) float64 { return float64(b-a) / float64(time.Microsecond) }
	share := func(cpuUS float64, cores int) float64 { return 100 * cpuUS / (secs * 1e6 * float64(cores)) }
	r := runRecord{
		Round: round, Workload: w.name, Target: t.name,
		Requests: res.Requests, Seconds: secs, RPS: float64(res.Requests) / secs,
		P50MS: res.P50US / 1000, P90MS: res.P90US / 1000, P99MS: res.P99US / 1000,
		Statuses:     res.Statuses,
		SocketErrors: res.Errors.Connect + res.Errors.Read + res.Errors.Write + res.Errors.Timeout,
		TargetCPUUS:  us(before.target, after.target), RedisCPUUS: us(before.redis, after.redis),
		UpstreamCPUUS: us(before.upstream, after.upstream), WrkCPUUS: us(0, res.CPU),
		UpstreamCalls: after.up.Calls - before.up.Calls, Unexpected: after.up.Unexpected - before.up.Unexpected,
		PinnedBusy: busyPercent(before.cores, after.cores, []int{s.cores.pinned}),
		LoadBusy:   busyPercent(before.cores, after.cores, s.cores.load),
		PeakRSSKB:  *peak,
	}
	r.TargetShare = share(r.TargetCPUUS, 1)
	r.LoadShare = share(r.WrkCPUUS+r.UpstreamCPUUS+r.RedisCPUUS, len(s.cores.load))
	return r, nil
}

// non2xx counts the responses of a record whose status is not 2xx.
func (r runRecord) non2xx() int64 {
	var n int64
	for code, c := range r.Statuses {
		if s, _ := strconv.Atoi(code); s/100 != 2 {
			n += c
		}
	}
	return n
}

// sampleRSS samples pid's VmRSS every interval until stop is called; *peak is the largest.
func sampleRSS(pid int, interval time.Duration) (stop func(), peak *int64) {
	peak = new(int64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if kb, err := memKB(pid, "VmRSS"); err == nil && kb > *peak {
				*peak = kb
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }, peak
}
