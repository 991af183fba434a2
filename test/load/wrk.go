package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what the Lua script's done() reports for one run.
type wrkResult struct {
	Requests   int64            `json:"requests"`
	DurationUS int64            `json:"duration_us"`
	Bytes      int64            `json:"bytes"`
	P50US      float64          `json:"p50_us"`
	P90US      float64          `json:"p90_us"`
	P99US      float64          `json:"p99_us"`
	Statuses   map[string]int64 `json:"statuses"`
	// CPU is what wrk itself used (not from its script).
	CPU    time.Duration `json:"-"`
	Errors struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
}

// wrkRunner runs wrk on the load cores.
type wrkRunner struct {
	path        string
	cores       string
	connections int
	threads     int
	dir         string
}

// run sends paths in turn to base for d and returns wrk's figures. Every connection cycles
// through the paths; each request carries token.
func (r wrkRunner) run(ctx context.Context, base string, paths []string, token string, d time.Duration) (wrkResult, error) {
	script := filepath.Join(r.dir, "workload.lua")
	if err := os.WriteFile(script, []byte(luaScript(paths, token)), 0o600); err != nil {
		return wrkResult{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := pinnedCommand(ctx, r.cores, r.path,
		"-t", strconv.Itoa(r.threads), "-c", strconv.Itoa(r.connections), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "10s", "-s", script, base)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s%s", err, out, stderr.Bytes())
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "WRK_RESULT "); ok {
			var res wrkResult
			if err := json.Unmarshal([]byte(js), &res); err != nil {
				return wrkResult{}, fmt.Errorf("wrk result %q: %w", js, err)
			}
			res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			return res, nil
		}
	}
	return wrkResult{}, fmt.Errorf("wrk printed no result:\n%s%s", out, stderr.Bytes())
}

// luaScript is the wrk script: requests prepared once per thread, every status counted
// (wrk itself only counts "non-2xx or 3xx"), and one JSON line of results at the end.
func luaScript(paths []string, token string) string {
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = strconv.Quote(p)
	}
	return fmt.Sprintf(luaTemplate, strings.Join(quoted, ", "), strconv.Quote(token))
}

const luaTemplate = `
local paths = {%s}
local token = %s
local prepared, n, i = {}, 0, 0
statuses = {}

function init(args)
  local headers = {["Authorization"] = "Bearer " .. token, ["Accept"] = "application/fhir+json"}
  for _, p in ipairs(paths) do
    n = n + 1
    prepared[n] = wrk.format("GET", p, headers)
  end
end

function request()
  i = i %% n + 1
  return prepared[i]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for status, c in pairs(t:get("statuses")) do counts[status] = (counts[status] or 0) + c end
  end
  local parts = {}
  for status, c in pairs(counts) do table.insert(parts, string.format('"%%d":%%d', status, c)) end
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%%d,"duration_us":%%d,"bytes":%%d,' ..
    '"p50_us":%%.0f,"p90_us":%%.0f,"p99_us":%%.0f,"statuses":{%%s},' ..
    '"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`
