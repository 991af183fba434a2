package sharing

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/web"
)

// InvalidInvitation is the one message for every token that cannot be redeemed.
const InvalidInvitation = "This token and MRN do not match a valid invitation. Check both and try again, or ask the family for a new invitation."

// ClinicianAPI is the clinicians' HTTP API under /api (JSON, bearer access token of a user).
// Each route needs a first-party scope of its own, and its caller's account must be in good
// standing:
//
//	POST /api/invitations/redeem          {token, mrn}            mypatients/access.manage
//	POST /api/access-requests             {patient, kind, name, email, phone, practice, note}
//	GET  /api/access-requests             the caller's own requests  mypatients/access.manage
//	GET  /api/me, GET /api/grants, POST /api/patients/lookup         mypatients/access.manage (mine.go)
//	POST /api/staff/{id}/resend                                     mypatients/staff.manage
//	GET  /api/access-requests/signup-instructions                 (anyone) printable page for families
//	GET  /api/staff                        POST /api/staff {name, role, email}
type ClinicianAPI struct {
	Service *Service
	Authn   Authenticator
}

// Register adds the API's routes to mux.
func (a *ClinicianAPI) Register(mux *http.ServeMux) {
	a.Handle(mux, "POST /api/invitations/redeem", gateway.ScopeAccessManage, a.redeem)
	a.Handle(mux, "POST /api/access-requests", gateway.ScopeAccessManage, a.request)
	a.Handle(mux, "GET /api/access-requests", gateway.ScopeAccessManage, a.listRequests)
	mux.HandleFunc("GET /api/access-requests/signup-instructions", func(w http.ResponseWriter, r *http.Request) {
		web.Write(w, http.StatusOK, signupPage, nil)
	})
	a.Handle(mux, "GET /api/me", gateway.ScopeAccessManage, a.me)
	a.Handle(mux, "GET /api/grants", gateway.ScopeAccessManage, a.myGrants)
	a.Handle(mux, "POST /api/patients/lookup", gateway.ScopeAccessManage, a.lookup)
	a.Handle(mux, "POST /api/staff/{id}/resend", gateway.ScopeStaffManage, a.resend)
	a.Handle(mux, "GET /api/staff", gateway.ScopeStaffManage, a.listStaff)
	a.Handle(mux, "POST /api/staff", gateway.ScopeStaffManage, a.createStaff)
	a.Handle(mux, "POST /api/staff/{id}/{action}", gateway.ScopeStaffManage, a.staffAction)
}

// Handle adds one route of the clinicians' API: h is reached only by the bearer token of a
// signed-in user that was granted scope (403 insufficient_scope otherwise) and whose account
// is in good standing (403 account_inactive). Every route of /api is added through it. A valid
// token refused so (an app without the scope, a suspended or removed account) is an audit
// record, api.refused, as a refused FHIR read is.
func (a *ClinicianAPI) Handle(mux *http.ServeMux, pattern, scope string, h handler) {
	mux.HandleFunc(pattern, guard(a.Authn, a.Service.Logger, func(ctx context.Context, c gateway.Caller) error {
		if c.Subject == "" {
			return gateway.ErrInvalidToken // a backend service's token stands for no user
		}
		refused := audit.Action{Event: "api.refused", Actor: c.Subject, Sponsor: c.Sponsor, Client: c.ClientID, Note: pattern}
		if !c.HasScope(scope) {
			return a.Service.refused(ctx, refused, "insufficient_scope", scopeError{need: scope})
		}
		err := a.Service.Accounts.CheckStanding(ctx, c.Subject)
		var se accounts.StandingError
		if !errors.As(err, &se) {
			return err // nil, or a fault: nothing was refused
		}
		return a.Service.refused(ctx, refused, se.Reason, err)
	}, h))
}

func (a *ClinicianAPI) redeem(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var in struct{ Token, MRN string }
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	g, err := a.Service.Redeem(r.Context(), c, in.Token, strings.TrimSpace(in.MRN))
	if err != nil {
		return err
	}
	msg := "Access granted: you can now see this patient's records."
	if g.Clinician != c.Subject {
		msg = "Access granted to your sponsoring provider; you see this patient's records through them."
	}
	writeJSON(w, http.StatusOK, map[string]any{"granted": true, "patient": g.PatientID, "clinician": g.Clinician, "message": msg})
	return nil
}

func (a *ClinicianAPI) request(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var in struct {
		Patient string `json:"patient"`
		// Lookup is the request_ref of an exact-match lookup, in place of the patient's id.
		Lookup string `json:"lookup"`
		Kind   string `json:"kind"`
		Contact
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	kind := map[string]string{"pcp": grants.KindPCP, "request-pcp-access": grants.KindPCP,
		"family": grants.KindFamily, "request-family-access": grants.KindFamily}[in.Kind]
	if kind == "" || (in.Patient == "") == (in.Lookup == "") {
		return refuse(errInvalidInput, "Give the patient (or a lookup's request_ref), kind (pcp or family), your name and your email.")
	}
	if err := in.Contact.validate(); err != nil {
		return err
	}
	patient, label := in.Patient, ""
	if in.Lookup != "" {
		found, err := a.Service.Grants.Lookup(r.Context(), c.Subject, in.Lookup)
		if errors.Is(err, grants.ErrNotFound) {
			return ErrNoSuchLookup
		}
		if err != nil {
			return err
		}
		patient, label = found.PatientID, found.Label
	}
	req, created, err := a.Service.RequestAccess(r.Context(), c, kind, patient, label, in.Contact)
	if err != nil {
		return err
	}
	// The answer is the same for every patient id, existing or not, with a portal account or
	// without: a request must not tell a clinician which patients the hospital has.
	out := map[string]any{"request": req.ID, "status": req.Status}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
		out["duplicate"] = true
	}
	switch kind {
	case grants.KindPCP:
		out["message"] = "Your request was sent to the MyPatients support team, who will check with the hospital and contact you."
	default:
		out["message"] = "Your request was recorded. If the family uses the hospital's patient portal, they see it there and you get an email when they approve; if they do not, print the sign-up instructions and give them to the family."
		out["signup_instructions"] = "/api/access-requests/signup-instructions"
	}
	writeJSON(w, status, out)
	return nil
}

func (a *ClinicianAPI) listStaff(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	list, err := a.Service.ListStaff(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": list})
	return nil
}

func (a *ClinicianAPI) createStaff(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var in NewStaff
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	st, err := a.Service.CreateStaff(r.Context(), c, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (a *ClinicianAPI) staffAction(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	status := map[string]string{"suspend": accounts.Suspended, "reinstate": accounts.Active, "remove": accounts.Removed}[r.PathValue("action")]
	if status == "" {
		return refuse(errUnknownAction, "Unknown action: use suspend, reinstate or remove.")
	}
	st, err := a.Service.SetStaffStatus(r.Context(), c, r.PathValue("id"), status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
