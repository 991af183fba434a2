package provider

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore"
)

// Lifetimes of a session of the account pages: signed out after 15 idle minutes, and after
// 12 hours whatever happens.
const (
	SessionIdle     = 15 * time.Minute
	SessionAbsolute = 12 * time.Hour
)

// Sessions are the browser sessions a sign-in at the provider opens for the account pages
// (Edit Account). The cookie holds a random id; Redis holds its hash, so a copy of Redis
// opens no session. Each account's sessions are indexed, so that "sign out everywhere" and
// a password reset can end them all.
type Sessions struct {
	rdb    redis.UniversalClient
	prefix string
	path   string
	cookie string
}

// NewSessions returns the sessions under prefix whose cookie is limited to path.
func NewSessions(rdb redis.UniversalClient, prefix, path string) *Sessions {
	name := "mp_session_" + strings.NewReplacer(":", "_", "/", "_").Replace(strings.Trim(prefix, ":"))
	return &Sessions{rdb: rdb, prefix: prefix, path: path, cookie: name}
}

// Session is one signed-in browser.
type Session struct {
	Hash    string    `json:"hash"`
	Account string    `json:"account"`
	Created time.Time `json:"created"`
	Last    time.Time `json:"last"`
	Source  string    `json:"source"`
	Agent   string    `json:"agent"`
	AMR     []string  `json:"amr,omitempty"`
}

func (s *Sessions) key(hash string) string         { return s.prefix + "session:" + hash }
func (s *Sessions) indexKey(account string) string { return s.prefix + "sessions:" + account }

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Open starts a session for account in the browser of r.
func (s *Sessions) Open(ctx context.Context, w http.ResponseWriter, r *http.Request, account, source string, amr []string) error {
	id := rand.Text() + rand.Text()
	now := time.Now().UTC()
	agent := r.UserAgent()
	if len(agent) > 200 {
		agent = agent[:200]
	}
	sess := Session{Hash: hashID(id), Account: account, Created: now, Last: now, Source: source, Agent: agent, AMR: amr}
	if err := redisstore.PutJSON(ctx, s.rdb, s.key(sess.Hash), sess, SessionIdle); err != nil {
		return fmt.Errorf("provider: open session: %w", err)
	}
	if err := s.rdb.SAdd(ctx, s.indexKey(account), sess.Hash).Err(); err != nil {
		return fmt.Errorf("provider: index session: %w", err)
	}
	s.rdb.Expire(ctx, s.indexKey(account), SessionAbsolute)
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: id, Path: s.path, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(SessionAbsolute / time.Second)})
	return nil
}

// ErrNoSession means the browser has no live session.
var ErrNoSession = errors.New("provider: not signed in")

// Current returns the live session of r's browser and extends its idle time.
func (s *Sessions) Current(ctx context.Context, r *http.Request) (Session, error) {
	c, err := r.Cookie(s.cookie)
	if err != nil || c.Value == "" {
		return Session{}, ErrNoSession
	}
	var sess Session
	if err := redisstore.GetJSON(ctx, s.rdb, s.key(hashID(c.Value)), &sess); err != nil {
		if errors.Is(err, redisstore.ErrNotFound) {
			return Session{}, ErrNoSession
		}
		return Session{}, fmt.Errorf("provider: read session: %w", err)
	}
	now := time.Now().UTC()
	if now.Sub(sess.Created) > SessionAbsolute {
		_ = s.rdb.Del(ctx, s.key(sess.Hash)).Err()
		return Session{}, ErrNoSession
	}
	sess.Last = now
	if err := redisstore.PutJSON(ctx, s.rdb, s.key(sess.Hash), sess, SessionIdle); err != nil {
		return Session{}, fmt.Errorf("provider: touch session: %w", err)
	}
	return sess, nil
}

// Close ends the session of r's browser.
func (s *Sessions) Close(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: s.path, HttpOnly: true, MaxAge: -1})
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return nil
	}
	return s.rdb.Del(ctx, s.key(hashID(c.Value))).Err()
}

// List returns account's live sessions, newest first.
func (s *Sessions) List(ctx context.Context, account string) ([]Session, error) {
	hashes, err := s.rdb.SMembers(ctx, s.indexKey(account)).Result()
	if err != nil {
		return nil, fmt.Errorf("provider: list sessions: %w", err)
	}
	var out []Session
	for _, h := range hashes {
		var sess Session
		err := redisstore.GetJSON(ctx, s.rdb, s.key(h), &sess)
		if errors.Is(err, redisstore.ErrNotFound) {
			s.rdb.SRem(ctx, s.indexKey(account), h)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	slices.SortFunc(out, func(a, b Session) int { return b.Last.Compare(a.Last) })
	return out, nil
}

// RevokeAll ends every session of account.
func (s *Sessions) RevokeAll(ctx context.Context, account string) error {
	hashes, err := s.rdb.SMembers(ctx, s.indexKey(account)).Result()
	if err != nil {
		return fmt.Errorf("provider: list sessions: %w", err)
	}
	keys := []string{s.indexKey(account)}
	for _, h := range hashes {
		keys = append(keys, s.key(h))
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("provider: end sessions: %w", err)
	}
	return nil
}
