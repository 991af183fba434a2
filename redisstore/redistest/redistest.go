// Package redistest runs a package's Redis tests against both servers the gateway meets: a real
// redis-server, as production runs, and the embedded in-process Redis of the demo. The same
// test must pass on both, since one code path serves them. Each run gets fresh servers of its
// own, started on free loopback ports and stopped when the test ends. It is for tests only;
// end-to-end tests start the gateway's Redis themselves (see test/).
package redistest

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore"
)

// Server is one Redis started for one test.
type Server struct {
	// Name is "redis-server" or "embedded", the name of the subtest.
	Name string
	// URL is the server's redis:// URL.
	URL string
	// Client is a client of the server, closed when the test ends.
	Client redis.UniversalClient
	stop   func()
}

// Stop stops the server at once, for tests of what happens when Redis goes away.
func (s *Server) Stop() { s.stop() }

// Run runs test twice, as the subtests "redis-server" and "embedded", each with a fresh
// server. The subtests run one after the other; the caller may mark itself parallel.
func Run(t *testing.T, test func(t *testing.T, srv *Server)) {
	t.Helper()
	for _, start := range []struct {
		name  string
		start func(testing.TB) *Server
	}{{"redis-server", RedisServer}, {"embedded", Embedded}} {
		t.Run(start.name, func(t *testing.T) { test(t, start.start(t)) })
	}
}

// Embedded starts an embedded Redis for t.
func Embedded(t testing.TB) *Server {
	t.Helper()
	emb, err := redisstore.StartEmbedded("")
	if err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(emb.Close)
	t.Cleanup(stop)
	return connect(t, &Server{Name: "embedded", URL: emb.URL(), stop: stop})
}

// RedisServer starts a real redis-server for t on a free loopback port, with no persistence.
// The process is killed when t ends, or with the test binary should that die first.
func RedisServer(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: apt-get install -y redis-server (bash .ci/run does it)")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	t.Cleanup(stop)
	srv := &Server{Name: "redis-server", URL: "redis://" + addr, stop: stop}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return connect(t, srv)
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %s", addr, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func connect(t testing.TB, srv *Server) *Server {
	t.Helper()
	rdb, err := redisstore.Open(context.Background(), redisstore.Options{URL: srv.URL})
	if err != nil {
		t.Fatalf("%s: %v", srv.Name, err)
	}
	t.Cleanup(func() { rdb.Close() })
	srv.Client = rdb
	return srv
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// RoundTrips counts a client's round trips to Redis, one per command sent alone and one per
// pipeline, for tests that hold a code path to its budget. Add it with the client's AddHook.
type RoundTrips struct{ n atomic.Int64 }

// Take returns the round trips counted since the last Take.
func (r *RoundTrips) Take() int64 { return r.n.Swap(0) }

func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}

func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}
