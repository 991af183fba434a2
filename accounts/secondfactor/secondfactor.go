// Package secondfactor keeps and checks the second factors of MyPatients accounts: TOTP
// authenticator apps (RFC 6238, github.com/pquerna/otp) with their QR code, one-time recovery
// codes, and passkeys (WebAuthn, github.com/go-webauthn/webauthn). Knowledge-based questions are
// not offered: NIST SP 800-63B §5.1.1.2 forbids them as an authenticator. TOTP secrets are
// sealed at rest (package sealed), recovery codes stored only hashed, and a TOTP code is
// accepted once. It owns the Redis keys of the factors and of their ceremonies in progress.
// It knows nothing of pages or sign-in flows: the provider and the self-service pages call it.
package secondfactor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts/sealed"
)

// Store keeps each account's second factors in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	totp   sealed.Key
	// Passkeys runs the WebAuthn ceremonies; nil offers no passkeys.
	passkeys *webauthn.WebAuthn
	issuer   string
}

// Options configures a Store.
type Options struct {
	Prefix string
	// TOTPKey seals TOTP secrets at rest.
	TOTPKey sealed.Key
	// Issuer names the service in authenticator apps ("MyPatients").
	Issuer string
	// RPID and Origin are the WebAuthn relying party: the host of the base URL and its origin.
	RPID, Origin string
}

// New returns a Store.
func New(rdb redis.UniversalClient, o Options) (*Store, error) {
	s := &Store{rdb: rdb, prefix: o.Prefix + "accounts:factors:", totp: o.TOTPKey, issuer: o.Issuer}
	if s.issuer == "" {
		s.issuer = "MyPatients"
	}
	if o.RPID != "" {
		w, err := webauthn.New(&webauthn.Config{RPID: o.RPID, RPDisplayName: s.issuer, RPOrigins: []string{o.Origin}})
		if err != nil {
			return nil, fmt.Errorf("secondfactor: passkeys: %w", err)
		}
		s.passkeys = w
	}
	return s, nil
}

// Factors are one account's second factors.
type Factors struct {
	TOTP     []TOTP    `json:"totp,omitempty"`
	Passkeys []Passkey `json:"passkeys,omitempty"`
	// Recovery holds the hashes of the unused recovery codes.
	Recovery []string `json:"recovery,omitempty"`
	// UserHandle is the account's random WebAuthn user id.
	UserHandle []byte `json:"user_handle,omitempty"`
	// LastStep is the last TOTP time step accepted: a code is good once.
	LastStep int64 `json:"last_step,omitempty"`
}

// TOTP is one authenticator app.
type TOTP struct {
	ID     string    `json:"id"`
	Label  string    `json:"label"`
	Sealed []byte    `json:"sealed"`
	Added  time.Time `json:"added"`
}

// Passkey is one WebAuthn credential.
type Passkey struct {
	ID         string              `json:"id"`
	Label      string              `json:"label"`
	Credential webauthn.Credential `json:"credential"`
	Added      time.Time           `json:"added"`
}

// Any reports whether the account has a second factor it can sign in with.
func (f Factors) Any() bool { return len(f.TOTP) > 0 || len(f.Passkeys) > 0 }

func (s *Store) key(account string) string { return s.prefix + account }

// Get returns account's factors (none when it has none).
func (s *Store) Get(ctx context.Context, account string) (Factors, error) {
	var f Factors
	raw, err := s.rdb.Get(ctx, s.key(account)).Bytes()
	if errors.Is(err, redis.Nil) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("secondfactor: read %s: %w", account, err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("secondfactor: decode %s: %w", account, err)
	}
	return f, nil
}

// update applies change to account's factors in one WATCH transaction.
func (s *Store) update(ctx context.Context, account string, change func(*Factors) error) error {
	key := s.key(account)
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		f, err := s.Get(ctx, account)
		if err != nil {
			return err
		}
		if err := change(&f); err != nil {
			return err
		}
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, key, b, 0); return nil })
		return err
	}, key)
	if err != nil {
		return fmt.Errorf("secondfactor: update %s: %w", account, err)
	}
	return nil
}

// Reset removes every second factor of account (the reset flow, before a new enrollment).
func (s *Store) Reset(ctx context.Context, account string) error {
	if err := s.rdb.Del(ctx, s.key(account)).Err(); err != nil {
		return fmt.Errorf("secondfactor: reset %s: %w", account, err)
	}
	return nil
}

// ErrLast refuses removing the last factor: an account that needs one must keep one.
var ErrLast = errors.New("secondfactor: this is your only second factor; add another before removing it")

// Remove deletes the TOTP app or passkey with id.
func (s *Store) Remove(ctx context.Context, account, id string) error {
	return s.update(ctx, account, func(f *Factors) error {
		if len(f.TOTP)+len(f.Passkeys) <= 1 {
			return ErrLast
		}
		totp, keys := f.TOTP[:0], f.Passkeys[:0]
		for _, t := range f.TOTP {
			if t.ID != id {
				totp = append(totp, t)
			}
		}
		for _, p := range f.Passkeys {
			if p.ID != id {
				keys = append(keys, p)
			}
		}
		f.TOTP, f.Passkeys = totp, keys
		return nil
	})
}

func newID() string { return rand.Text()[:12] }
