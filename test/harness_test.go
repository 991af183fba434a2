package test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// binary is the mypatients command built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mypatients-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mypatients")
	build := exec.Command("go", "build", "-o", binary, "./cmd/mypatients")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mypatients:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// handedOut remembers every port freeAddr has returned in this test binary: the kernel may
// offer a just-closed port again, and two parts of parallel tests must never share one.
var handedOut sync.Map

// freeAddr returns a loopback address with a port that was free a moment ago and that no
// other caller in this test run has been given.
func freeAddr(t testing.TB) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, taken := handedOut.LoadOrStore(addr, true); !taken {
			return addr
		}
	}
}

// startRedis runs a real redis-server on a free port for the test.
func startRedis(t testing.TB) string {
	t.Helper()
	url, _ := startRedisProcess(t)
	return url
}

// startRedisProcess is startRedis that also returns a function stopping the server, for
// tests of what happens when Redis goes away.
func startRedisProcess(t testing.TB) (string, func()) {
	t.Helper()
	addr, stop := startRedisWith(t, "--save", "", "--appendonly", "no")
	return "redis://" + addr, stop
}

// startRedisWith runs redis-server on a free port with extra arguments and returns its address
// and a function stopping it.
func startRedisWith(t testing.TB, args ...string) (string, func()) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: apt-get install -y redis-server (bash .ci/run does it)")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(path, append([]string{"--bind", "127.0.0.1", "--port", port}, args...)...)
	cmd.SysProcAttr = dieWithParent()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	t.Cleanup(stop)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	waitFor(t, "redis-server", func() bool { return rdb.Ping(context.Background()).Err() == nil }, out)
	return addr, stop
}

// gateway is one running mypatients process with its demo parts.
type gateway struct {
	pid      int
	base     string
	redisURL string
	password string
	log      *syncBuffer
	// kill stops the process at once (SIGKILL), as a crash would; the cleanup is then a no-op.
	kill func()
}

// gatewayOptions varies how startGatewayWith runs the gateway.
type gatewayOptions struct {
	// RedisURL is a Redis to use; empty uses the embedded Redis.
	RedisURL string
	// ConfigFile is passed as --config; the file may turn demo mode on (demo.enabled: true) to
	// keep the embedded parts it does not configure.
	ConfigFile string
	// Env are extra KEY=VALUE environment variables, applied last.
	Env []string
	// Args are extra arguments to serve.
	Args []string
	// Localhost makes the base URL http://localhost:<port> (the listener stays on 127.0.0.1):
	// browsers accept a passkey only for a host name, never an IP address.
	Localhost bool
	// Addr is the gateway's address (default: a free one); Scheme its scheme (default http).
	Addr, Scheme string
}

// startGateway runs `mypatients serve` in demo mode. redisURL empty uses the embedded Redis.
func startGateway(t testing.TB, redisURL string) *gateway {
	t.Helper()
	return startGatewayWith(t, gatewayOptions{RedisURL: redisURL})
}

// startGatewayWith runs `mypatients serve` with its demo parts on free ports. A port picked
// free can be taken by another test before the gateway binds it: a start that fails so is
// tried again, on new ports.
func startGatewayWith(t testing.TB, o gatewayOptions) *gateway {
	t.Helper()
	for attempt := 1; ; attempt++ {
		g, err := launchGateway(t, o)
		if err == nil {
			return g
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("gateway start %d: %v; trying again on other ports", attempt, err)
	}
}

// launchGateway starts the gateway once; an error means it exited before it was ready.
func launchGateway(t testing.TB, o gatewayOptions) (*gateway, error) {
	t.Helper()
	redisURL := o.RedisURL
	addr, scheme := o.Addr, o.Scheme
	if addr == "" {
		addr = freeAddr(t)
	}
	if scheme == "" {
		scheme = "http"
	}
	embeddedRedis := freeAddr(t)
	g := &gateway{base: scheme + "://" + addr, password: "e2e-" + fmt.Sprint(time.Now().UnixNano()), log: &syncBuffer{}}
	env := append(os.Environ(),
		"MYPATIENTS_DEMO_PASSWORD="+g.password,
		"MYPATIENTS_DEMO_EHR_ADDR="+freeAddr(t),
		"MYPATIENTS_DEMO_SSO_ADDR="+freeAddr(t),
		"MYPATIENTS_DEMO_APP_ADDR=off",
		"MYPATIENTS_DEMO_REDIS_ADDR="+embeddedRedis,
	)
	g.redisURL = "redis://" + embeddedRedis
	if redisURL != "" {
		env = append(env, "MYPATIENTS_REDIS_URL="+redisURL)
		g.redisURL = redisURL
	}
	env = append(env, o.Env...)
	for _, kv := range o.Env {
		if v, ok := strings.CutPrefix(kv, "MYPATIENTS_DEMO_PASSWORD="); ok {
			g.password = v // replicas on one Redis share the demo accounts, so their password
		}
	}
	args := []string{"serve", "--addr", addr}
	if o.Localhost {
		g.base = "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]
		args = append(args, "--base-url", g.base)
	}
	if o.ConfigFile != "" {
		args = append(args, "--config", o.ConfigFile)
	}
	cmd := exec.Command(binary, append(args, o.Args...)...)
	cmd.SysProcAttr = dieWithParent()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = g.log, g.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.pid = cmd.Process.Pid
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	g.kill = func() { _ = cmd.Process.Kill(); <-done }
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Error("gateway did not stop within 15s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("gateway output:\n%s", g.log.String())
		}
	})
	probe := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // only asks whether it listens
	exited := false
	waitFor(t, "gateway", func() bool {
		select {
		case <-done:
			exited = true
			return true
		default:
		}
		resp, err := probe.Get(g.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, g.log)
	if exited {
		return nil, fmt.Errorf("the gateway exited before it was ready; output:\n%s", g.log.String())
	}
	return g, nil
}

// dieWithParent makes a child process get SIGKILL when the test binary dies without its
// cleanups (a crash, a kill -9), so no gateway or redis-server outlives a test run.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func waitFor(t testing.TB, what string, ready func() bool, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become ready in 90s; output:\n%s", what, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer collects a process's output safely for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
