package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// setupKeep is how long a set-up link is remembered after it expired, so that the page can
// say it expired rather than that it never existed.
const setupKeep = 30 * 24 * time.Hour

// Errors of the set-up flow.
var (
	// ErrInvalidSetup is the one answer for a set-up token that is unknown, used, replaced by
	// a newer link, or whose account is no longer active: the page never says which.
	ErrInvalidSetup = errors.New("accounts: set-up link invalid or already used")
	// ErrSetupExpired is a link that was valid but is older than SetupTTL.
	ErrSetupExpired = errors.New("accounts: set-up link expired")
	// ErrUsernameTaken means another account already has this username (email).
	ErrUsernameTaken = errors.New("accounts: this email address is already the username of another account")
)

// NormalizeUsername is how usernames compare: case- and surrounding-space-insensitive, so
// that "Sam.Lee@…" and "sam.lee@…" are one login.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (s *Store) loginKey(username string) string {
	return s.prefix + "accounts:login:" + NormalizeUsername(username)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Store) setupKey(token string) string { return s.prefix + "accounts:setup:" + hashToken(token) }
func (s *Store) currentSetupKey(id string) string {
	return s.prefix + "accounts:setup-current:" + id
}

// Claim reserves username (an email address) for account id. It is called before the
// account is created, so that two accounts can never share a login.
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

type setupRecord struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

// IssueSetup returns a fresh set-up token for account id, valid for SetupTTL, and makes it
// the account's only live link: an earlier one stops working. The token has 130 bits of
// entropy; only its SHA-256 is stored, so a copy of Redis holds no usable link. A fast hash
// is right here because the token is random, not chosen by a person.
func (s *Store) IssueSetup(ctx context.Context, id string) (string, error) {
	token := rand.Text()
	b, _ := json.Marshal(setupRecord{ID: id, Expires: time.Now().Add(SetupTTL).UTC()})
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.setupKey(token), b, SetupTTL+setupKeep)
		p.Set(ctx, s.currentSetupKey(id), hashToken(token), SetupTTL+setupKeep)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("accounts: store set-up token of %s: %w", id, err)
	}
	return token, nil
}

// SetupAccount returns the active account a set-up token is for, without using it up; the
// page calls it to greet the user and to refuse a dead link before they type a password.
func (s *Store) SetupAccount(ctx context.Context, token string) (Profile, error) {
	raw, err := s.rdb.Get(ctx, s.setupKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Profile{}, ErrInvalidSetup
	}
	if err != nil {
		return Profile{}, fmt.Errorf("accounts: read set-up token: %w", err)
	}
	var rec setupRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Profile{}, ErrInvalidSetup
	}
	current, err := s.rdb.Get(ctx, s.currentSetupKey(rec.ID)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Profile{}, fmt.Errorf("accounts: read set-up token: %w", err)
	}
	if current != hashToken(token) {
		return Profile{}, ErrInvalidSetup
	}
	if time.Now().After(rec.Expires) {
		return Profile{}, ErrSetupExpired
	}
	p, err := s.Active(ctx, rec.ID)
	if errors.Is(err, ErrNotActive) || errors.Is(err, ErrNotFound) {
		return Profile{}, ErrInvalidSetup
	}
	return p, err
}

// RedeemSetup uses up token and sets password as its account's password, writing its event
// to trail first ("staff.setup_link.use" for staff, "account.setup" for others): without its
// record nothing changes. The token is taken with GETDEL, one atomic step, so two concurrent
// posts of one link cannot both succeed. The password is hashed (within the hash bound)
// before the token is taken, so the slow part cannot widen that race.
func (s *Store) RedeemSetup(ctx context.Context, trail audit.Writer, token, password string) (Profile, error) {
	p, err := s.SetupAccount(ctx, token)
	if err != nil {
		return Profile{}, err
	}
	if err := CheckPassword(password, p.Username); err != nil {
		return Profile{}, err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return Profile{}, err
	}
	sponsor, err := s.SponsorOf(ctx, p.ID)
	if err != nil {
		return Profile{}, err
	}
	event := audit.Action{Event: "account.setup", Outcome: audit.Success, Actor: p.ID, Subject: p.ID, Sponsor: sponsor, Client: "setup-page"}
	if p.Kind == KindStaff {
		event.Event = "staff.setup_link.use"
	}
	if err := audit.WriteAction(ctx, trail, event); err != nil {
		return Profile{}, err
	}
	if err := s.takeSetup(ctx, token, p, hash); err != nil {
		event.Outcome, event.Reason = audit.Failure, "link_used_meanwhile"
		return Profile{}, errors.Join(err, audit.WriteAction(ctx, trail, event))
	}
	return p, nil
}

// takeSetup uses up token, which must be p's, and stores hash as p's password.
func (s *Store) takeSetup(ctx context.Context, token string, p Profile, hash string) error {
	raw, err := s.rdb.GetDel(ctx, s.setupKey(token)).Bytes()
	var rec setupRecord
	if errors.Is(err, redis.Nil) || (err == nil && (json.Unmarshal(raw, &rec) != nil || rec.ID != p.ID)) {
		return ErrInvalidSetup
	}
	if err != nil {
		return fmt.Errorf("accounts: use set-up token: %w", err)
	}
	if err := s.rdb.Del(ctx, s.currentSetupKey(p.ID)).Err(); err != nil {
		return fmt.Errorf("accounts: use set-up token: %w", err)
	}
	return s.storeHash(ctx, p, hash)
}

// hash hashes password within the process's bound on memory-hard hashes.
func (s *Store) hash(ctx context.Context, password string) (string, error) {
	var hash string
	var herr error
	if err := s.hashes.Do(ctx, func() { hash, herr = hashPassword(password) }); err != nil {
		return "", fmt.Errorf("accounts: hash password: %w", err)
	}
	return hash, herr
}

// storeHash stores a password hash under p's username, which must be claimed by p: anything
// else is a bug or tampering, and must not hand another account's login to this one.
func (s *Store) storeHash(ctx context.Context, p Profile, hash string) error {
	owner, err := s.UsernameOwner(ctx, p.Username)
	if err != nil {
		return err
	}
	if owner != p.ID {
		return fmt.Errorf("accounts: username of %s is not claimed by it: %w", p.ID, ErrInvalidSetup)
	}
	if err := s.rdb.HSet(ctx, s.loginKey(p.Username), "hash", hash).Err(); err != nil {
		return fmt.Errorf("accounts: store password of %s: %w", p.ID, err)
	}
	return nil
}

// SetPassword checks and sets a new password for the account p (a reset or a change).
func (s *Store) SetPassword(ctx context.Context, p Profile, password string) error {
	if err := CheckPassword(password, p.Username); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	return s.storeHash(ctx, p, hash)
}

// SeedPassword sets the password of seeded (demo) accounts without the strength rules: the
// demo password is the operator's choice. They share one hash (and salt), computed once: the
// demo's accounts all have the one password anyway, and each start hashes it only once.
func (s *Store) SeedPassword(ctx context.Context, password string, ps ...Profile) error {
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := s.storeHash(ctx, p, hash); err != nil {
			return err
		}
	}
	return nil
}

// Authenticate returns the account whose username and password these are, when it may sign
// in (see Active); a right password of an account that may not is ErrNotActive. Every other
// refusal is the same false, and an unknown username costs one hash
// verification like a wrong password. The verification waits for the process's hash bound:
// an error wrapping limits.ErrBusy means nothing was checked (answer 503).
func (s *Store) Authenticate(ctx context.Context, username, password string) (Profile, bool, error) {
	if len(password) > 4*MaxPasswordLength {
		return Profile{}, false, nil
	}
	login, err := s.rdb.HGetAll(ctx, s.loginKey(username)).Result()
	if err != nil {
		return Profile{}, false, fmt.Errorf("accounts: read login: %w", err)
	}
	hash := login["hash"]
	if hash == "" {
		hash = dummyHash // an unknown username costs what a wrong password costs
	}
	var ok bool
	if err := s.hashes.Do(ctx, func() { ok = verifyPassword(password, hash) }); err != nil {
		return Profile{}, false, fmt.Errorf("accounts: check password: %w", err)
	}
	if !ok || login["hash"] == "" {
		return Profile{}, false, nil
	}
	p, err := s.Active(ctx, login["id"])
	if errors.Is(err, ErrNotFound) {
		return Profile{}, false, nil
	}
	if errors.Is(err, ErrNotActive) {
		// The password was right, so saying that the account may not sign in tells nothing
		// to someone who does not know it: the caller may tell the user, with whom to call.
		return Profile{}, false, err
	}
	if err != nil {
		return Profile{}, false, err
	}
	return p, true, nil
}

// HasPassword reports whether the account with this username has set up its login.
func (s *Store) HasPassword(ctx context.Context, username string) (bool, error) {
	n, err := s.rdb.HExists(ctx, s.loginKey(username), "hash").Result()
	if err != nil {
		return false, fmt.Errorf("accounts: read login: %w", err)
	}
	return n, nil
}

// ChangeUsername moves p's login (and password) to a new username, the verified new email
// address, and returns the profile with it. The new name is claimed first, so a taken one
// changes nothing.
func (s *Store) ChangeUsername(ctx context.Context, p Profile, email string) (Profile, error) {
	if err := s.Claim(ctx, email, p.ID); err != nil {
		return Profile{}, err
	}
	hash, err := s.rdb.HGet(ctx, s.loginKey(p.Username), "hash").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Profile{}, fmt.Errorf("accounts: read login: %w", err)
	}
	if hash != "" {
		if err := s.rdb.HSet(ctx, s.loginKey(email), "hash", hash).Err(); err != nil {
			return Profile{}, fmt.Errorf("accounts: move login: %w", err)
		}
	}
	if err := s.rdb.Del(ctx, s.loginKey(p.Username)).Err(); err != nil {
		return Profile{}, fmt.Errorf("accounts: release old login: %w", err)
	}
	p.Username, p.Email = NormalizeUsername(email), strings.TrimSpace(email)
	return p, s.SaveProfile(ctx, p)
}
