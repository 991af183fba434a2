package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// soakSample is one point of the RSS curve.
type soakSample struct {
	ElapsedS     float64 `json:"elapsed_s"`
	GatewayRSSKB int64   `json:"gateway_rss_kb"`
	RedisRSSKB   int64   `json:"redis_rss_kb"`
	// GatewayCPU is the gateway's CPU use since the previous sample, in % of one core.
	GatewayCPU float64 `json:"gateway_cpu_percent"`
}

// soak runs the mixed workload against the gateway for o.soak without pause, sampling the
// gateway's and redis-server's resident memory every o.soakEvery, and prints the curve.
func (s *system) soak(ctx context.Context, wrk wrkRunner, o options, stdout, progress io.Writer) ([]soakSample, error) {
	mixed, _ := selectWorkloads("mixed")
	type result struct {
		rec runRecord
		err error
	}
	done := make(chan result, 1)
	go func() {
		rec, err := s.measure(ctx, wrk, mixed[0], s.gateway, 0, o.soak)
		done <- result{rec, err}
	}()
	sampler, err := s.newRSSCurve()
	if err != nil {
		return nil, err
	}
	tick := time.NewTicker(o.soakEvery)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				return nil, r.err
			}
			printSoak(stdout, sampler.samples, r.rec)
			if o.soakCSV == "" {
				return sampler.samples, nil
			}
			return sampler.samples, writeSoakCSV(o.soakCSV, sampler.samples)
		case now := <-tick.C:
			if sm, ok := sampler.sample(now); ok {
				fmt.Fprintf(progress, "load: soak %4.0fs  gateway RSS %6.1f MB  redis-server RSS %6.1f MB  gateway CPU %3.0f%%\n",
					sm.ElapsedS, mb(sm.GatewayRSSKB), mb(sm.RedisRSSKB), sm.GatewayCPU)
			}
		}
	}
}

// rssCurve collects the soak's samples.
type rssCurve struct {
	s             *system
	start, lastAt time.Time
	lastCPU       time.Duration
	samples       []soakSample
}

func (s *system) newRSSCurve() (*rssCurve, error) {
	cpu, err := cpuTime(s.gateway.proc.pid(), s.tick)
	now := time.Now()
	return &rssCurve{s: s, start: now, lastAt: now, lastCPU: cpu}, err
}

// sample adds the point for now; a failed reading is skipped (the run's result says why).
func (c *rssCurve) sample(now time.Time) (soakSample, bool) {
	cpu, err := cpuTime(c.s.gateway.proc.pid(), c.s.tick)
	gw, err2 := memKB(c.s.gateway.proc.pid(), "VmRSS")
	rd, err3 := memKB(c.s.redis.pid(), "VmRSS")
	if err != nil || err2 != nil || err3 != nil {
		return soakSample{}, false
	}
	sm := soakSample{ElapsedS: now.Sub(c.start).Seconds(), GatewayRSSKB: gw, RedisRSSKB: rd,
		GatewayCPU: 100 * float64(cpu-c.lastCPU) / float64(now.Sub(c.lastAt))}
	c.lastCPU, c.lastAt = cpu, now
	c.samples = append(c.samples, sm)
	return sm, true
}

// printSoak writes the RSS curve as a table, with the growth over its second half.
func printSoak(w io.Writer, samples []soakSample, rec runRecord) {
	var statuses []string
	for _, code := range slices.Sorted(maps.Keys(rec.Statuses)) {
		statuses = append(statuses, fmt.Sprintf("%s × %s", thousands(float64(rec.Statuses[code])), code))
	}
	fmt.Fprintf(w, "\nSoak: mixed workload against the gateway for %.0f s: %s req/s, answers %s, %d socket errors.\n\n",
		rec.Seconds, thousands(rec.RPS), strings.Join(statuses, ", "), rec.SocketErrors)
	fmt.Fprintln(w, "| elapsed s | gateway VmRSS MB | redis-server VmRSS MB | gateway CPU % |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range samples {
		fmt.Fprintf(w, "| %.0f | %.1f | %.1f | %.0f |\n", s.ElapsedS, mb(s.GatewayRSSKB), mb(s.RedisRSSKB), s.GatewayCPU)
	}
	if len(samples) >= 2 {
		mid, last := samples[(len(samples)-1)/2], samples[len(samples)-1]
		fmt.Fprintf(w, "\nOver the second half (%.0f s → %.0f s) the gateway's RSS changed by %+.1f MB and redis-server's by %+.1f MB\n",
			mid.ElapsedS, last.ElapsedS, mb(last.GatewayRSSKB-mid.GatewayRSSKB), mb(last.RedisRSSKB-mid.RedisRSSKB))
		fmt.Fprintln(w, "(redis-server keeps every audit record: audit.max_len is 0 by default, so its growth is the audit trail).")
	}
}

// writeSoakCSV writes the samples to path, one row each.
func writeSoakCSV(path string, samples []soakSample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"elapsed_s", "gateway_rss_kb", "redis_rss_kb", "gateway_cpu_percent"})
	for _, s := range samples {
		_ = cw.Write([]string{strconv.FormatFloat(s.ElapsedS, 'f', 1, 64), strconv.FormatInt(s.GatewayRSSKB, 10),
			strconv.FormatInt(s.RedisRSSKB, 10), strconv.FormatFloat(s.GatewayCPU, 'f', 1, 64)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mb(kb int64) float64 { return float64(kb) / 1024 }
