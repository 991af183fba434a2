package provider

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// clockStore is a store whose clock the test moves.
type clockStore struct {
	*store
	mu  sync.Mutex
	now time.Time
}

func newClockStore(t *testing.T) *clockStore {
	t.Helper()
	cs := &clockStore{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, "accounts", "http://idp.test")
	cs.store = newStore(cfg, newSigningKey(cfg.SigningKey))
	cs.store.now = func() time.Time { cs.mu.Lock(); defer cs.mu.Unlock(); return cs.now }
	return cs
}

func (cs *clockStore) advance(d time.Duration) { cs.mu.Lock(); cs.now = cs.now.Add(d); cs.mu.Unlock() }

// pending creates an authorization request as zitadel would after validating it.
func (cs *clockStore) pending(t *testing.T) string {
	t.Helper()
	a, err := cs.CreateAuthRequest(context.Background(), &oidc.AuthRequest{
		ClientID: testClientID, RedirectURI: testRedirectURI, Scopes: []string{"openid"},
		ResponseType: oidc.ResponseTypeCode, CodeChallenge: "challenge", CodeChallengeMethod: oidc.CodeChallengeMethodS256,
	}, "")
	if err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	return a.GetID()
}

// coded creates a request, signs the user in and issues code for it.
func (cs *clockStore) coded(t *testing.T, code string) string {
	t.Helper()
	id := cs.pending(t)
	if err := cs.completeLogin(id, "u-pcp", []string{"pwd"}, ""); err != nil {
		t.Fatalf("completeLogin: %v", err)
	}
	if err := cs.SaveAuthCode(context.Background(), id, code); err != nil {
		t.Fatalf("SaveAuthCode: %v", err)
	}
	return id
}

func TestStoreLifetimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, cs *clockStore)
	}{
		{"auth request lives 10 minutes", func(t *testing.T, cs *clockStore) {
			id := cs.pending(t)
			cs.advance(authRequestTTL - time.Second)
			if !cs.loginTarget(id) {
				t.Fatal("request gone before 10 minutes")
			}
			cs.advance(time.Second)
			if _, err := cs.AuthRequestByID(ctx, id); cs.loginTarget(id) || err == nil || cs.completeLogin(id, "u-pcp", []string{"pwd"}, "") == nil {
				t.Error("request still usable after 10 minutes")
			}
		}},
		{"code lives 1 minute", func(t *testing.T, cs *clockStore) {
			cs.coded(t, "c1")
			cs.advance(codeTTL - time.Second)
			if _, err := cs.AuthRequestByCode(ctx, "c1"); err != nil {
				t.Fatalf("code gone before 1 minute: %v", err)
			}
			cs.advance(time.Second)
			if _, err := cs.AuthRequestByCode(ctx, "c1"); err == nil {
				t.Error("code still valid after 1 minute")
			}
		}},
		{"one code per request", func(t *testing.T, cs *clockStore) {
			id := cs.coded(t, "c1")
			if err := cs.SaveAuthCode(ctx, id, "c2"); err == nil {
				t.Error("second code issued for one request")
			}
		}},
		{"no code before sign-in", func(t *testing.T, cs *clockStore) {
			if err := cs.SaveAuthCode(ctx, cs.pending(t), "c1"); err == nil {
				t.Error("code issued before the user signed in")
			}
		}},
		{"prune empties everything expired", func(t *testing.T, cs *clockStore) {
			cs.pending(t)
			id := cs.coded(t, "c1")
			a, _ := cs.AuthRequestByCode(ctx, "c1")
			if _, _, err := cs.CreateAccessToken(ctx, a); err != nil {
				t.Fatalf("CreateAccessToken: %v", err)
			}
			_ = cs.DeleteAuthRequest(ctx, id) // keeps the redeemed request as a tombstone
			cs.advance(authRequestTTL + accessTokenTTL)
			now := cs.store.now()
			cs.store.mu.Lock()
			cs.pruneLocked(now)
			n := len(cs.requests) + len(cs.codes) + len(cs.tokens)
			cs.store.mu.Unlock()
			if n != 0 {
				t.Errorf("%d entries left after pruning", n)
			}
		}},
		{"pending requests are capped", func(t *testing.T, cs *clockStore) {
			for range maxAuthRequests {
				cs.pending(t)
			}
			_, err := cs.CreateAuthRequest(ctx, &oidc.AuthRequest{CodeChallenge: "c", CodeChallengeMethod: oidc.CodeChallengeMethodS256}, "")
			var oe *oidc.Error
			if !errors.As(err, &oe) || oe.ErrorType != oidc.ServerError {
				t.Fatalf("request beyond the cap: error %v, want server_error", err)
			}
			cs.advance(authRequestTTL)
			cs.pending(t) // expired ones are pruned to make room
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newClockStore(t))
		})
	}
}

func TestConcurrentExchangesRedeemOnce(t *testing.T) {
	t.Parallel()
	cs := newClockStore(t)
	cs.coded(t, "c1")
	const n = 16
	var wg sync.WaitGroup
	results := make(chan error, n)
	for range n {
		wg.Go(func() {
			a, err := cs.AuthRequestByCode(context.Background(), "c1")
			if err == nil {
				_, _, err = cs.CreateAccessToken(context.Background(), a)
			}
			results <- err
		})
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent exchanges of one code succeeded, want 1", ok, n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	base := testConfig(t, "childrens", "http://127.0.0.1:8082")
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"issuer with path", func(c *Config) { c.Issuer += "/accounts" }, ""},
		{"issuer with trailing slash", func(c *Config) { c.Issuer += "/" }, "trailing slash"},
		{"issuer relative", func(c *Config) { c.Issuer = "127.0.0.1:8082" }, "absolute http(s) URL"},
		{"no name", func(c *Config) { c.Name = "" }, "name and id prefix are required"},
		{"no store", func(c *Config) { c.Accounts = nil }, "are required"},
		{"client without secret", func(c *Config) { c.Clients[0].Secret = "" }, "id and secret are required"},
		{"relative redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, "must be absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			cfg.Clients = []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"http://127.0.0.1:8080/cb"}}}
			tt.change(&cfg)
			_, err := New(t.Context(), cfg)
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("New: error %v, want %q", err, tt.want)
			}
		})
	}
}
