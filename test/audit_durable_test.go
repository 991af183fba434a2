package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/demo/login"
)

// auditGateway is a demo gateway on redis-server with the audit section of the test (auditConfig).
func auditGateway(t *testing.T, redisURL, yaml string) (*gateway, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte("demo: {enabled: true}\n"+yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return startGatewayWith(t, gatewayOptions{RedisURL: redisURL, ConfigFile: file}), file
}

func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// reads makes n allowed reads as pcp.
func reads(t *testing.T, g *gateway, token string, n int) {
	t.Helper()
	for i := range n {
		if status, _ := fhirCallID(t, g, fmt.Sprintf("/Patient/child-0%d", 1+i%9), token); status != 200 {
			t.Fatalf("read %d: %d", i, status)
		}
	}
}

// TestAuditVerifyFindsTampering writes a sealed trail through the gateway, then copies it and
// tampers with each copy in one way, as someone with write access to Redis could: audit verify
// passes on the original and fails on each copy, naming the kind and the first place.
func TestAuditVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	redisURL := startRedis(t)
	yaml, _ := auditConfig(t, "", "", 0)
	g, file := auditGateway(t, redisURL, yaml)
	token, err := loginUser(g, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	reads(t, g, token, 25)
	rdb := redisClient(t, redisURL)
	waitFor(t, "a checkpoint over the reads", func() bool { return checkpointsIn(t, rdb, "mypatients:{audit}") >= 1 }, g.log)
	verify := func(stream string) (int, string) {
		return runCLI(t, []string{"MYPATIENTS_AUDIT_STREAM=" + stream}, "audit", "verify", "--config", file, "--redis-url", redisURL)
	}
	if code, out := verify("audit"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify of the untouched trail: %d\n%s", code, out)
	}
	// Tamper around the first two records in a row from the fifth entry on.
	msgs, err := rdb.XRange(context.Background(), "mypatients:{audit}", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	i := 4
	for msgs[i].Values["record"] == nil || msgs[i+1].Values["record"] == nil {
		i++
	}
	seq := func(m redis.XMessage) string { return m.Values["seq"].(string) }
	for _, tc := range []struct {
		kind   string
		tamper func([]redis.XMessage) []redis.XMessage
		want   string
	}{
		{"removed", func(m []redis.XMessage) []redis.XMessage { return append(m[:i:i], m[i+1:]...) }, "FAIL: removed at seq " + seq(msgs[i])},
		{"changed", func(m []redis.XMessage) []redis.XMessage {
			m[i].Values["record"] = strings.Replace(m[i].Values["record"].(string), `"child-0`, `"child-1`, 1)
			return m
		}, "FAIL: changed at seq " + seq(msgs[i])},
		{"reordered", func(m []redis.XMessage) []redis.XMessage { m[i], m[i+1] = m[i+1], m[i]; return m }, "FAIL: reordered at seq " + seq(msgs[i+1])},
		{"inserted", func(m []redis.XMessage) []redis.XMessage {
			forged := redis.XMessage{Values: map[string]any{"record": `{"user":"accounts:u-pcp","patients":["child-10"],"decision":"allow"}`}}
			return append(m[:i+1:i+1], append([]redis.XMessage{forged}, m[i+1:]...)...)
		}, "FAIL: inserted at seq 0"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			stream := "audit-" + tc.kind
			copyStream(t, rdb, "mypatients:{audit}", "mypatients:{"+stream+"}", tc.tamper)
			code, out := verify(stream)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("verify after %s: exit %d, want %q:\n%s", tc.kind, code, tc.want, out)
			}
			if !regexp.MustCompile(`\(stream id \d+-\d+\)`).MatchString(out) {
				t.Errorf("verify names no stream id: %s", out)
			}
		})
	}
}

func checkpointsIn(t *testing.T, rdb *redis.Client, key string) int {
	msgs, err := rdb.XRange(context.Background(), key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if _, ok := m.Values["checkpoint"]; ok {
			n++
		}
	}
	return n
}

// copyStream copies stream from, tampered with, to stream to, with its head.
func copyStream(t *testing.T, rdb *redis.Client, from, to string, tamper func([]redis.XMessage) []redis.XMessage) {
	t.Helper()
	ctx := context.Background()
	msgs, err := rdb.XRange(ctx, from, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	head, err := rdb.HGetAll(ctx, from+":head").Result()
	if err != nil {
		t.Fatal(err)
	}
	msgs = tamper(msgs)
	for i, m := range msgs {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: to, ID: fmt.Sprintf("%d-1", 1000+i), Values: m.Values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, to+":head", head).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestAuditForwarderSurvivesOutageAndRestart keeps the Audit Record Repository unreachable
// while pcp keeps reading and the gateway is killed and started again, and the stream is told
// to keep only 30 entries: reads go on (Redis is the gate, not the repository), the status
// shows the lag and the failure, nothing unshipped is trimmed, and once the repository is back
// every record is there exactly once, in the files too, and the trimmed stream still verifies.
func TestAuditForwarderSurvivesOutageAndRestart(t *testing.T) {
	t.Parallel()
	arr := startARR(t)
	proxy := startProxy(t, strings.TrimSuffix(strings.TrimPrefix(arr.base, "http://"), "/fhir"))
	redisURL := startRedis(t)
	yaml, filesDir := auditConfig(t, proxy.url(arr.base), arr.token, 30)
	g, file := auditGateway(t, redisURL, yaml)
	token, err := loginUser(g, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	reads(t, g, token, 20)
	before := eventKeys(g.base, streamRecords(t, redisURL, "audit")) // the reads and the sign-in
	waitForEvents(t, arr, len(before), g.log)

	proxy.setDown(true)
	reads(t, g, token, 40)
	waitFor(t, "the status to show the outage", func() bool {
		st := auditStatus(t, file, redisURL)
		return st.Sinks[0].Name == "fhir" && st.Sinks[0].Behind >= 40 && st.Sinks[0].Error != "" && st.Entries >= 40
	}, g.log)
	g.kill() // a crash, during the outage
	g2 := startGatewayWith(t, gatewayOptions{RedisURL: redisURL, ConfigFile: file})
	token2, err := login.Login(context.Background(), g2.loginOptions(), "accounts", "pcp", g2.password)
	if err != nil {
		t.Fatal(err)
	}
	reads(t, g2, token2.AccessToken, 20)
	waiting := streamRecords(t, redisURL, "audit") // nothing unshipped may have been trimmed
	if st := auditStatus(t, file, redisURL); st.Sinks[0].Behind < 60 || st.Entries < 60 || len(waiting) < 60+len(before) {
		t.Fatalf("status after the restart, the repository still down: %+v, %d records kept", st, len(waiting))
	}
	want := eventKeys(g2.base, waiting)
	for k := range before {
		want[k] = audit.Record{}
	}

	proxy.setDown(false)
	back := time.Now()
	evs := waitForEvents(t, arr, len(want), g2.log)
	t.Logf("the repository took the %d records waiting in %s", len(want)-len(before), time.Since(back).Round(time.Millisecond))
	seen := map[string]int{}
	for _, ev := range evs {
		seen[keyOf(ev)]++
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("the repository holds %s %d times", k, seen[k])
		}
	}
	if len(seen) != len(want) || len(evs) != len(want) {
		t.Errorf("the repository holds %d events (%d distinct), want %d once each", len(evs), len(seen), len(want))
	}
	waitFor(t, "the files to catch up", func() bool { return len(fileEvents(t, filesDir)) >= len(want) }, g2.log)
	if files := fileEvents(t, filesDir); len(files) != len(want) {
		t.Errorf("the files hold %d distinct events, want %d", len(files), len(want))
	}
	// Trimmed to a checkpoint's start, which leaves more than max_len when checkpoints are long.
	waitFor(t, "the stream trimmed behind what was shipped", func() bool {
		st := auditStatus(t, file, redisURL)
		return st.Entries < st.Head
	}, g2.log)
	if code, out := runCLI(t, nil, "audit", "verify", "--config", file, "--redis-url", redisURL); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify of the trimmed stream: %d\n%s", code, out)
	}
}

// status is what `mypatients audit status` prints.
type status struct {
	Head    int64 `json:"head_seq"`
	Entries int64 `json:"stream_entries"`
	Sinks   []struct {
		Name   string `json:"sink"`
		Behind int64  `json:"behind"`
		Error  string `json:"error"`
	} `json:"sinks"`
}

func auditStatus(t *testing.T, file, redisURL string) status {
	t.Helper()
	code, out := runCLI(t, nil, "audit", "status", "--config", file, "--redis-url", redisURL)
	var st status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Sinks) != 2 {
		t.Fatalf("audit status: %d %s", code, out)
	}
	return st
}
