package test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeServer is a test server of ours written in Node (a script in js/<name>/): it prints its
// base URL on its first stdout line once it is ready, and exits when its stdin closes, so that
// it never outlives a test process that died without its cleanup.
type nodeServer struct {
	url string
	log *syncBuffer
	// stop ends it before the test does; calling it twice is harmless.
	stop func()
}

// startNodeServer runs `node script args...` in dir with extra environment and waits for its
// URL.
func startNodeServer(t *testing.T, what, dir, script string, args, env []string) *nodeServer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %s needs Node.js 20 (apt-get install -y nodejs npm)", what)
	}
	ensureNodeModules(t, dir)
	s := &nodeServer{log: &syncBuffer{}}
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Dir, cmd.Env, cmd.Stderr, cmd.SysProcAttr = dir, append(os.Environ(), env...), s.log, dieWithParent()
	stdout, _ := cmd.StdoutPipe()
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	s.stop = sync.OnceFunc(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", what, s.log.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			ready <- strings.TrimSpace(sc.Text())
		}
		close(ready)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-ready:
		if !ok || !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("%s did not start (printed %q); output:\n%s", what, u, s.log.String())
		}
		s.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("%s was not ready in 60s; output:\n%s", what, s.log.String())
	}
	return s
}
