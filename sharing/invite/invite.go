// Package invite issues and redeems invitation tokens: a patient or guardian, through the
// hospital's patient portal, invites one clinician to one patient's record. A token is 130
// random bits, shown once to the portal (to email and print) and stored only as its SHA-256;
// it is bound to one MRN, valid for six months and redeemed at most once, atomically. Every
// way a redemption can fail (unknown, expired, used, wrong MRN) is the one error ErrInvalid,
// so that a guesser learns nothing. Attempts are limited in Redis (package limits), so the
// limits hold across replicas: per redeeming account (the one hard limit), and per MRN only
// as a slow-down that issuing a new invitation lifts, so that another clinician's wrong
// guesses can never lock the invited clinician out. It owns its Redis keys. This package creates no grant and
// sends no mail: the flow that does is package sharing's.
package invite

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

	"github.com/mypatients/gateway/limits"
)

// Validity is how long an invitation can be redeemed.
const Validity = 183 * 24 * time.Hour

// ErrInvalid is the one answer for a token that cannot be redeemed, whatever the cause.
var ErrInvalid = errors.New("invite: this token and MRN do not match a valid invitation")

// ErrRateLimited is returned when a user has had too many attempts.
var ErrRateLimited = errors.New("invite: too many attempts; try again later")

// ErrSlowed is returned when an MRN has had many wrong attempts and its next attempt must
// wait a little.
var ErrSlowed = errors.New("invite: many wrong attempts on this MRN; wait a little")

// The limits of redemption attempts.
var (
	// UserRule: each redeeming account may try this often, right or wrong (a success is given
	// back). With 130-bit tokens this is not what stops guessing; it stops floods.
	UserRule = limits.Rule{Name: "invite-user", Limit: 10, Window: time.Hour}
	// MRNFailureRule: after this many wrong attempts on one MRN...
	MRNFailureRule = limits.Rule{Name: "invite-mrn-failures", Limit: 10, Window: time.Hour}
	// MRNSlowRule: ...the MRN is tried at most this often, until the window ends or the family
	// issues a new invitation.
	MRNSlowRule = limits.Rule{Name: "invite-mrn-slow", Limit: 1, Window: time.Minute}
)

// Reason is the audit reason code of a failed redemption.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrInvalid):
		return "invalid_invitation"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrSlowed):
		return "slowed"
	}
	return "unavailable"
}

// Invitation is what is stored under the token's hash.
type Invitation struct {
	PatientID string    `json:"patient_id" redis:"patient_id"`
	MRN       string    `json:"mrn" redis:"mrn"`
	By        string    `json:"by" redis:"by"`
	Email     string    `json:"email" redis:"email"`
	IssuedAt  time.Time `json:"issued_at" redis:"-"`
	ExpiresAt time.Time `json:"expires_at" redis:"-"`
}

// Store issues and redeems invitations in Redis.
type Store struct {
	rdb                          redis.UniversalClient
	prefix                       string
	byUser, mrnFailures, mrnSlow *limits.Limiter
}

// NewStore returns a Store whose keys start with prefix, with the limits UserRule,
// MRNFailureRule and MRNSlowRule.
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, byUser: limits.New(rdb, prefix, UserRule),
		mrnFailures: limits.New(rdb, prefix, MRNFailureRule), mrnSlow: limits.New(rdb, prefix, MRNSlowRule)}
}

func (s *Store) key(token string) string {
	sum := sha256.Sum256([]byte(normalize(token)))
	return s.prefix + "invitation:" + hex.EncodeToString(sum[:])
}

// normalize lets people type a printed token with spaces, dashes or lower case.
func normalize(token string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(token))
}

// Format groups a token in blocks of four for printing and reading aloud.
func Format(token string) string {
	var b strings.Builder
	for i, r := range token {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Issue creates an invitation for inv.MRN, valid from now for Validity, and returns the
// token (rand.Text: 26 base-32 characters, 130 bits) — the only time it exists in clear.
func (s *Store) Issue(ctx context.Context, inv Invitation, now time.Time) (string, Invitation, error) {
	if inv.PatientID == "" || inv.MRN == "" || inv.By == "" {
		return "", Invitation{}, errors.New("invite: an invitation needs a patient, an MRN and who issued it")
	}
	token := rand.Text()
	inv.IssuedAt, inv.ExpiresAt = now.UTC(), now.UTC().Add(Validity)
	if err := s.put(ctx, token, inv); err != nil {
		return "", Invitation{}, err
	}
	if err := errors.Join(s.mrnFailures.Reset(ctx, inv.MRN), s.mrnSlow.Reset(ctx, inv.MRN)); err != nil {
		return "", Invitation{}, err
	}
	return token, inv, nil
}

// put stores inv under token's hash; the key outlives the validity by a day so that a late
// attempt is still recognised as expired rather than unknown (both answer ErrInvalid anyway).
func (s *Store) put(ctx context.Context, token string, inv Invitation) error {
	k := s.key(token)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, "patient_id", inv.PatientID, "mrn", inv.MRN, "by", inv.By, "email", inv.Email,
			"issued_at", inv.IssuedAt.Unix(), "expires_at", inv.ExpiresAt.Unix())
		p.ExpireAt(ctx, k, inv.ExpiresAt.Add(24*time.Hour))
		return nil
	})
	if err != nil {
		return fmt.Errorf("invite: store invitation: %w", err)
	}
	return nil
}

// redeemScript marks the invitation used if it exists, matches the MRN, has not expired and
// was not used: one script, so two concurrent redemptions cannot both succeed.
var redeemScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'mrn', 'expires_at', 'used_at')
if not v[1] or v[1] ~= ARGV[1] then return 0 end
if tonumber(v[2]) <= tonumber(ARGV[2]) then return 0 end
if v[3] then return 0 end
redis.call('HSET', KEYS[1], 'used_at', ARGV[2], 'used_by', ARGV[3])
return 1
`)

// Redeem uses token for mrn on behalf of user, once. Any failure to match is ErrInvalid. The
// limits are checked before the token (so that they also stop guessing): too many attempts by
// user is ErrRateLimited; an MRN with many wrong attempts lets one attempt a minute through,
// others get ErrSlowed. Both wrap a limits.LimitedError with the time to wait.
func (s *Store) Redeem(ctx context.Context, token, mrn, user string, now time.Time) (Invitation, error) {
	if err := s.admit(ctx, mrn, user); err != nil {
		return Invitation{}, err
	}
	k := s.key(token)
	ok, err := redeemScript.Run(ctx, s.rdb, []string{k}, mrn, now.Unix(), user).Int()
	if err != nil {
		return Invitation{}, fmt.Errorf("invite: redeem: %w", err)
	}
	if ok != 1 {
		if _, err := s.mrnFailures.Take(ctx, mrn); err != nil {
			return Invitation{}, err
		}
		return Invitation{}, ErrInvalid
	}
	var inv Invitation
	if err := s.rdb.HGetAll(ctx, k).Scan(&inv); err != nil {
		return Invitation{}, fmt.Errorf("invite: read redeemed invitation: %w", err)
	}
	return inv, s.byUser.Refund(ctx, user)
}

// admit counts user's attempt and applies the MRN's slow-down.
func (s *Store) admit(ctx context.Context, mrn, user string) error {
	u, err := s.byUser.Take(ctx, user)
	if err != nil {
		return err
	}
	if !u.Allowed {
		return fmt.Errorf("%w: %w", ErrRateLimited, limits.LimitedError{RetryAfter: u.RetryAfter})
	}
	failures, err := s.mrnFailures.Count(ctx, mrn)
	if err != nil || failures < MRNFailureRule.Limit {
		return err
	}
	slow, err := s.mrnSlow.Take(ctx, mrn)
	if err != nil {
		return err
	}
	if !slow.Allowed {
		return fmt.Errorf("%w: %w", ErrSlowed, errors.Join(limits.LimitedError{RetryAfter: slow.RetryAfter}, s.byUser.Refund(ctx, user)))
	}
	return nil
}

// Release makes a redeemed invitation usable again. It is for the one case where redemption
// succeeded but the grant it pays for could not be stored: the family's token must not be
// burnt for nothing.
func (s *Store) Release(ctx context.Context, token string) error {
	if err := s.rdb.HDel(ctx, s.key(token), "used_at", "used_by").Err(); err != nil {
		return fmt.Errorf("invite: release: %w", err)
	}
	return nil
}
