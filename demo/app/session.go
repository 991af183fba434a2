package app

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// The session cookie. Browsers scope cookies by host, not port, so the gateway on the same
// loopback host sees this cookie too; the name is distinct from the gateway's own cookies.
const (
	sessionCookie = "demo_app_session"
	sessionTTL    = 8 * time.Hour
	pendingTTL    = 10 * time.Minute
	// maxSessions bounds memory: a flood of anonymous visits can only evict old sessions.
	maxSessions = 10000
)

// pending is an authorization request this browser started and has not finished.
type pending struct {
	State    string
	Verifier string
	Started  time.Time
}

// session is one browser's state: at most one pending sign-in and one access token.
type session struct {
	Pending *pending
	Token   string
	Expiry  time.Time // zero when the token response had no expires_in
	Scope   string
	Created time.Time
}

// sessions is an in-memory session table keyed by the random cookie value.
type sessions struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: make(map[string]*session)}
}

// get returns a copy of the browser's session, if it has a live one.
func (s *sessions) get(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[c.Value]
	if !ok {
		return "", session{}, false
	}
	if s.now().Sub(sess.Created) > sessionTTL {
		delete(s.m, c.Value)
		return "", session{}, false
	}
	return c.Value, *sess, true
}

// put stores sess under a new id and sets the cookie. A fresh id on every change of
// authentication state means an id seen before sign-in is worthless after it (no session
// fixation); the old id, if any, is forgotten.
func (s *sessions) put(w http.ResponseWriter, oldID string, sess session, secure bool) {
	id := randomString()
	s.mu.Lock()
	delete(s.m, oldID)
	s.prune()
	sess.Created = s.now()
	s.m[id] = &sess
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, Secure: secure,
		// Lax: the cookie must come back on the gateway's top-level redirect to the callback.
		SameSite: http.SameSiteLaxMode,
	})
}

// takePending removes and returns the session's pending sign-in: a state value is good for
// one callback only.
func (s *sessions) takePending(id string) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[id]
	if !ok || sess.Pending == nil {
		return nil
	}
	p := sess.Pending
	sess.Pending = nil
	if s.now().Sub(p.Started) > pendingTTL {
		return nil
	}
	return p
}

// forget drops a session and expires the browser's cookie.
func (s *sessions) forget(w http.ResponseWriter, id string, secure bool) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// prune drops expired sessions and, if the table is still full, the oldest ones. The caller
// holds s.mu.
func (s *sessions) prune() {
	now := s.now()
	for id, sess := range s.m {
		if now.Sub(sess.Created) > sessionTTL {
			delete(s.m, id)
		}
	}
	for len(s.m) >= maxSessions {
		var oldest string
		for id, sess := range s.m {
			if oldest == "" || sess.Created.Before(s.m[oldest].Created) {
				oldest = id
			}
		}
		delete(s.m, oldest)
	}
}

// randomString returns 256 random bits, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
