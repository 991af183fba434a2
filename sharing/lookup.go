package sharing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/sharing/grants"
)

// The exact-match patient lookup behind the portal's "not authorized" notice. A clinician who
// searched for a patient they may not see, by the full MRN or by family name, given name and
// date of birth together, is told only this: whether exactly one patient matches, whether they
// may see them and why not in plain words, what they can do next, and whether the family has a
// patient-portal account. Never a name, an id or anything else of the record; an inexact query
// is refused before the EHR is asked; every lookup writes one audit record before it answers.

// Decider answers whether a caller may see a patient: the gateway's authorizer, whose policy
// decides here exactly as it does on /fhir.
type Decider interface {
	Decide(ctx context.Context, c gateway.Caller, req gateway.Request) (gateway.Decision, error)
}

// LookupQuery is what the clinician typed: an MRN, or family name, given name and birth date.
type LookupQuery struct {
	MRN       string `json:"mrn,omitempty"`
	Family    string `json:"family,omitempty"`
	Given     string `json:"given,omitempty"`
	BirthDate string `json:"birthdate,omitempty"`
}

// LookupResult is everything a lookup ever tells.
type LookupResult struct {
	Found   bool `json:"found"`
	Visible bool `json:"visible,omitempty"`
	// Patient is the id of a patient the caller may see, to open the record; empty otherwise.
	Patient string          `json:"patient,omitempty"`
	Reason  *gateway.Reason `json:"reason,omitempty"`
	// NextSteps are the policy's next steps for a refusal ("request-pcp-access", ...).
	NextSteps     []string `json:"next_steps,omitempty"`
	PortalAccount *bool    `json:"portal_account,omitempty"`
	// RequestRef files an access request for the patient found (POST /api/access-requests
	// {"lookup": ref}) for LookupTTL, by this caller only.
	RequestRef string `json:"request_ref,omitempty"`
	// Label is the normalised query, what the notice and a request call the patient.
	Label string `json:"label,omitempty"`
}

var (
	mrnDigits = regexp.MustCompile(`^[0-9]{4,12}$`)
	isoDate   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	// ErrLookupLimited is returned when a clinician has made too many lookups.
	ErrLookupLimited = errors.New("sharing: too many patient lookups")
	// ErrNoSuchLookup is a request_ref that is unknown, expired or another clinician's.
	ErrNoSuchLookup = errors.New("sharing: no such lookup")
)

// LookupRule is how many lookups one clinician may make: each is an oracle for "is this child a
// patient here", so a clinician gets enough for a day's work and no more.
var LookupRule = limits.Rule{Name: "patient-lookups", Limit: 60, Window: time.Hour}

// exact checks that q is an exact query and returns its canonical form: the MRN with the
// hospital's prefix, or the three name fields trimmed.
func (q LookupQuery) exact(prefix string) (LookupQuery, error) {
	if q.MRN != "" {
		if q.Family != "" || q.Given != "" || q.BirthDate != "" {
			return q, refuse(errInvalidInput, "Search by MRN, or by name and date of birth, not both.")
		}
		m := strings.ToUpper(strings.Join(strings.Fields(q.MRN), ""))
		m = strings.TrimPrefix(m, strings.ToUpper(prefix))
		if !mrnDigits.MatchString(m) {
			return q, refuse(errInvalidInput, "An MRN is "+prefix+" followed by its digits, or the digits alone.")
		}
		return LookupQuery{MRN: prefix + m}, nil
	}
	out := LookupQuery{Family: strings.TrimSpace(q.Family), Given: strings.TrimSpace(q.Given), BirthDate: strings.TrimSpace(q.BirthDate)}
	if out.Family == "" || out.Given == "" || !isoDate.MatchString(out.BirthDate) || len(out.Family) > 100 || len(out.Given) > 100 {
		return q, refuse(errInvalidInput, "Give the full MRN, or the family name, given name and date of birth (YYYY-MM-DD).")
	}
	if _, err := time.Parse(time.DateOnly, out.BirthDate); err != nil {
		return q, refuse(errInvalidInput, "The date of birth is not a date (YYYY-MM-DD).")
	}
	return out, nil
}

func (q LookupQuery) label() string {
	if q.MRN != "" {
		return q.MRN
	}
	return q.Family + ", " + q.Given + " (born " + q.BirthDate + ")"
}

// Lookup finds the one patient matching q exactly and tells c what they may know of it.
func (s *Service) Lookup(ctx context.Context, c gateway.Caller, q LookupQuery) (LookupResult, error) {
	if c.Subject == "" {
		return LookupResult{}, ErrNotClinician
	}
	q, err := q.exact(s.mrnPrefix())
	if err != nil {
		return LookupResult{}, err
	}
	if err := s.countLookup(ctx, c); err != nil {
		return LookupResult{}, err
	}
	ev := byClinician("patient.lookup", c)
	res, err := s.lookup(ctx, c, q, &ev)
	if err != nil {
		return LookupResult{}, err
	}
	if err := s.record(ctx, ev); err != nil {
		return LookupResult{}, fmt.Errorf("sharing: audit the lookup: %w", err)
	}
	return res, nil
}

// lookup does the work of Lookup and fills in its event: the patient found, and as its reason
// the policy's code for a patient the caller may not see, "visible", or "no_exact_match".
func (s *Service) lookup(ctx context.Context, c gateway.Caller, q LookupQuery, ev *audit.Action) (LookupResult, error) {
	res := LookupResult{Label: q.label()}
	ev.Reason = "no_exact_match"
	p, err := s.exactPatient(ctx, q)
	if errors.Is(err, ErrNoSuchPatient) {
		return res, nil
	}
	if err != nil {
		return LookupResult{}, err
	}
	d, err := s.Decider.Decide(ctx, c, gateway.Request{Interaction: gateway.Read, ResourceType: "Patient", Patients: []string{p.ID}})
	if err != nil {
		return LookupResult{}, fmt.Errorf("sharing: decide the lookup: %w", err)
	}
	pd := d.Patients[p.ID]
	ev.Patients = []string{p.ID}
	res.Found, res.PortalAccount = true, &p.PortalAccount
	if d.Allow && pd.Allowed {
		ev.Reason = "visible"
		res.Visible, res.Patient = true, p.ID
		return res, nil
	}
	res.Reason = pd.Reason
	if res.Reason == nil && len(d.Reasons) > 0 {
		res.Reason = &d.Reasons[0]
	}
	ev.Reason = "not_visible"
	if res.Reason != nil {
		ev.Reason = res.Reason.Code
		res.NextSteps = strings.Fields(res.Reason.NextSteps)
	}
	res.RequestRef, err = s.Grants.PutLookup(ctx, grants.Found{Requester: c.Subject, PatientID: p.ID, MRN: p.MRN, Label: res.Label})
	return res, err
}

// exactPatient asks the EHR, with the gateway's own credential, for the one patient matching q.
func (s *Service) exactPatient(ctx context.Context, q LookupQuery) (PatientInfo, error) {
	if q.MRN != "" {
		return s.EHR.ByMRN(ctx, q.MRN)
	}
	return s.EHR.ByNameAndBirthDate(ctx, q.Family, q.Given, q.BirthDate)
}

// countLookup takes one lookup from the caller's budget (LookupLimit, shared by replicas); a
// refused one is the event "patient.lookup" with reason rate_limited.
func (s *Service) countLookup(ctx context.Context, c gateway.Caller) error {
	n, err := s.LookupLimit.Take(ctx, c.Subject)
	if err != nil {
		return err
	}
	if !n.Allowed {
		limited := fmt.Errorf("%w: %w", ErrLookupLimited, limits.LimitedError{RetryAfter: n.RetryAfter})
		return s.refused(ctx, byClinician("patient.lookup", c), "rate_limited", limited)
	}
	return nil
}

func (s *Service) mrnPrefix() string {
	if s.MRNPrefix != "" {
		return s.MRNPrefix
	}
	return "MRN"
}
