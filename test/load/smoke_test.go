package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadHarnessSmoke runs the harness as its README says, built and started as a command,
// for a second and one round of the refused and the mixed workload (which between them send
// every request of the others; bash .ci/run runs every workload): it must start redis-server,
// the canned upstream, the bare proxy and the gateway, sign in, and each run must produce
// requests answered with exactly the planned statuses. It looks at no timing: speed is read
// from the report.
func TestLoadHarnessSmoke(t *testing.T) {
	// Few connections keep each request's latency far below the run's length even on a
	// machine busy with other work, so that every run completes requests.
	rep, stdout := runHarness(t, "-workloads", "refused,mixed", "-duration", "1s", "-rounds", "1", "-warmup", "0s", "-connections", "8")
	s := &system{bare: target{name: "bare"}, gateway: target{name: "gateway"}}
	workloads, err := selectWorkloads("refused,mixed")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range workloads {
		for _, tg := range s.targets(w) {
			r, ok := find(rep.Runs, w.name, tg.name)
			if !ok {
				t.Errorf("%s against %s: no run in the report", w.name, tg.name)
				continue
			}
			checkStatuses(t, r, w.want(tg))
			if r.TargetCPUUS <= 0 {
				t.Errorf("%s against %s: no CPU time measured", w.name, tg.name)
			}
		}
	}
	// Each refused read is answered without the upstream; the only upstream calls are the
	// authorizer's fact lookups when its 30s cache expires, at most three in a 1s run
	// (the patient, and the clinician's practice in two searches).
	if r, ok := find(rep.Runs, "refused", "gateway"); ok && r.UpstreamCalls > 3 {
		t.Errorf("refused reads made %d upstream calls for %d requests", r.UpstreamCalls, r.Requests)
	}
	for _, want := range []string{"| workload | bare `httputil.ReverseProxy` | gateway | gateway ÷ bare, req/s |", "| mixed: read, searches", "| refused read (", "Peak RSS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
}

// runHarness builds the harness and runs it with args, returning its -json report and stdout.
func runHarness(t *testing.T, args ...string) (jsonReport, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build ./test/load: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reportPath := filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(args, "-json", reportPath)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the load harness failed: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep, stdout.String()
}

func find(runs []runRecord, workload, target string) (runRecord, bool) {
	for _, r := range runs {
		if r.Workload == workload && r.Target == target {
			return r, true
		}
	}
	return runRecord{}, false
}

// checkStatuses requires requests, only planned statuses, and every planned status.
func checkStatuses(t *testing.T, r runRecord, want map[int]bool) {
	t.Helper()
	if r.Requests == 0 {
		t.Errorf("%s against %s: no requests", r.Workload, r.Target)
	}
	for code, n := range r.Statuses {
		c, _ := strconv.Atoi(code)
		if !want[c] {
			t.Errorf("%s against %s: %d answers with status %s, planned %v", r.Workload, r.Target, n, code, keys(want))
		}
	}
	for c := range want {
		if r.Statuses[strconv.Itoa(c)] == 0 {
			t.Errorf("%s against %s: no answer with status %d", r.Workload, r.Target, c)
		}
	}
}
