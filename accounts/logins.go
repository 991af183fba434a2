package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
)

// SetupTTL is how long a set-up link stays valid: long enough for a weekend, short enough
// that a forgotten email is not a standing key to an account.
const SetupTTL = 72 * time.Hour

// Errors of the set-up flow.
var (
	// ErrInvalidSetup is the one answer for a set-up token that is unknown, expired, used, or
	// whose staff account is no longer active: the page never says which.
	ErrInvalidSetup = errors.New("accounts: set-up link invalid, expired or already used")
	// ErrUsernameTaken means another staff account already has this email as its username.
	ErrUsernameTaken = errors.New("accounts: this email address is already the username of another staff account")
)

// NormalizeUsername is how usernames compare: case- and surrounding-space-insensitive, as the
// demo IdP's own users are, so that "Sam.Lee@…" and "sam.lee@…" are one login.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (s *Store) loginKey(username string) string {
	return s.prefix + "accounts:login:" + NormalizeUsername(username)
}

func (s *Store) setupKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return s.prefix + "accounts:setup:" + hex.EncodeToString(sum[:])
}

// Claim reserves username (the staff member's email) for staff account id. It is called
// before the account is created, so that two accounts can never share a login.
func (s *Store) Claim(ctx context.Context, username, id string) error {
	ok, err := s.rdb.HSetNX(ctx, s.loginKey(username), "id", id).Result()
	if err != nil {
		return fmt.Errorf("accounts: claim username: %w", err)
	}
	if !ok {
		return ErrUsernameTaken
	}
	return nil
}

// IssueSetup returns a fresh set-up token for staff account st, valid for SetupTTL. The token
// has 130 bits of entropy (crypto/rand.Text); only its SHA-256 is stored, so a copy of Redis
// does not hold usable links. A fast hash is right here because the token is random, not
// chosen by a person.
func (s *Store) IssueSetup(ctx context.Context, st Staff) (string, error) {
	token := rand.Text()
	if err := s.rdb.Set(ctx, s.setupKey(token), st.ID, SetupTTL).Err(); err != nil {
		return "", fmt.Errorf("accounts: store set-up token of %s: %w", st.ID, err)
	}
	return token, nil
}

// SetupAccount returns the active staff account a set-up token is for, without using it up;
// the page calls it to greet the user and to refuse a dead link before they type a password.
func (s *Store) SetupAccount(ctx context.Context, token string) (Staff, error) {
	id, err := s.rdb.Get(ctx, s.setupKey(token)).Result()
	if errors.Is(err, redis.Nil) {
		return Staff{}, ErrInvalidSetup
	}
	if err != nil {
		return Staff{}, fmt.Errorf("accounts: read set-up token: %w", err)
	}
	return s.activeStaff(ctx, id)
}

// activeStaff returns staff account id when it may act (CheckStanding); otherwise
// ErrInvalidSetup.
func (s *Store) activeStaff(ctx context.Context, id string) (Staff, error) {
	st, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Staff{}, ErrInvalidSetup
	}
	if err != nil {
		return Staff{}, err
	}
	if err := s.CheckStanding(ctx, id); errors.Is(err, ErrInactive) {
		return Staff{}, ErrInvalidSetup
	} else if err != nil {
		return Staff{}, err
	}
	return st, nil
}

// RedeemSetup uses up token and sets password as its staff member's password, writing the
// event "staff.setup_link.use" to trail first: without its record nothing changes. The token
// is taken with GETDEL, one atomic step, so two concurrent posts of one link cannot both
// succeed. The password is hashed (within the hash bound) before the token is taken, so the
// slow part cannot widen that race.
func (s *Store) RedeemSetup(ctx context.Context, trail audit.Writer, token, password string) (Staff, error) {
	st, err := s.SetupAccount(ctx, token)
	if err != nil {
		return Staff{}, err
	}
	if err := CheckPassword(password, st.Email); err != nil {
		return Staff{}, err
	}
	var hash string
	if err := s.hashes.Do(ctx, func() { hash, err = hashPassword(password) }); err != nil {
		return Staff{}, err
	}
	if err != nil {
		return Staff{}, err
	}
	event := audit.Action{Event: "staff.setup_link.use", Outcome: audit.Success, Actor: st.ID, Subject: st.ID,
		Sponsor: st.Sponsor, Client: "setup-page"}
	if err := audit.WriteAction(ctx, trail, event); err != nil {
		return Staff{}, err
	}
	if err := s.takeSetup(ctx, token, st, hash); err != nil {
		event.Outcome, event.Reason = audit.Failure, "link_used_meanwhile"
		return Staff{}, errors.Join(err, audit.WriteAction(ctx, trail, event))
	}
	return st, nil
}

// takeSetup uses up token, which must be st's, and stores hash as st's password.
func (s *Store) takeSetup(ctx context.Context, token string, st Staff, hash string) error {
	id, err := s.rdb.GetDel(ctx, s.setupKey(token)).Result()
	if errors.Is(err, redis.Nil) || (err == nil && id != st.ID) {
		return ErrInvalidSetup
	}
	if err != nil {
		return fmt.Errorf("accounts: use set-up token: %w", err)
	}
	owner, err := s.rdb.HGet(ctx, s.loginKey(st.Email), "id").Result()
	if err != nil || owner != st.ID {
		// The username was claimed when the account was created; anything else is a bug or
		// tampering, and must not hand another account's login to this one.
		return fmt.Errorf("accounts: username of %s is not claimed by it: %w", st.ID, errors.Join(err, ErrInvalidSetup))
	}
	if err := s.rdb.HSet(ctx, s.loginKey(st.Email), "hash", hash).Err(); err != nil {
		return fmt.Errorf("accounts: store password of %s: %w", st.ID, err)
	}
	return nil
}

// Authenticate returns the staff account whose username and password these are, when it may
// sign in (CheckStanding). Every refusal is the same false, and an unknown username costs one
// hash verification like a wrong password. The verification waits for the process's hash
// bound: an error wrapping limits.ErrBusy means nothing was checked (answer 503).
func (s *Store) Authenticate(ctx context.Context, username, password string) (Staff, bool, error) {
	if len(password) > 4*MaxPasswordLength {
		return Staff{}, false, nil
	}
	login, err := s.rdb.HGetAll(ctx, s.loginKey(username)).Result()
	if err != nil {
		return Staff{}, false, fmt.Errorf("accounts: read login: %w", err)
	}
	hash := login["hash"]
	if hash == "" {
		hash = dummyHash // an unknown username costs what a wrong password costs
	}
	var ok bool
	if err := s.hashes.Do(ctx, func() { ok = verifyPassword(password, hash) }); err != nil {
		return Staff{}, false, fmt.Errorf("accounts: check password: %w", err)
	}
	if !ok || login["hash"] == "" {
		return Staff{}, false, nil
	}
	st, err := s.activeStaff(ctx, login["id"])
	if errors.Is(err, ErrInvalidSetup) {
		return Staff{}, false, nil
	}
	if err != nil {
		return Staff{}, false, err
	}
	return st, true, nil
}

// HasPassword reports whether the staff member with this username has set up their login.
func (s *Store) HasPassword(ctx context.Context, username string) (bool, error) {
	n, err := s.rdb.HExists(ctx, s.loginKey(username), "hash").Result()
	if err != nil {
		return false, fmt.Errorf("accounts: read login: %w", err)
	}
	return n, nil
}
