package idp

import (
	"context"
	"fmt"
)

// authenticate checks a typed username and password: against the demo users first, then,
// when configured, against Config.Accounts. Every failure of either is the same false, and
// a failed demo check always goes on to Accounts, so the time taken does not tell a demo
// username from an unknown one.
func (s *store) authenticate(ctx context.Context, username, password string) (User, bool, error) {
	if u, ok := s.users.authenticate(username, password); ok {
		if s.accounts == nil {
			return u, true, nil
		}
		// A demo user's account has a standing at the gateway like anyone's.
		if err := s.accounts.Standing(ctx, u.Subject); err != nil {
			return User{}, false, err
		}
		return u, true, nil
	}
	if s.accounts == nil {
		return User{}, false, nil
	}
	u, ok, err := s.accounts.Authenticate(ctx, username, password)
	if err != nil {
		return User{}, false, fmt.Errorf("idp: check account: %w", err)
	}
	if !ok {
		return User{}, false, nil
	}
	if _, clash := s.users.bySubject(u.Subject); clash || u.Subject == "" {
		// An outside account must never sign in as a demo user.
		return User{}, false, fmt.Errorf("idp: account subject %q is empty or a demo user's", u.Subject)
	}
	s.mu.Lock()
	s.signedIn[u.Subject] = u
	s.mu.Unlock()
	return u, true, nil
}

// userBySubject returns the demo user or signed-in account with the given sub claim.
func (s *store) userBySubject(sub string) (User, bool) {
	if u, ok := s.users.bySubject(sub); ok {
		return u, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.signedIn[sub]
	return u, ok
}
