package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// system is everything one harness run starts: redis-server and the canned upstream on the
// load cores, the bare proxy and the gateway on the pinned core, and a clinician's token.
type system struct {
	dir      string
	cores    corePlan
	tick     time.Duration
	redis    *child
	upstream *child
	bare     target
	gateway  target
	token    string // pcp's access token at the gateway
	children []*child
	// connections is wrk's: every one of them is pcp, and the gateway lets one caller have
	// only limits.caller_concurrency requests in flight, so the harness raises it to this.
	connections int
	// adminAddr, when set, is where the gateway serves its admin listener (pprof, metrics).
	adminAddr string

	upstreamBase string // the canned upstream's origin
	redisAddr    string
	gatewayBin   string
	gatewayLabel string // where the binary came from
}

// target is one of the two measured processes.
type target struct {
	name string // "bare" or "gateway"
	base string // its origin, e.g. http://127.0.0.1:4711
	proc *child
}

// start brings the whole system up; on error what was started is stopped again.
func (s *system) start(ctx context.Context, gatewayBin, redisServer string) (err error) {
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	credential := rand.Text()
	if err := s.startRedis(ctx, redisServer); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	up, addr, err := s.startRole(ctx, "upstream", s.cores.loadList(), self, roleUpstream, "-token", credential)
	if err != nil {
		return err
	}
	s.upstream, s.upstreamBase = up, "http://"+addr
	proxy, addr, err := s.startRole(ctx, "bare-proxy", s.cores.pinnedList(), self, roleProxy, "-upstream", s.upstreamBase, "-token", credential)
	if err != nil {
		return err
	}
	s.bare = target{name: "bare", base: "http://" + addr, proc: proxy}
	s.gatewayLabel = "given with -gateway-bin"
	if gatewayBin == "" {
		if gatewayBin, s.gatewayLabel, err = buildGateway(ctx, s.dir); err != nil {
			return err
		}
	}
	s.gatewayBin = gatewayBin
	return s.startGateway(ctx, gatewayBin, credential)
}

func (s *system) startRedis(ctx context.Context, path string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	c, err := startChild("redis-server", s.dir, s.cores.loadList(), path,
		[]string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no"}, os.Environ())
	if err != nil {
		return err
	}
	s.children = append(s.children, c)
	s.redis, s.redisAddr = c, addr
	return c.waitReady(ctx, func() bool { return redisPing(addr) })
}

// startRole starts one of the harness's own servers and returns it with its address.
func (s *system) startRole(ctx context.Context, name, cores, self string, args ...string) (*child, string, error) {
	c, err := startChild(name, s.dir, cores, self, args, os.Environ())
	if err != nil {
		return nil, "", err
	}
	s.children = append(s.children, c)
	addr, err := c.listenAddr(ctx)
	return c, addr, err
}

// startGateway runs `mypatients serve` in demo mode (its demo IdPs, no demo EHR, no demo app)
// in front of the canned upstream and redis-server, and signs pcp in through it.
func (s *system) startGateway(ctx context.Context, bin, credential string) error {
	addr, env, password, err := s.gatewayEnv(credential)
	if err != nil {
		return err
	}
	c, err := startChild("gateway", s.dir, s.cores.pinnedList(), bin, []string{"serve", "--addr", addr}, env)
	if err != nil {
		return err
	}
	s.children = append(s.children, c)
	s.gateway = target{name: "gateway", base: "http://" + addr, proc: c}
	if err := c.waitReady(ctx, func() bool { return httpOK(s.gateway.base + "/healthz") }); err != nil {
		return err
	}
	// The binary under test signs in through its own pages: the real authorization-code
	// flow with PKCE at the gateway and the demo IdP's login form.
	tok := pinnedCommand(ctx, s.cores.loadList(), bin, "demo", "token",
		"--gateway", s.gateway.base, "--password", password, "pcp")
	tok.Env = withoutGatewayEnv(os.Environ())
	out, err := tok.Output()
	if err != nil {
		return fmt.Errorf("mypatients demo token pcp: %w\ngateway output:\n%s", err, c.output())
	}
	s.token = strings.TrimSpace(string(out))
	return nil
}

// gatewayEnv returns the gateway's address and environment: the demo's IdPs on free ports,
// no demo EHR, app or embedded Redis, one caller's concurrency bound (still checked on every
// request) raised to wrk's connections, and every other setting at its default.
func (s *system) gatewayEnv(credential string) (addr string, env []string, password string, err error) {
	var addrs [4]string
	for i := range addrs {
		if addrs[i], err = freeAddr(); err != nil {
			return "", nil, "", err
		}
	}
	password = rand.Text()
	env = append(withoutGatewayEnv(os.Environ()),
		"MYPATIENTS_DEMO_PASSWORD="+password,
		"MYPATIENTS_DEMO_SSO_ADDR="+addrs[1],
		"MYPATIENTS_DEMO_EHR_ADDR="+addrs[2],   // not started: the upstream is configured
		"MYPATIENTS_DEMO_REDIS_ADDR="+addrs[3], // not started: Redis is configured
		"MYPATIENTS_DEMO_APP_ADDR=off",
		"MYPATIENTS_UPSTREAM_URL="+s.upstreamBase+"/fhir",
		"MYPATIENTS_UPSTREAM_BEARER_TOKEN="+credential,
		"MYPATIENTS_REDIS_URL=redis://"+s.redisAddr,
		"MYPATIENTS_TOKENS_ACCESS_TOKEN_TTL=24h", // outlives any run; verification costs the same
		fmt.Sprintf("MYPATIENTS_LIMITS_CALLER_CONCURRENCY=%d", max(s.connections, 8)),
	)
	if s.adminAddr != "" {
		env = append(env, "MYPATIENTS_ADMIN_ADDR="+s.adminAddr)
	}
	return addrs[0], env, password, nil
}

// close stops every child, the last started first.
func (s *system) close() {
	for i := len(s.children) - 1; i >= 0; i-- {
		s.children[i].stop()
	}
	s.children = nil
}

// buildGateway builds ./cmd/mypatients of the module the harness is run in, and says
// which commit it was built from.
func buildGateway(ctx context.Context, dir string) (bin, label string, err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", "", fmt.Errorf("not inside the gateway's module (run `go run ./test/load` from the repository, or pass -gateway-bin)")
	}
	root := filepath.Dir(gomod)
	bin = filepath.Join(dir, "mypatients")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/mypatients")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/mypatients: %w\n%s", err, out)
	}
	label = "built from this checkout"
	if rev, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		label += " at " + strings.TrimSpace(string(rev))
		dirty, _ := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
		if len(bytes.TrimSpace(dirty)) > 0 {
			label += " with uncommitted changes"
		}
	}
	return bin, label, nil
}

// withoutGatewayEnv drops MYPATIENTS_* from env, so that the caller's shell cannot change
// what is measured.
func withoutGatewayEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MYPATIENTS_") {
			out = append(out, kv)
		}
	}
	return out
}

func redisPing(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func httpOK(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
