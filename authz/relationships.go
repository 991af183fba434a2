package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/sharing/grants"
)

// GrantReader reads the family's grants to a clinician. *grants.Store satisfies it. It is
// called on every decision and must not cache: a revocation holds on the very next request.
type GrantReader interface {
	ForClinician(ctx context.Context, clinician string, patients []string) (map[string]grants.Grant, error)
	// QueueForClinician queues ForClinician's read on pipe; the function returned answers once
	// pipe has run.
	QueueForClinician(ctx context.Context, pipe redis.Pipeliner, clinician string, patients []string) func() (map[string]grants.Grant, error)
	// Patients lists the patients with a grant to clinician, for narrowing a patient list.
	Patients(ctx context.Context, clinician string) ([]string, error)
}

// SponsorReader reads sponsorship and account standing. *accounts.Store satisfies it; it is
// read on every decision, uncached, so that a suspension holds at once.
type SponsorReader interface {
	// Get returns the staff account of user id, or an error matching accounts.ErrNotFound
	// when id is not sponsored staff.
	Get(ctx context.Context, id string) (accounts.Staff, error)
	// Standing returns accounts.Active or accounts.Suspended for any account.
	Standing(ctx context.Context, id string) (string, error)
	// QueueGet and QueueStanding queue Get's and Standing's reads on pipe; the functions
	// returned answer once pipe has run.
	QueueGet(ctx context.Context, pipe redis.Pipeliner, id string) func() (accounts.Staff, error)
	QueueStanding(ctx context.Context, pipe redis.Pipeliner, id string) func() (string, error)
}

// Sponsorship is, in the policy input, the sponsorship of a staff user.
type Sponsorship struct {
	Sponsor         string `json:"sponsor"`
	Status          string `json:"status"`
	SponsorStanding string `json:"sponsor_standing"`
}

// GrantFact is a grant in the policy's words.
type GrantFact struct {
	Clinician string `json:"clinician"`
	How       string `json:"how"`
	When      string `json:"when"`
	By        string `json:"by"`
	ExpiresAt string `json:"expires_at,omitempty"`
	RevokedAt string `json:"revoked_at,omitempty"`
}

// standing is who the request's relationships belong to, and the account facts behind it.
type standing struct {
	// counted is the caller whose relationships count: c itself, or for sponsored staff a
	// Caller standing for the sponsor (their user id and practitioner).
	counted     gateway.Caller
	user        string // the user's own standing
	sponsorship *Sponsorship
}

// whoCounts looks up whether c is sponsored staff and the standing of c and their sponsor,
// fresh on every call. The sponsor is the one c's token names (Caller.Sponsor, captured when
// the token was issued); a token naming none falls back to the staff record, so that tokens
// issued before the sponsor was captured keep working. With no SponsorReader configured,
// everyone stands for themselves.
func (a *Authorizer) whoCounts(ctx context.Context, c gateway.Caller, r *reads) (standing, error) {
	st := standing{counted: c, user: accounts.Active}
	if a.sponsors == nil {
		return st, nil
	}
	var err error
	if st.user, err = a.standingOf(ctx, r, c.Subject); err != nil {
		return standing{}, fmt.Errorf("authz: standing of %s: %w", c.Subject, err)
	}
	staff, ok, err := a.staffRecord(ctx, c, r)
	if err != nil || !ok {
		return st, err
	}
	sponsorStanding, err := a.standingOf(ctx, r, staff.Sponsor)
	if err != nil {
		return standing{}, fmt.Errorf("authz: standing of sponsor %s: %w", staff.Sponsor, err)
	}
	st.sponsorship = &Sponsorship{Sponsor: staff.Sponsor, Status: staff.Status, SponsorStanding: sponsorStanding}
	// The staff member's own practitioner (if any) is ignored: staff see exactly what the
	// sponsor sees, never more.
	st.counted = gateway.Caller{Subject: staff.Sponsor, FHIRUser: staff.SponsorPractitioner}
	return st, nil
}

// staffRecord returns c's staff record, or ok == false when c is not sponsored staff. A token
// naming a sponsor whose staff record is gone counts as a removed staff account; one naming
// another sponsor than the record is an error.
func (a *Authorizer) staffRecord(ctx context.Context, c gateway.Caller, r *reads) (accounts.Staff, bool, error) {
	staff, err := a.staffOf(ctx, r, c)
	switch {
	case errors.Is(err, accounts.ErrNotFound) && c.Sponsor == "":
		return accounts.Staff{}, false, nil
	case errors.Is(err, accounts.ErrNotFound):
		return accounts.Staff{ID: c.Subject, Sponsor: c.Sponsor, Status: accounts.Removed}, true, nil
	case err != nil:
		return accounts.Staff{}, false, fmt.Errorf("authz: sponsorship of %s: %w", c.Subject, err)
	case c.Sponsor != "" && c.Sponsor != staff.Sponsor:
		return accounts.Staff{}, false, fmt.Errorf("authz: the token of %s names sponsor %s, the staff record %s",
			c.Subject, c.Sponsor, staff.Sponsor)
	}
	return staff, true, nil
}

// addTo completes input with the user's standing, the sponsorship and the time of the
// request.
func (s standing) addTo(input *Input, now time.Time) {
	input.User.Standing = s.user
	input.Sponsorship = s.sponsorship
	input.Now = now.UTC().Format(time.RFC3339)
}

// addGrants completes input with the family's grants to the principal among patients, read
// fresh (in r, when it read them).
func (a *Authorizer) addGrants(ctx context.Context, r *reads, input *Input, patients []string) error {
	if a.grants == nil {
		return nil
	}
	gs, err := a.grantsTo(ctx, r, input.Principal.ID, sortedSet(patients))
	if err != nil {
		return fmt.Errorf("authz: grants of %s: %w", input.Principal.ID, err)
	}
	if len(gs) == 0 {
		return nil
	}
	input.Facts.Grants = make(map[string]GrantFact, len(gs))
	for id, g := range gs {
		f := GrantFact{Clinician: g.Clinician, How: g.How, When: g.When.UTC().Format(time.RFC3339), By: g.By}
		if g.ExpiresAt != nil {
			f.ExpiresAt = g.ExpiresAt.UTC().Format(time.RFC3339)
		}
		if g.RevokedAt != nil {
			f.RevokedAt = g.RevokedAt.UTC().Format(time.RFC3339)
		}
		input.Facts.Grants[id] = f
	}
	return nil
}

// UseRelationships makes the Authorizer read grants and sponsorship on every decision. It
// must be called before the Authorizer serves requests; wiring calls it once.
func (a *Authorizer) UseRelationships(g GrantReader, s SponsorReader) {
	a.grants, a.sponsors = g, s
}
