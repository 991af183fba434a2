package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pass codes of the reset flows: a short number sent by email, typed back on the page.
const (
	// PassCodeDigits is the length of a pass code: 10^8 codes, at most PassCodeAttempts
	// guesses each.
	PassCodeDigits = 8
	// PassCodeAttempts is how many wrong guesses use a code up.
	PassCodeAttempts = 5
	// DefaultPassCodeTTL is how long a code works (accounts.pass_code_ttl).
	DefaultPassCodeTTL = 10 * time.Minute
)

// Errors of pass codes. The pages answer ErrPassCodeWrong the same way whether or not the
// address has an account.
var (
	ErrPassCodeWrong   = errors.New("accounts: the code is not right")
	ErrPassCodeExpired = errors.New("accounts: the code has expired")
	ErrPassCodeUsedUp  = errors.New("accounts: too many wrong codes")
)

type passCode struct {
	Hash     string    `json:"hash"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts"`
}

// passCodeKey names the code of purpose ("password", "second-factor") for a typed address,
// known or not, so that both are handled alike.
func (s *Store) passCodeKey(purpose, username string) string {
	return s.prefix + "accounts:passcode:" + purpose + ":" + hashToken(NormalizeUsername(username))
}

// IssuePassCode returns a new pass code of purpose for username, replacing any earlier one.
// Digits come from crypto/rand; only a hash of the code with the username is stored. It is
// called for unknown addresses too (whose code is never sent), so the work is the same.
func (s *Store) IssuePassCode(ctx context.Context, purpose, username string, ttl time.Duration) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", fmt.Errorf("accounts: pass code: %w", err)
	}
	code := fmt.Sprintf("%0*d", PassCodeDigits, n.Int64())
	b, _ := json.Marshal(passCode{Hash: hashToken(NormalizeUsername(username) + ":" + code), Expires: time.Now().Add(ttl).UTC()})
	// Kept an hour beyond its expiry, so that the page can say "expired" rather than "wrong".
	if err := s.rdb.Set(ctx, s.passCodeKey(purpose, username), b, ttl+time.Hour).Err(); err != nil {
		return "", fmt.Errorf("accounts: store pass code: %w", err)
	}
	return code, nil
}

// UsePassCode checks code for username and uses it up when right. A wrong code counts
// against it; the PassCodeAttempts-th wrong one deletes it. The check and the count are one
// WATCH transaction, so concurrent guesses cannot share an attempt.
func (s *Store) UsePassCode(ctx context.Context, purpose, username, code string) error {
	key := s.passCodeKey(purpose, username)
	var result error
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		raw, err := tx.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			result = ErrPassCodeWrong
			return nil
		}
		if err != nil {
			return err
		}
		var pc passCode
		if err := json.Unmarshal(raw, &pc); err != nil {
			return err
		}
		want := hashToken(NormalizeUsername(username) + ":" + code)
		switch {
		case pc.Attempts >= PassCodeAttempts:
			result = ErrPassCodeUsedUp
		case time.Now().After(pc.Expires):
			result = ErrPassCodeExpired
		case subtle.ConstantTimeCompare([]byte(want), []byte(pc.Hash)) == 1:
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Del(ctx, key); return nil })
			return err
		default:
			pc.Attempts++
			result = ErrPassCodeWrong
			if pc.Attempts >= PassCodeAttempts {
				result = ErrPassCodeUsedUp
			}
			b, _ := json.Marshal(pc)
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, key, b, redis.KeepTTL); return nil })
			return err
		}
		return nil
	}, key)
	if err != nil {
		return fmt.Errorf("accounts: check pass code: %w", err)
	}
	return result
}
