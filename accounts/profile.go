package accounts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of account.
const (
	// KindClinician is a provider (MD, DO, NP, PA) who registered and was approved.
	KindClinician = "clinician"
	// KindStaff is staff sponsored by a provider.
	KindStaff = "staff"
	// KindHospital is a hospital user known from the hospital's identity provider (Children's
	// ID): no password or second factor here, the hospital's IdP owns them.
	KindHospital = "hospital"
)

// Profile is what the gateway keeps about a person with an account: who they are, how to
// reach them, their practice and the Practitioner the EHR knows them as. It holds no
// secret; passwords and second factors are kept apart.
type Profile struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Username is what they type to sign in: their email address (demo users: a short name).
	Username    string `json:"username"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Phone       string `json:"phone,omitempty"`
	Credentials string `json:"credentials,omitempty"`
	NPI         string `json:"npi,omitempty"`
	Practice    string `json:"practice,omitempty"`
	// PracticeAddress and PracticePhone are where the practice is reached.
	PracticeAddress string `json:"practice_address,omitempty"`
	PracticePhone   string `json:"practice_phone,omitempty"`
	// FHIRUser is "Practitioner/<id>", linked by the support team from the NPI.
	FHIRUser string `json:"fhir_user,omitempty"`
	// CanSponsor is the sponsorship privilege the support team grants at approval.
	CanSponsor bool `json:"can_sponsor,omitempty"`
	// Groups are group or role claims of a hospital user, as their IdP sent them.
	Groups []string `json:"groups,omitempty"`
	// Exempt marks the seeded demo accounts, which sign in without a second factor so that a
	// newcomer can try the demo at once. Every other account of the provider needs one.
	Exempt    bool      `json:"exempt,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NeedsSecondFactor reports whether signing in needs a second factor after the password.
func (p Profile) NeedsSecondFactor() bool { return !p.Exempt && p.Kind != KindHospital }

func (s *Store) profileKey(id string) string { return s.prefix + "accounts:profile:" + id }

// NewUserID returns a fresh user id for an account of the accounts provider idp.
func NewUserID(idp string) string { return idp + ":u-" + strings.ToLower(rand.Text()[:16]) }

// SaveProfile stores p, stamping UpdatedAt (and CreatedAt the first time).
func (s *Store) SaveProfile(ctx context.Context, p Profile) error {
	if !ValidUserID(p.ID) {
		return fmt.Errorf("accounts: save profile: bad id %q", p.ID)
	}
	now := time.Now().UTC()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.UpdatedAt = now
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("accounts: encode profile: %w", err)
	}
	if err := s.rdb.Set(ctx, s.profileKey(p.ID), b, 0).Err(); err != nil {
		return fmt.Errorf("accounts: save profile %s: %w", p.ID, err)
	}
	return nil
}

// Profile returns the profile of account id. A sponsored staff member created before
// profiles existed is described from their staff record. ErrNotFound when there is none.
func (s *Store) Profile(ctx context.Context, id string) (Profile, error) {
	raw, err := s.rdb.Get(ctx, s.profileKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		st, serr := s.Get(ctx, id)
		if serr != nil {
			return Profile{}, serr
		}
		return Profile{ID: st.ID, Kind: KindStaff, Username: NormalizeUsername(st.Email), Name: st.Name, Email: st.Email,
			CreatedAt: st.CreatedAt}, nil
	}
	if err != nil {
		return Profile{}, fmt.Errorf("accounts: read profile %s: %w", id, err)
	}
	var p Profile
	if err := json.Unmarshal(raw, &p); err != nil {
		return Profile{}, fmt.Errorf("accounts: decode profile %s: %w", id, err)
	}
	return p, nil
}

// ErrNotActive means the account exists but may not sign in: suspended, removed, or staff
// whose sponsor is suspended.
var ErrNotActive = errors.New("accounts: account is not active")

// Active returns the profile of id when the account may sign in: not suspended and, for
// staff, active with a sponsor in good standing. Otherwise ErrNotActive (or ErrNotFound).
func (s *Store) Active(ctx context.Context, id string) (Profile, error) {
	p, err := s.Profile(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	if p.Kind == KindStaff {
		// A staff profile whose sponsor's record of it is gone may not sign in either.
		if _, err := s.Get(ctx, id); errors.Is(err, ErrNotFound) {
			return Profile{}, ErrNotActive
		} else if err != nil {
			return Profile{}, err
		}
	}
	if err := s.CheckStanding(ctx, id); errors.Is(err, ErrInactive) {
		return Profile{}, fmt.Errorf("%w: %w", ErrNotActive, err)
	} else if err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Search returns the profile of the account whose id or username is q, for the support
// team's look-up; ErrNotFound when neither matches.
func (s *Store) Search(ctx context.Context, q string) (Profile, error) {
	q = strings.TrimSpace(q)
	if ValidUserID(q) {
		if p, err := s.Profile(ctx, q); err == nil || !errors.Is(err, ErrNotFound) {
			return p, err
		}
	}
	id, err := s.rdb.HGet(ctx, s.loginKey(q), "id").Result()
	if errors.Is(err, redis.Nil) {
		return Profile{}, fmt.Errorf("accounts: %q: %w", q, ErrNotFound)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("accounts: look up %q: %w", q, err)
	}
	return s.Profile(ctx, id)
}
