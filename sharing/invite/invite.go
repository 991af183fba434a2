// Package invite issues and redeems invitation tokens: a patient or guardian, through the
// hospital's patient portal, invites one clinician to one patient's record. A token is 130
// random bits, shown once to the portal (to email and print) and stored only as its SHA-256;
// it is bound to one MRN, valid for six months and redeemed at most once, atomically. Every
// way a redemption can fail (unknown, expired, used, wrong MRN) is the one error ErrInvalid,
// so that a guesser learns nothing. Attempts are counted in Redis per user and per MRN, so
// the limits hold across replicas. It owns its Redis keys. This package creates no grant and
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
)

// Validity is how long an invitation can be redeemed.
const Validity = 183 * 24 * time.Hour

// ErrInvalid is the one answer for a token that cannot be redeemed, whatever the cause.
var ErrInvalid = errors.New("invite: this token and MRN do not match a valid invitation")

// ErrRateLimited is returned when a user or an MRN has had too many attempts.
var ErrRateLimited = errors.New("invite: too many attempts; try again later")

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
	rdb    redis.UniversalClient
	prefix string
	// Limit is the number of redemption attempts allowed per user, and per MRN, in Window.
	Limit  int64
	Window time.Duration
}

// NewStore returns a Store whose keys start with prefix, allowing 10 attempts per user and
// per MRN an hour.
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, Limit: 10, Window: time.Hour}
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

// Redeem uses token for mrn on behalf of user, once. Any failure to match is ErrInvalid;
// too many attempts by user or on mrn is ErrRateLimited (checked before the token, so that
// the limit also stops guessing).
func (s *Store) Redeem(ctx context.Context, token, mrn, user string, now time.Time) (Invitation, error) {
	if err := s.count(ctx, "user:"+user, now); err != nil {
		return Invitation{}, err
	}
	if err := s.count(ctx, "mrn:"+mrn, now); err != nil {
		return Invitation{}, err
	}
	k := s.key(token)
	ok, err := redeemScript.Run(ctx, s.rdb, []string{k}, mrn, now.Unix(), user).Int()
	if err != nil {
		return Invitation{}, fmt.Errorf("invite: redeem: %w", err)
	}
	if ok != 1 {
		return Invitation{}, ErrInvalid
	}
	var inv Invitation
	if err := s.rdb.HGetAll(ctx, k).Scan(&inv); err != nil {
		return Invitation{}, fmt.Errorf("invite: read redeemed invitation: %w", err)
	}
	return inv, nil
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

// count adds one attempt to the fixed window of who and fails with ErrRateLimited past the
// limit.
func (s *Store) count(ctx context.Context, who string, now time.Time) error {
	window := now.Unix() / int64(s.Window.Seconds())
	k := fmt.Sprintf("%sinvitation-attempts:%s:%d", s.prefix, who, window)
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.Expire(ctx, k, s.Window)
		return nil
	})
	if err != nil {
		return fmt.Errorf("invite: count attempts: %w", err)
	}
	if n.Val() > s.Limit {
		return ErrRateLimited
	}
	return nil
}
