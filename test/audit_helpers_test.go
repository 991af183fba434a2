package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
)

// startARR runs the Audit Record Repository of js/medplum (Medplum's router and in-memory
// repository, validating every AuditEvent it is sent) and returns it.
func startARR(t *testing.T) *medplumServer {
	t.Helper()
	return runMedplum(t, "arr.mjs", "0")
}

// auditEvents reads every AuditEvent the repository holds, page by page.
func (m *medplumServer) auditEvents(t *testing.T) []auditevent.AuditEvent {
	t.Helper()
	var out []auditevent.AuditEvent
	for offset := 0; ; offset += 1000 {
		var b struct {
			Total int `json:"total"`
			Entry []struct {
				Resource auditevent.AuditEvent `json:"resource"`
			} `json:"entry"`
		}
		m.getJSON(t, "/AuditEvent?_count=1000&_offset="+strconv.Itoa(offset), &b)
		for _, e := range b.Entry {
			out = append(out, e.Resource)
		}
		if len(b.Entry) < 1000 {
			return out
		}
	}
}

func (m *medplumServer) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, m.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+m.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, out) != nil {
		t.Fatalf("GET %s at the repository: %d %.300s", path, resp.StatusCode, b)
	}
}

// flakyProxy forwards TCP connections to a target until it is set down: then it drops every
// connection, as a repository that is unreachable would.
type flakyProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *flakyProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c, up)
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

func (p *flakyProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

// setDown drops every open connection and refuses new ones while down.
func (p *flakyProxy) setDown(down bool) {
	p.down.Store(down)
	if !down {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// url is the proxied address of a URL of the target.
func (p *flakyProxy) url(target string) string {
	return strings.Replace(target, p.target, p.ln.Addr().String(), 1)
}

// checkpointKey writes an audit checkpoint key into dir with the CLI, as an operator would,
// and returns its path.
func checkpointKey(t *testing.T, dir string) string {
	t.Helper()
	key := filepath.Join(dir, "checkpoint.pem")
	if code, out := runCLI(t, nil, "audit", "keygen", "--out", key); code != 0 || !strings.Contains(out, "PUBLIC KEY") {
		t.Fatalf("audit keygen: %d %s", code, out)
	}
	return key
}

// auditConfig is the audit section of a test gateway's configuration: a checkpoint key made
// with the CLI, the repository, files in a directory of the test's, quick checkpoints.
func auditConfig(t *testing.T, arrBase, arrToken string, maxLen int) (yaml, filesDir string) {
	t.Helper()
	dir := t.TempDir()
	key := checkpointKey(t, dir)
	filesDir = filepath.Join(dir, "auditevents")
	yaml = fmt.Sprintf(`audit:
  checkpoint_key_file: %s
  checkpoint_every: 10
  checkpoint_interval: 1s
  max_len: %d
  files: {dir: %s}
`, key, maxLen, filesDir)
	if arrBase != "" {
		yaml += fmt.Sprintf("  repository: {url: %q, bearer_token: %q}\n", arrBase, arrToken)
	}
	return yaml, filesDir
}

// chained is one record of the stream with its seq.
type chained struct {
	seq int64
	rec audit.Record
}

// streamRecords reads the records of the gateway's stream with their seqs.
func streamRecords(t *testing.T, redisURL, stream string) []chained {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	entries, err := audit.NewTrail(rdb, audit.TrailOptions{Prefix: "mypatients:", Stream: stream}).Entries(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []chained
	for _, e := range entries {
		if r, err := e.Record(); err == nil {
			out = append(out, chained{e.Seq, r})
		}
	}
	return out
}

// eventKeys are the keys of the AuditEvents the records map to, as the repository must hold
// them: each once.
func eventKeys(base string, recs []chained) map[string]audit.Record {
	m := auditevent.New(base)
	keys := map[string]audit.Record{}
	for _, c := range recs {
		for _, ev := range m.Events(c.rec, c.seq) {
			keys[ev.ID] = c.rec
		}
	}
	return keys
}

// keyOf is an AuditEvent's key, the name of its transaction entity.
func keyOf(ev auditevent.AuditEvent) string {
	for _, e := range ev.Entity {
		if e.Type != nil && e.Type.Code == "XrequestId" {
			return e.Name
		}
	}
	return ""
}

// waitForEvents waits until the repository holds at least n AuditEvents and returns them.
func waitForEvents(t *testing.T, arr *medplumServer, n int, out fmt.Stringer) []auditevent.AuditEvent {
	t.Helper()
	var evs []auditevent.AuditEvent
	deadline := time.Now().Add(90 * time.Second)
	for {
		evs = arr.auditEvents(t)
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the repository holds %d AuditEvents after 90s, want %d; gateway output:\n%s", len(evs), n, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// fhirCallID makes one FHIR request and returns its status and the gateway's request id.
func fhirCallID(t *testing.T, g *gateway, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.base+"/fhir"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Request-Id")
}
