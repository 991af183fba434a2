package forward

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// repository is an Audit Record Repository stand-in: it takes batch Bundles of conditional
// creates and keeps each event once by its If-None-Exist key. down makes it answer 503;
// storeThenFail makes it store a batch and answer 500, as a timeout after the commit would.
type repository struct {
	mu            sync.Mutex
	stored        map[string]int // key -> times created
	posts         int
	down          atomic.Bool
	storeThenFail atomic.Bool
}

func newRepository(t testing.TB) (*repository, *httptest.Server) {
	r := &repository{stored: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *repository) serve(w http.ResponseWriter, req *http.Request) {
	if r.down.Load() || req.Header.Get("Authorization") != "Bearer arr-token" {
		http.Error(w, `{"resourceType":"OperationOutcome","issue":[{"details":{"text":"down"}}]}`, http.StatusServiceUnavailable)
		return
	}
	var b struct {
		Entry []struct {
			Resource auditevent.AuditEvent
			Request  struct{ IfNoneExist string }
		}
	}
	if err := json.NewDecoder(req.Body).Decode(&b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.posts++
	var statuses []string
	for _, e := range b.Entry {
		key := strings.TrimPrefix(e.Request.IfNoneExist, "entity-name:exact=")
		if key == e.Request.IfNoneExist || e.Resource.ID != "" {
			statuses = append(statuses, "400")
			continue
		}
		if r.stored[key] == 0 {
			statuses = append(statuses, "201")
			r.stored[key]++
		} else {
			statuses = append(statuses, "200")
		}
	}
	r.mu.Unlock()
	if r.storeThenFail.Load() {
		http.Error(w, "timeout", http.StatusInternalServerError)
		return
	}
	out := `{"resourceType":"Bundle","type":"batch-response","entry":[`
	for i, s := range statuses {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf(`{"response":{"status":%q}}`, s)
	}
	fmt.Fprint(w, out+"]}")
}

func (r *repository) count() (events, duplicates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.stored {
		events++
		duplicates += n - 1
	}
	return events, duplicates
}

// world is a trail with records and a forwarder shipping them to a repository and to files.
type world struct {
	trail *audit.Trail
	repo  *repository
	dir   string
	fwd   *Forwarder
}

func newWorld(t *testing.T, rdb redis.UniversalClient, keep int64) *world {
	t.Helper()
	repo, srv := newRepository(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{trail: audit.NewTrail(rdb, audit.TrailOptions{Prefix: "t:", Stream: "audit"}), repo: repo, dir: t.TempDir()}
	w.fwd = New(Options{Trail: w.trail, Mapper: auditevent.New("https://gw.example.org"), Signer: signer, Keep: keep,
		CheckpointEvery: 50, Batch: 40, MaxBackoff: time.Millisecond,
		Sinks: []Sink{&FHIR{Base: srv.URL, BearerToken: "arr-token"}, &Files{Dir: w.dir}}})
	return w
}

func (w *world) write(t *testing.T, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		r := audit.Record{Time: time.Now(), RequestID: fmt.Sprintf("REQ%04d", i), Event: "fhir.read", User: "accounts:u-pcp",
			Client: "demo-app", Source: "127.0.0.1", Patients: []string{"child-01"}, Interaction: "read", Resource: "Patient/child-01",
			Decision: "allow", Status: 200}
		if i%7 == 0 {
			r.Patients = []string{"child-01", "child-02"} // two AuditEvents
		}
		if err := w.trail.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

// drain steps the forwarder until it has nothing to do, sleeping over sinks' backoff.
func (w *world) drain(t *testing.T) {
	t.Helper()
	for range 1000 {
		w.fwd.trimmed = time.Time{}
		if !w.fwd.Step(context.Background()) {
			st := w.status(t)
			if st.Sinks[0].Behind <= 1 && st.Sinks[1].Behind <= 1 { // a checkpoint may be last
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	t.Fatalf("the forwarder did not drain: %+v", w.status(t))
}

func (w *world) status(t *testing.T) Status {
	t.Helper()
	st, err := ReadStatus(context.Background(), w.trail, []string{"fhir", "files"}, w.fwd.o.Signer.Keyring())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// wantDelivered checks that each of the n records' events is in the repository once and in the
// files once, in order.
func (w *world) wantDelivered(t *testing.T, n int) {
	t.Helper()
	want := n + (n+6)/7 // every seventh record has two patients
	if events, dups := w.repo.count(); events != want || dups != 0 {
		t.Errorf("repository holds %d events (%d stored twice), want %d once each", events, dups, want)
	}
	lines := fileLines(t, w.dir)
	if len(lines) != want {
		t.Fatalf("files hold %d lines, want %d", len(lines), want)
	}
	var prev int64
	for i, l := range lines {
		seq := seqOf([]byte(l))
		if seq < prev || seq == 0 {
			t.Fatalf("line %d has seq %d after %d", i, seq, prev)
		}
		prev = seq
	}
}

func fileLines(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	var out []string
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		f.Close()
	}
	return out
}

func TestForwarderShipsEverythingOnce(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		w := newWorld(t, srv.Client, 0)
		w.write(t, 0, 230)
		w.drain(t)
		w.wantDelivered(t, 230)
		st := w.status(t)
		if st.Sinks[0].Error != "" || st.Sealed == 0 || st.Entries < 230 {
			t.Errorf("status = %+v", st)
		}
		report, err := w.trail.Verify(context.Background(), w.fwd.o.Signer.Keyring())
		if err != nil || !report.OK() {
			t.Errorf("verify after forwarding = %+v, %v", report, err)
		}
	})
}

// TestForwarderSurvivesAnOutage keeps the repository down for many failed attempts while
// records keep coming and the stream is asked to keep only 20: nothing unshipped is trimmed,
// the status shows the lag and the error, and once the repository is back everything arrives
// once.
func TestForwarderSurvivesAnOutage(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		w := newWorld(t, srv.Client, 20)
		w.repo.down.Store(true)
		for i := range 60 {
			w.write(t, i*5, 5)
			w.fwd.trimmed = time.Time{}
			w.fwd.Step(context.Background())
			time.Sleep(time.Millisecond) // the backoff
		}
		st := w.status(t)
		fhir := st.Sinks[0]
		if fhir.Behind < 300 || fhir.Error == "" || fhir.Failures < 10 || fhir.OldestWaiting == nil || st.Entries < 300 {
			t.Fatalf("during the outage: status %+v, fhir %+v", st, fhir)
		}
		if st.Sinks[1].Behind > 2 {
			t.Errorf("the files sink waited for the repository: %+v", st.Sinks[1])
		}
		w.repo.down.Store(false)
		w.drain(t)
		w.wantDelivered(t, 300)
		w.fwd.trimmed = time.Time{}
		w.fwd.Step(context.Background())
		if st := w.status(t); st.Entries >= 300 || st.Sinks[0].Error != "" {
			t.Errorf("after the outage the stream was not trimmed or the error stayed: %+v", st)
		}
		if report, err := w.trail.Verify(context.Background(), w.fwd.o.Signer.Keyring()); err != nil || !report.OK() {
			t.Errorf("verify after trimming = %+v, %v", report, err)
		}
	})
}

// TestForwarderIsIdempotent sends batches that the repository stores but answers with an error
// (a timeout after the commit), and restarts the files sink with a torn last line: every event
// is still kept once.
func TestForwarderIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, redistest.Embedded(t).Client, 0)
	w.write(t, 0, 100)
	w.repo.storeThenFail.Store(true)
	for range 5 {
		w.fwd.Step(context.Background())
		time.Sleep(2 * time.Millisecond)
	}
	w.repo.storeThenFail.Store(false)
	w.drain(t)
	// A restart of the gateway: a new files sink, a torn line at the end of the newest file,
	// and the cursor set back so that the last batch goes again.
	names, _ := filepath.Glob(filepath.Join(w.dir, "*.ndjson"))
	f, err := os.OpenFile(names[len(names)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, `{"resourceType":"AuditEv`)
	f.Close()
	w.fwd = New(Options{Trail: w.trail, Mapper: w.fwd.o.Mapper, Signer: w.fwd.o.Signer, Batch: 40, MaxBackoff: time.Millisecond,
		Sinks: []Sink{w.fwd.o.Sinks[0], &Files{Dir: w.dir}}})
	entries, _ := w.trail.Entries(context.Background(), "", 0)
	for _, name := range []string{"fhir", "files"} {
		w.trail.Redis().HSet(context.Background(), w.trail.KeyFor("shipped:"+name), "id", entries[50].ID, "seq", entries[50].Seq)
	}
	w.write(t, 100, 10)
	w.drain(t)
	w.wantDelivered(t, 110)
}

// TestOneForwarderAtATime: of two replicas one holds the lease; when it stops, the other takes
// over at once.
func TestOneForwarderAtATime(t *testing.T) {
	t.Parallel()
	rdb := redistest.Embedded(t).Client
	a, b := newWorld(t, rdb, 0), newWorld(t, rdb, 0)
	ctx := context.Background()
	if !a.fwd.lead(ctx) || b.fwd.lead(ctx) {
		t.Fatal("both or neither replica lead")
	}
	if !a.fwd.lead(ctx) {
		t.Fatal("the leader lost its own lease")
	}
	a.fwd.release(ctx)
	if !b.fwd.lead(ctx) || a.fwd.lead(ctx) {
		t.Error("the lease did not pass to the other replica")
	}
}

func TestFHIRSinkRefusalIsAnError(t *testing.T) {
	t.Parallel()
	_, srv := newRepository(t)
	s := &FHIR{Base: srv.URL, BearerToken: "wrong"}
	err := s.Send(context.Background(), []Item{{Seq: 1, Events: auditevent.New("https://gw").Events(audit.Record{RequestID: "R"}, 1)}})
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Send to a refusing repository = %v", err)
	}
}
