package sharing

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/sharing/grants"
)

// The clinician's own view of their access, for the portal (first-party scopes only):
//
//	GET  /api/me                   who the caller is: name, provider or staff, sponsor, standing
//	GET  /api/grants               the patients families granted them (or their sponsor)
//	GET  /api/access-requests      the requests they filed and their outcome
//	POST /api/patients/lookup      the exact-match lookup (lookup.go)
//	POST /api/staff/{id}/resend    a new set-up link for a staff member who has not set up yet

// Me is who the caller is, as the portal's header shows them.
type Me struct {
	User         string `json:"user"`
	Username     string `json:"username,omitempty"`
	Name         string `json:"name"`
	Practitioner string `json:"practitioner,omitempty"`
	// Email and Phone are the caller's work contact (the directory's, or a staff member's
	// own), which their access requests carry.
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Role is "provider" or "staff".
	Role     string `json:"role"`
	Standing string `json:"standing"`
	// StaffRole is a staff member's job (RN, referral coordinator); Sponsor their provider.
	StaffRole string   `json:"staff_role,omitempty"`
	Sponsor   *Sponsor `json:"sponsor,omitempty"`
	// CanSponsor says whether the caller may manage staff.
	CanSponsor bool `json:"can_sponsor"`
}

// Sponsor is a staff member's sponsoring provider.
type Sponsor struct {
	User         string `json:"user"`
	Practitioner string `json:"practitioner,omitempty"`
	Name         string `json:"name"`
}

// WhoAmI describes c.
func (s *Service) WhoAmI(ctx context.Context, c gateway.Caller) (Me, error) {
	if c.Subject == "" {
		return Me{}, ErrNotClinician
	}
	standing, err := s.Accounts.Standing(ctx, c.Subject)
	if err != nil {
		return Me{}, err
	}
	me := Me{User: c.Subject, Username: c.Username, Practitioner: c.FHIRUser, Role: "provider", Standing: standing}
	st, err := s.Accounts.Get(ctx, c.Subject)
	switch {
	case err == nil:
		me.Role, me.Name, me.StaffRole, me.Email = "staff", st.Name, st.Role, st.Email
		me.Sponsor = &Sponsor{User: st.Sponsor, Practitioner: st.SponsorPractitioner}
		info, err := s.practitioner(ctx, st.SponsorPractitioner)
		me.Sponsor.Name = info.Name
		return me, err
	case !errors.Is(err, accounts.ErrNotFound):
		return Me{}, err
	}
	me.CanSponsor = c.PractitionerID() != "" && standing == accounts.Active
	info, err := s.practitioner(ctx, c.FHIRUser)
	me.Name, me.Email, me.Phone = cmp.Or(info.Name, c.Username), info.Email, info.Phone
	return me, err
}

func (s *Service) practitioner(ctx context.Context, ref string) (PractitionerInfo, error) {
	id, ok := strings.CutPrefix(ref, "Practitioner/")
	if !ok {
		return PractitionerInfo{}, nil
	}
	return s.EHR.Practitioner(ctx, id)
}

// MyGrants returns the families' grants to c, or to c's sponsor.
func (s *Service) MyGrants(ctx context.Context, c gateway.Caller) ([]grants.Grant, error) {
	to, err := s.grantee(ctx, c)
	if err != nil {
		return nil, err
	}
	ids, err := s.Grants.Patients(ctx, to)
	if err != nil {
		return nil, err
	}
	byPatient, err := s.Grants.ForClinician(ctx, to, ids)
	if err != nil {
		return nil, err
	}
	out := []grants.Grant{}
	for _, id := range ids {
		if g, ok := byPatient[id]; ok {
			out = append(out, g)
		}
	}
	return out, nil
}

// ErrNoStaffSetup is returned when a set-up link is asked for a staff member who set up their
// login already or whose account is not active.
var ErrNoStaffSetup = errors.New("sharing: no set-up link for this staff member")

// ResendSetup emails c's staff member id a new set-up link (the event
// "staff.setup_link.issue"), when they have not set up their login yet.
func (s *Service) ResendSetup(ctx context.Context, c gateway.Caller, id string) (accounts.Staff, error) {
	if err := s.canSponsor(ctx, c); err != nil {
		return accounts.Staff{}, err
	}
	st, err := s.Accounts.StaffOf(ctx, c.Subject, id)
	if err != nil {
		return accounts.Staff{}, err
	}
	set, err := s.Accounts.HasPassword(ctx, st.Email)
	if err != nil {
		return accounts.Staff{}, err
	}
	if set || st.Status != accounts.Active {
		return accounts.Staff{}, s.refused(ctx, byCaller("staff.setup_link.issue", c, st.ID), "already_set_up", ErrNoStaffSetup)
	}
	return st, s.sendSetupLink(ctx, c, st, cmp.Or(c.Username, "Your sponsoring provider"))
}

func (a *ClinicianAPI) me(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	me, err := a.Service.WhoAmI(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (a *ClinicianAPI) myGrants(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	gs, err := a.Service.MyGrants(r.Context(), c)
	if err != nil {
		return err
	}
	type granted struct {
		Patient string `json:"patient"`
		How     string `json:"how"`
		When    string `json:"when"`
	}
	out := []granted{}
	for _, g := range gs {
		out = append(out, granted{Patient: g.PatientID, How: g.How, When: g.When.UTC().Format("2006-01-02T15:04:05Z")})
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": out})
	return nil
}

// listRequests lists the caller's requests and their outcome with only what they gave: the
// label they searched with, never the patient id a lookup resolved.
func (a *ClinicianAPI) listRequests(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	rs, err := a.Service.Grants.RequestsBy(r.Context(), c.Subject)
	if err != nil {
		return err
	}
	type mine struct {
		ID        string  `json:"id"`
		Kind      string  `json:"kind"`
		Label     string  `json:"label"`
		Status    string  `json:"status"`
		CreatedAt string  `json:"created_at"`
		DecidedAt *string `json:"decided_at,omitempty"`
	}
	out := []mine{}
	for i := len(rs) - 1; i >= 0; i-- { // newest first
		q := rs[i]
		m := mine{ID: q.ID, Kind: q.Kind, Label: q.Label, Status: q.Status, CreatedAt: q.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
		if q.DecidedAt != nil {
			d := q.DecidedAt.UTC().Format("2006-01-02T15:04:05Z")
			m.DecidedAt = &d
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	return nil
}

func (a *ClinicianAPI) lookup(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var q LookupQuery
	if err := readJSON(w, r, &q); err != nil {
		return err
	}
	res, err := a.Service.Lookup(r.Context(), c, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (a *ClinicianAPI) resend(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	st, err := a.Service.ResendSetup(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
