package limits

import (
	"context"
	"errors"
	"time"
)

// ErrLimited is what a refused attempt's error wraps: too many attempts for this account or
// from this address. The caller answers 429 with Retry-After and checks nothing.
var ErrLimited = errors.New("limits: too many attempts")

// LimitedError is ErrLimited with the time until the window ends.
type LimitedError struct{ RetryAfter time.Duration }

func (e LimitedError) Error() string { return ErrLimited.Error() }
func (e LimitedError) Unwrap() error { return ErrLimited }

// SignIn are the limits of password sign-in: failed attempts per account (the typed
// username, normalised) and per client address. Attempts are counted before the password is
// checked, atomically, so concurrent guesses cannot all slip under the limit; a successful
// sign-in gives its attempt back, so a user who types the right password is never slowed.
type SignIn struct {
	Account, Address *Limiter
}

// Attempt is one counted sign-in attempt; call Succeeded when the password was right.
type Attempt struct {
	s             SignIn
	account, addr string
}

// Begin counts an attempt for account (may be empty) from addr. When either limit is
// exceeded it gives both counts back and returns a LimitedError: nothing must be checked.
func (s SignIn) Begin(ctx context.Context, account, addr string) (Attempt, error) {
	a := Attempt{s: s, account: account, addr: addr}
	byAddr, err := s.Address.Take(ctx, addr)
	if err != nil {
		return a, err
	}
	byAccount := Result{Allowed: true}
	if account != "" {
		if byAccount, err = s.Account.Take(ctx, account); err != nil {
			return a, errors.Join(err, s.Address.Refund(ctx, addr))
		}
	}
	if byAddr.Allowed && byAccount.Allowed {
		return a, nil
	}
	if err := a.Succeeded(ctx); err != nil {
		return a, err
	}
	return a, LimitedError{RetryAfter: max(byAddr.RetryAfter, byAccount.RetryAfter)}
}

// Succeeded gives the attempt back: a right password, or one that was not checked.
func (a Attempt) Succeeded(ctx context.Context) error {
	err := a.s.Address.Refund(ctx, a.addr)
	if a.account != "" {
		err = errors.Join(err, a.s.Account.Refund(ctx, a.account))
	}
	return err
}
