package test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/demo/login"
)

const sentinelMaster = "mypatients"

// sentinelSet is a master, a replica and one Sentinel, each a real process.
type sentinelSet struct {
	master, replica, sentinel string
	stopMaster                func()
}

// startSentinelSet starts a persistent master, a replica of it and a Sentinel watching them,
// and waits until the Sentinel knows the replica.
func startSentinelSet(t *testing.T) *sentinelSet {
	t.Helper()
	s := &sentinelSet{}
	s.master, s.stopMaster = startRedisWith(t, "--appendonly", "yes", "--dir", t.TempDir(), "--save", "")
	mhost, mport, _ := net.SplitHostPort(s.master)
	s.replica, _ = startRedisWith(t, "--appendonly", "yes", "--dir", t.TempDir(), "--save", "", "--replicaof", mhost, mport)
	s.sentinel = freeAddr(t)
	_, sport, _ := net.SplitHostPort(s.sentinel)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("bind 127.0.0.1\nport %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 10000\n",
		sport, sentinelMaster, mhost, mport, sentinelMaster, sentinelMaster)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command("redis-sentinel", conf)
	cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = dieWithParent(), out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-sentinel: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinel})
	t.Cleanup(func() { sc.Close() })
	waitFor(t, "redis-sentinel with its replica", func() bool {
		replicas, err := sc.Replicas(context.Background(), sentinelMaster).Result()
		return err == nil && len(replicas) == 1 && replicas[0]["master-link-status"] == "ok"
	}, out)
	return s
}

// startLoadBalancer serves a reverse proxy to target on addr and returns its URL.
func startLoadBalancer(t *testing.T, addr, target string) string {
	t.Helper()
	u, _ := url.Parse(target)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(u)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr
}

// masterAddr asks the Sentinel which server is the master.
func (s *sentinelSet) masterAddr(t *testing.T) string {
	t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinel})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(context.Background(), sentinelMaster).Result()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// sharedKeys writes what every replica of the gateway shares: the signing and paging keys,
// the audit checkpoint key, the key sealing TOTP secrets and uploads with their directory, the
// demo accounts' password.
func sharedKeys(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	signing, paging := filepath.Join(dir, "signing.pem"), filepath.Join(dir, "page.key")
	_ = os.WriteFile(signing, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	_ = os.WriteFile(paging, []byte(randomString(t)+randomString(t)), 0o600)
	checkpoint := checkpointKey(t, dir)
	uploads := filepath.Join(dir, "uploads.key")
	_ = os.WriteFile(uploads, []byte(randomHex(t)+randomHex(t)), 0o600)
	return []string{"MYPATIENTS_TOKENS_SIGNING_KEY_FILE=" + signing, "MYPATIENTS_TOKENS_PAGE_KEY_FILE=" + paging,
		"MYPATIENTS_ACCOUNTS_UPLOADS_KEY_FILE=" + uploads, "MYPATIENTS_ACCOUNTS_UPLOADS_DIR=" + t.TempDir(),
		"MYPATIENTS_AUDIT_CHECKPOINT_KEY_FILE=" + checkpoint, "MYPATIENTS_DEMO_PASSWORD=replicas-" + randomHex(t)}
}

// TestSentinelFailover: two gateway replicas on one Sentinel-managed Redis. A token revoked on
// one is refused on the other at once; then the master is failed over in the middle of
// traffic on both: every request either succeeds with its audit record in the trail or fails
// closed (5xx, nothing released), and afterwards the grants issued before it still hold.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := startSentinelSet(t)
	// The replicas share one public base URL, as behind a load balancer; sign-ins go through
	// it to A.
	lbAddr, aAddr := freeAddr(t), freeAddr(t)
	env := append(sharedKeys(t), "MYPATIENTS_REDIS_ADDRS="+s.sentinel, "MYPATIENTS_REDIS_MASTER_NAME="+sentinelMaster,
		"MYPATIENTS_REDIS_MIN_REPLICA_ACKS=1", "MYPATIENTS_REDIS_REPLICA_ACK_TIMEOUT=3s", "MYPATIENTS_BASE_URL=http://"+lbAddr)
	a := startGatewayWith(t, gatewayOptions{Env: env, Addr: aAddr})
	b := startGatewayWith(t, gatewayOptions{Env: env})
	lb := startLoadBalancer(t, lbAddr, "http://"+aAddr)
	viaLB := &gateway{base: lb, password: a.password}

	kept, err := loginUser(viaLB, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := loginUser(viaLB, "pcp")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := b.fhir(t, http.MethodGet, "/Patient/child-01", revoked); status != http.StatusOK {
		t.Fatalf("a token of replica A on replica B: %d %.200s", status, body)
	}
	resp, err := http.PostForm(a.base+"/oauth/revoke", url.Values{"token": {revoked}, "client_id": {login.ShellClientID}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke on A: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, _ := b.fhir(t, http.MethodGet, "/Patient/child-01", revoked); status != http.StatusUnauthorized {
		t.Errorf("a token revoked on A, used on B at once: %d, want 401", status)
	}

	before := s.masterAddr(t)
	answered := trafficDuring(t, []*gateway{a, b}, kept, func() {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.sentinel})
		defer sc.Close()
		if err := sc.Failover(context.Background(), sentinelMaster).Err(); err != nil {
			t.Errorf("SENTINEL FAILOVER: %v", err)
		}
		waitFor(t, "the failover", func() bool { return s.masterAddr(t) != before }, &syncBuffer{})
		// Writes fail closed until the new master has a replica again: the former master,
		// which the Sentinel turns into its replica.
		nm := redis.NewClient(&redis.Options{Addr: s.replica})
		defer nm.Close()
		waitFor(t, "a replica of the new master", func() bool {
			info, _ := nm.Info(context.Background(), "replication").Result()
			return strings.Contains(info, "connected_slaves:1")
		}, &syncBuffer{})
	})
	if after := s.masterAddr(t); after != s.replica {
		t.Errorf("after the failover the master is %s, want the former replica %s", after, s.replica)
	}
	checkAnswered(t, s, answered)
	// Once the former master has caught up as the new master's replica, writes are
	// acknowledged again, and the grant issued before the failover still holds on both.
	for _, g := range []*gateway{a, b} {
		deadline := time.Now().Add(30 * time.Second)
		status, body := g.fhir(t, http.MethodGet, "/Patient/child-01", kept)
		for status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			status, body = g.fhir(t, http.MethodGet, "/Patient/child-01", kept)
		}
		if status != http.StatusOK {
			t.Errorf("the grant issued before the failover, after it: %d %.200s", status, body)
		}
	}
}

// answer is one request's outcome during the failover.
type answer struct {
	status    int
	requestID string
	leaked    bool
}

// trafficDuring reads child-01 through every gateway in turn while during runs, and keeps on
// for a second after it; it returns every answer.
func trafficDuring(t *testing.T, gws []*gateway, token string, during func()) []answer {
	t.Helper()
	var (
		mu   sync.Mutex
		out  []answer
		done atomic.Bool
		wg   sync.WaitGroup
	)
	client := &http.Client{Timeout: 20 * time.Second}
	for _, g := range gws {
		wg.Go(func() {
			for i := 0; !done.Load() && i < 5000; i++ {
				req, _ := http.NewRequest(http.MethodGet, g.base+"/fhir/Patient/child-01", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				var body struct{ ResourceType, ID string }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				a := answer{status: resp.StatusCode, requestID: resp.Header.Get("X-Request-Id"),
					leaked: resp.StatusCode != http.StatusOK && body.ResourceType == "Patient"}
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	during()
	time.Sleep(time.Second)
	done.Store(true)
	wg.Wait()
	return out
}

// checkAnswered requires that every success has its audit record on the new master and that
// every failure failed closed.
func checkAnswered(t *testing.T, s *sentinelSet, answered []answer) {
	t.Helper()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: sentinelMaster, SentinelAddrs: []string{s.sentinel}})
	defer rdb.Close()
	msgs, err := rdb.XRange(context.Background(), "mypatients:{audit}", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]bool{}
	for _, m := range msgs {
		var r struct {
			RequestID string `json:"request_id"`
		}
		_ = json.Unmarshal([]byte(fmt.Sprint(m.Values["record"])), &r)
		audited[r.RequestID] = true
	}
	counts := map[int]int{}
	for _, a := range answered {
		counts[a.status]++
		switch {
		case a.leaked:
			t.Errorf("request %s failed with %d but released the patient", a.requestID, a.status)
		case a.status == http.StatusOK && !audited[a.requestID]:
			t.Errorf("request %s was answered 200 but its audit record is not in the trail after the failover", a.requestID)
		case a.status != http.StatusOK && a.status < 500:
			t.Errorf("request %s during the failover: %d, want 200 or a 5xx", a.requestID, a.status)
		}
	}
	t.Logf("answers during the failover by status: %v; %d audit records", counts, len(msgs))
	if counts[http.StatusOK] < 10 {
		t.Errorf("only %d requests succeeded around the failover", counts[http.StatusOK])
	}
	if !strings.Contains(fmt.Sprint(counts), "200") {
		t.Error("no success at all")
	}
}
