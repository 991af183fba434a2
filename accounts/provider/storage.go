package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mypatients/gateway/accounts"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// errNotFound is what every lookup of an unknown, expired or used entry returns. zitadel turns
// it into the right OAuth error (invalid_grant at the token endpoint, a plain 400 elsewhere).
var errNotFound = errors.New("idp: not found or expired")

// store is the IdP's whole state, in memory behind one mutex. It implements op.Storage. Entries
// expire (see the TTLs in authrequest.go) and are pruned by pruneEvery, so it cannot grow
// without bound.
type store struct {
	now      func() time.Time
	key      *signingKey
	clients  map[string]*client
	accounts *accounts.Store
	idPrefix string

	mu       sync.Mutex
	requests map[string]*authRequest // by id
	codes    map[string]string       // code → request id
	tokens   map[string]*accessToken // by token id
}

var _ op.Storage = (*store)(nil)

func newStore(cfg Config, key *signingKey) *store {
	return &store{
		now:      time.Now,
		key:      key,
		clients:  newClients(cfg.Issuer, cfg.Clients),
		accounts: cfg.Accounts,
		idPrefix: cfg.IDPrefix,
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]*accessToken{},
	}
}

// userBySubject returns the claims of the account that signs in as sub.
func (s *store) userBySubject(ctx context.Context, sub string) (User, error) {
	p, err := s.accounts.Profile(ctx, s.idPrefix+":"+sub)
	if err != nil {
		return User{}, fmt.Errorf("claims of %q: %w", sub, err)
	}
	return User{Subject: sub, Username: p.Username, Name: p.Name, Email: p.Email, FHIRUser: p.FHIRUser, Groups: p.Groups}, nil
}

// newID returns a random, URL-safe identifier with 128 bits of entropy.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+); it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// snapshot copies a stored request so zitadel can read it while the store goes on changing
// the original.
func snapshot(a *authRequest) *authRequest {
	cp := *a
	return &cp
}

// CreateAuthRequest implements op.Storage. zitadel has already checked the client, the exact
// redirect_uri, the scopes and the code_challenge_method; we additionally insist on PKCE S256
// (OAuth 2.1 §4.1.1) and refuse prompt=none, since the demo keeps no sessions.
func (s *store) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if len(req.Prompt) == 1 && req.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.requests) >= maxAuthRequests {
		s.pruneLocked(now)
	}
	if len(s.requests) >= maxAuthRequests {
		return nil, oidc.ErrServerError().WithDescription("too many pending sign-ins, try again later")
	}
	a := newAuthRequest(newID(), req, now)
	s.requests[a.id] = a
	return snapshot(a), nil
}

// pendingLocked returns the stored request with id if it is still usable.
func (s *store) pendingLocked(id string) (*authRequest, bool) {
	a, ok := s.requests[id]
	if !ok || a.redeemed || a.expired(s.now()) {
		return nil, false
	}
	return a, true
}

// AuthRequestByID implements op.Storage; zitadel calls it on the callback after the login page.
func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.pendingLocked(id)
	if !ok {
		return nil, errNotFound
	}
	return snapshot(a), nil
}

// loginTarget reports whether id names a sign-in still waiting for the user's credentials.
func (s *store) loginTarget(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.pendingLocked(id)
	return ok && !a.done
}

// clientOf returns the client of a pending request, for the audit record ("" when none).
func (s *store) clientOf(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[id]; ok {
		return a.clientID
	}
	return ""
}

// completeLogin records that the user with subject signed in for request id, with the
// authentication methods amr (RFC 8176) and the context class acr.
func (s *store) completeLogin(id, subject string, amr []string, acr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.pendingLocked(id)
	if !ok || a.done {
		return errNotFound
	}
	a.subject, a.authTime, a.done, a.amr, a.acr = subject, s.now(), true, amr, acr
	return nil
}

// SaveAuthCode implements op.Storage. Each request gets one code only, so reloading the callback
// cannot mint a second one.
func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.pendingLocked(id)
	if !ok || !a.done || a.code != "" {
		return errNotFound
	}
	a.code, a.codeExpires = code, s.now().Add(codeTTL)
	s.codes[code] = id
	return nil
}

// AuthRequestByCode implements op.Storage. Presenting a code that was already redeemed revokes
// the access token issued for it (RFC 6749 §4.1.2) and fails.
func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[s.codes[code]]
	if !ok || a.expired(s.now()) {
		return nil, errNotFound
	}
	if a.redeemed {
		delete(s.tokens, a.tokenID)
		return nil, errNotFound
	}
	return snapshot(a), nil
}

// redeemLocked marks the request behind a validated code exchange as used. It is the single
// point that makes codes single-use: of two concurrent exchanges of one code only the first
// gets here successfully. A failed exchange (wrong verifier, wrong client) does not burn the
// code, so a party that merely saw the code cannot spoil the legitimate exchange.
func (s *store) redeemLocked(id string) (*authRequest, error) {
	a, ok := s.pendingLocked(id)
	if !ok || !a.done || a.code == "" {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	a.redeemed, a.redeemedUntil = true, a.codeExpires.Add(redeemedTTL)
	return a, nil
}

// DeleteAuthRequest implements op.Storage; zitadel calls it after a token response. A redeemed
// request stays as a tombstone until pruned, so that a replay of its code is recognised.
func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[id]; ok && !a.redeemed {
		delete(s.codes, a.code)
		delete(s.requests, id)
	}
	return nil
}

// pruneEvery removes expired entries every interval until ctx ends.
func (s *store) pruneEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			s.pruneLocked(s.now())
			s.mu.Unlock()
		}
	}
}

// pruneLocked drops every expired request, code, token and idle rate-limit entry.
func (s *store) pruneLocked(now time.Time) {
	for id, a := range s.requests {
		if a.expired(now) {
			delete(s.codes, a.code)
			delete(s.requests, id)
		}
	}
	for id, t := range s.tokens {
		if !now.Before(t.expires) {
			delete(s.tokens, id)
		}
	}
}
