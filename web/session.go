package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sessions keeps server-side sessions in Redis: the browser holds only a random id in an
// HttpOnly, SameSite=Lax cookie (Secure, and named __Host-, under https); Redis holds the
// session under a hash of the id, encrypted (AES-256-GCM) with a key derived from the id, so
// that a copy of Redis names no live cookie and holds no usable token. A session ends
// after Idle without a request (its key's TTL, renewed on every load) and after Absolute
// whatever happens. Each session carries its own CSRF token for the forms it shows. Data is
// the application's, stored as JSON.
type Sessions[T any] struct {
	Redis redis.UniversalClient
	// Prefix starts every key (the gateway's key prefix and the application's name).
	Prefix string
	// Name is the cookie's name; Secure adds Secure and the __Host- prefix.
	Name   string
	Secure bool
	// Idle and Absolute bound a session's life.
	Idle, Absolute time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Session is one browser's session.
type Session[T any] struct {
	id      string
	Created time.Time `json:"created"`
	// CSRF is the token every form of this session carries in its field "csrf".
	CSRF string `json:"csrf"`
	Data T      `json:"data"`
}

// ErrNoSession is returned by Load when the request has no live session.
var ErrNoSession = errors.New("web: no session")

func (s *Sessions[T]) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sessions[T]) cookieName() string {
	if s.Secure {
		return "__Host-" + s.Name
	}
	return s.Name
}

func (s *Sessions[T]) key(id string) string {
	sum := sha256.Sum256([]byte("session-id\x00" + id))
	return s.Prefix + "session:" + hex.EncodeToString(sum[:])
}

// sealer is the AEAD of one session, keyed by its id.
func sealer(id string) cipher.AEAD {
	key := sha256.Sum256([]byte("session-key\x00" + id))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}

// Load returns the request's session, renewing its idle time. A missing, unknown, idle or
// too old session is ErrNoSession (an old one is deleted); a store fault is another error.
func (s *Sessions[T]) Load(r *http.Request) (*Session[T], error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || len(c.Value) < 26 || len(c.Value) > 64 {
		return nil, ErrNoSession
	}
	raw, err := s.Redis.GetEx(r.Context(), s.key(c.Value), s.Idle).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("web: load session: %w", err)
	}
	aead := sealer(c.Value)
	if len(raw) < aead.NonceSize() {
		return nil, ErrNoSession
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(s.key(c.Value)))
	if err != nil {
		return nil, ErrNoSession
	}
	sess := &Session[T]{}
	if err := json.Unmarshal(plain, sess); err != nil {
		return nil, fmt.Errorf("web: decode session: %w", err)
	}
	sess.id = c.Value
	if s.now().Sub(sess.Created) > s.Absolute {
		_ = s.Redis.Del(r.Context(), s.key(c.Value)).Err()
		return nil, ErrNoSession
	}
	return sess, nil
}

// New starts a session holding data and sets its cookie on w. Call it after a sign-in, so
// that a session id known before it (session fixation) is never signed in.
func (s *Sessions[T]) New(ctx context.Context, w http.ResponseWriter, data T) (*Session[T], error) {
	sess := &Session[T]{id: rand.Text() + rand.Text(), Created: s.now().UTC(), CSRF: rand.Text(), Data: data}
	if err := s.Save(ctx, sess); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: sess.id, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode})
	return sess, nil
}

// Save stores sess, with the idle time left as its TTL.
func (s *Sessions[T]) Save(ctx context.Context, sess *Session[T]) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("web: encode session: %w", err)
	}
	aead := sealer(sess.id)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, b, []byte(s.key(sess.id)))
	if err := s.Redis.Set(ctx, s.key(sess.id), sealed, s.Idle).Err(); err != nil {
		return fmt.Errorf("web: save session: %w", err)
	}
	return nil
}

// End deletes sess (nil: only the cookie) and clears the cookie.
func (s *Sessions[T]) End(ctx context.Context, w http.ResponseWriter, sess *Session[T]) error {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode})
	if sess == nil {
		return nil
	}
	if err := s.Redis.Del(ctx, s.key(sess.id)).Err(); err != nil {
		return fmt.Errorf("web: end session: %w", err)
	}
	return nil
}

// CheckCSRF reports whether the posted form of r (already parsed) carries the session's token,
// compared in constant time.
func (sess *Session[T]) CheckCSRF(r *http.Request) bool {
	form := r.PostForm.Get("csrf")
	return form != "" && subtle.ConstantTimeCompare([]byte(form), []byte(sess.CSRF)) == 1
}
