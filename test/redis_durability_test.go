package test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRedisMustNotEvict: the gateway refuses to start on a Redis that may evict keys, and warns
// on one that does not persist.
func TestRedisMustNotEvict(t *testing.T) {
	t.Parallel()
	evicting, _ := startRedisWith(t, "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes", "--dir", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", freeAddr(t))
	cmd.Env = append(os.Environ(), "MYPATIENTS_REDIS_URL=redis://"+evicting, "MYPATIENTS_DEMO_APP_ADDR=off",
		"MYPATIENTS_DEMO_EHR_ADDR="+freeAddr(t), "MYPATIENTS_DEMO_SSO_ADDR="+freeAddr(t))
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "maxmemory-policy") || !strings.Contains(string(out), "allkeys-lru") {
		t.Errorf("serve on an evicting Redis: %v\n%s", err, out)
	}

	g := startGateway(t, startRedis(t)) // --appendonly no, no save schedule
	if !strings.Contains(g.log.String(), "Redis does not persist") {
		t.Errorf("no warning about a Redis without persistence:\n%s", g.log.String())
	}
}
