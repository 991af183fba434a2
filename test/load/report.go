package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// figures summarise the runs of one workload against one target over all rounds.
type figures struct {
	runs                   int
	rps, rpsMin, rpsMax    float64 // median and range over rounds
	p50, p90, p99          float64 // medians over rounds, ms
	cpu, redis, upstreamUS float64 // µs per request: total CPU over all rounds ÷ all requests
	upstreamCalls          float64 // per request
	non2xx, socketErrors   int64
	unexpected             int64
	// Means over rounds, in %: the pinned core's busy time and the target's share of it,
	// the load cores' busy time and the harness's share of it (wrk, upstream, redis-server).
	pinnedBusy, targetShare, loadBusy, loadShare float64
}

func summarize(records []runRecord, workload, target string) (figures, bool) {
	var f figures
	var rps, p50, p90, p99 []float64
	var requests int64
	for _, r := range records {
		if r.Workload != workload || r.Target != target {
			continue
		}
		f.runs++
		rps, p50, p90, p99 = append(rps, r.RPS), append(p50, r.P50MS), append(p90, r.P90MS), append(p99, r.P99MS)
		requests += r.Requests
		f.cpu += r.TargetCPUUS
		f.redis += r.RedisCPUUS
		f.upstreamUS += r.UpstreamCPUUS
		f.upstreamCalls += float64(r.UpstreamCalls)
		f.non2xx += r.non2xx()
		f.socketErrors += r.SocketErrors
		f.unexpected += r.Unexpected
		f.pinnedBusy, f.targetShare = f.pinnedBusy+r.PinnedBusy, f.targetShare+r.TargetShare
		f.loadBusy, f.loadShare = f.loadBusy+r.LoadBusy, f.loadShare+r.LoadShare
	}
	if f.runs == 0 || requests == 0 {
		return f, false
	}
	per := float64(requests)
	f.cpu, f.redis, f.upstreamUS, f.upstreamCalls = f.cpu/per, f.redis/per, f.upstreamUS/per, f.upstreamCalls/per
	n := float64(f.runs)
	f.pinnedBusy, f.targetShare, f.loadBusy, f.loadShare = f.pinnedBusy/n, f.targetShare/n, f.loadBusy/n, f.loadShare/n
	f.rps, f.rpsMin, f.rpsMax = median(rps), slices.Min(rps), slices.Max(rps)
	f.p50, f.p90, f.p99 = median(p50), median(p90), median(p99)
	return f, true
}

// ratios returns, for each round, the gateway's req/s over the bare proxy's in that round.
func ratios(records []runRecord, workload string) []float64 {
	type key struct {
		round  int
		target string
	}
	rps := map[key]float64{}
	var rounds []int
	for _, r := range records {
		if r.Workload == workload {
			rps[key{r.Round, r.Target}] = r.RPS
			rounds = append(rounds, r.Round)
		}
	}
	var out []float64
	for _, round := range slices.Compact(slices.Sorted(slices.Values(rounds))) {
		bare, gw := rps[key{round, "bare"}], rps[key{round, "gateway"}]
		if bare > 0 && gw > 0 {
			out = append(out, gw/bare)
		}
	}
	return out
}

// printTables writes the summary in the format of the project's speed issue, then every
// figure per workload and target.
func printTables(w io.Writer, workloads []workload, sizes map[string]int, records []runRecord) {
	fmt.Fprintln(w, "| workload | bare `httputil.ReverseProxy` | gateway | gateway ÷ bare, req/s |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, wl := range workloads {
		bareCell, gwCell, ratioCell := "—", "—", "—"
		b, bareOK := summarize(records, wl.name, "bare")
		if bareOK {
			bareCell = fmt.Sprintf("%s µs CPU/req", thousands(b.cpu))
		}
		g, gwOK := summarize(records, wl.name, "gateway")
		if gwOK {
			gwCell = fmt.Sprintf("%s µs (+%s µs in redis-server)", thousands(g.cpu), thousands(g.redis))
		}
		if rs := ratios(records, wl.name); len(rs) > 0 {
			ratioCell = ratio(median(rs))
			if len(rs) > 1 {
				ratioCell += fmt.Sprintf(" (%s–%s)", ratio(slices.Min(rs)), ratio(slices.Max(rs)))
			}
			ratioCell += "; by CPU " + ratio(b.cpu/g.cpu)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", title(wl, sizes), bareCell, gwCell, ratioCell)
	}
	fmt.Fprintln(w)
	printDetails(w, workloads, records)
}

// printDetails writes every figure per workload and target.
func printDetails(w io.Writer, workloads []workload, records []runRecord) {
	fmt.Fprintln(w, "The ratio is the median over the rounds of the gateway's req/s ÷ the bare proxy's in the same")
	fmt.Fprintln(w, "round, with its range; \"by CPU\" is the bare proxy's CPU per request ÷ the gateway's: the req/s")
	fmt.Fprintln(w, "ratio both would reach with a core each to themselves, and the steadier figure on a busy machine.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "req/s and latencies are medians over the rounds (req/s with its range); CPU per request is the")
	fmt.Fprintln(w, "process's utime+stime over all rounds ÷ all its requests. Core busy is the mean over the rounds of")
	fmt.Fprintln(w, "the pinned core's busy time (in brackets: the target's own share) and of the load cores' (in")
	fmt.Fprintln(w, "brackets: wrk, the upstream and redis-server); the rest is other processes and interrupts.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | target | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req | redis-server µs/req | upstream µs/req | upstream calls/req | non-2xx | socket errors | pinned core busy | load cores busy |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, wl := range workloads {
		for _, t := range []string{"bare", "gateway"} {
			f, ok := summarize(records, wl.name, t)
			if !ok {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s (%s–%s) | %.2f | %.2f | %.2f | %s | %s | %s | %.2f | %d | %d | %.0f%% (%.0f%%) | %.0f%% (%.0f%%) |\n",
				wl.name, t, thousands(f.rps), thousands(f.rpsMin), thousands(f.rpsMax), f.p50, f.p90, f.p99,
				thousands(f.cpu), thousands(f.redis), thousands(f.upstreamUS), f.upstreamCalls,
				f.non2xx, f.socketErrors, f.pinnedBusy, f.targetShare, f.loadBusy, f.loadShare)
		}
	}
}

// warnings lists what makes the figures less trustworthy than they look, once per workload,
// target and kind with the rounds it happened in: the measured process not saturating its
// core, other work on that core, a busy load side, and errors.
func warnings(records []runRecord, plan corePlan) []string {
	var c concerns
	for _, r := range records {
		if r.PinnedBusy < 90 {
			c.note(r, "idle", -r.PinnedBusy, "the pinned core was only %.0f%% busy, so req/s is not bounded by the target's CPU")
		}
		if other := r.PinnedBusy - r.TargetShare; other > 15 {
			c.note(r, "other", other, "other work (other processes, interrupts) took up to %.0f%% of the pinned core: req/s is understated")
		}
		if r.LoadBusy > 90 {
			c.note(r, "load", r.LoadBusy, "the load cores were up to %.0f%% busy: the load side may be the bottleneck")
		}
		if n := r.SocketErrors + r.Unexpected; n > 0 {
			c.note(r, "errors", float64(n), "up to %.0f socket errors or requests the upstream did not expect in a round")
		}
	}
	var out []string
	if plan.shared() {
		out = append(out, "one core only: the load generator shares the measured process's core, so req/s compares little")
	}
	return append(out, c.lines()...)
}

// concerns gathers warnings by workload, target and kind.
type concerns struct {
	order []string
	by    map[string]*concern
}

type concern struct {
	text   string  // with one %.0f for the worst value
	worst  float64 // the largest value noted; a negated value for "lowest" kinds
	rounds []string
}

func (c *concerns) note(r runRecord, kind string, value float64, text string) {
	key := r.Workload + "/" + r.Target + "/" + kind
	if c.by == nil {
		c.by = map[string]*concern{}
	}
	x, ok := c.by[key]
	if !ok {
		x = &concern{text: r.Workload + " against " + r.Target + ": " + text, worst: value}
		c.by[key] = x
		c.order = append(c.order, key)
	}
	x.worst = max(x.worst, value)
	x.rounds = append(x.rounds, fmt.Sprint(r.Round))
}

func (c *concerns) lines() []string {
	var out []string
	for _, k := range c.order {
		x := c.by[k]
		out = append(out, fmt.Sprintf(x.text, math.Abs(x.worst))+" (round "+strings.Join(x.rounds, ", ")+")")
	}
	return out
}

func title(w workload, sizes map[string]int) string {
	n, ok := sizes[w.name]
	switch {
	case !ok || n == 0:
		return w.title
	case n < 10_000:
		return fmt.Sprintf("%s (%.1f KB)", w.title, float64(n)/1000)
	default:
		return fmt.Sprintf("%s (%d KB)", w.title, (n+500)/1000)
	}
}

func ratio(r float64) string {
	if r < 0.1 {
		return fmt.Sprintf("%.3f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// thousands formats a rounded number with thousands separators: 2606.4 → "2,606".
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
