package sharing

import (
	"net/http"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/web"
)

// InvalidInvitation is the one message for every token that cannot be redeemed.
const InvalidInvitation = "This token and MRN do not match a valid invitation. Check both and try again, or ask the family for a new invitation."

// ClinicianAPI is the clinicians' HTTP API under /api (JSON, bearer access token of a user):
//
//	POST /api/invitations/redeem          {token, mrn}            "Validate a Token"
//	POST /api/access-requests             {patient, kind, name, email, phone, practice, note}
//	GET  /api/access-requests/signup-instructions                 printable page for families
//	GET  /api/staff                        POST /api/staff {name, role, email}
//	POST /api/staff/{id}/suspend | /reinstate | /remove
type ClinicianAPI struct {
	Service *Service
	Authn   Authenticator
}

// Register adds the API's routes to mux.
func (a *ClinicianAPI) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/invitations/redeem", a.user(a.redeem))
	mux.HandleFunc("POST /api/access-requests", a.user(a.request))
	mux.HandleFunc("GET /api/access-requests/signup-instructions", func(w http.ResponseWriter, r *http.Request) {
		web.Write(w, http.StatusOK, signupPage, nil)
	})
	mux.HandleFunc("GET /api/staff", a.user(a.listStaff))
	mux.HandleFunc("POST /api/staff", a.user(a.createStaff))
	mux.HandleFunc("POST /api/staff/{id}/{action}", a.user(a.staffAction))
}

// user admits the bearer token of a signed-in user, not a backend service's, which stands for
// no user.
func (a *ClinicianAPI) user(h handler) http.HandlerFunc {
	return guard(a.Authn, a.Service.Logger, func(c gateway.Caller) error {
		if c.Subject == "" {
			return gateway.ErrInvalidToken
		}
		return nil
	}, h)
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
		Kind    string `json:"kind"`
		Contact
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	kind := map[string]string{"pcp": grants.KindPCP, "request-pcp-access": grants.KindPCP,
		"family": grants.KindFamily, "request-family-access": grants.KindFamily}[in.Kind]
	if kind == "" || in.Patient == "" || strings.TrimSpace(in.Name) == "" || !strings.Contains(in.Email, "@") {
		return refuse(errInvalidInput, "Give the patient, kind (pcp or family), your name and your email.")
	}
	req, portal, err := a.Service.RequestAccess(r.Context(), c, kind, in.Patient, in.Contact)
	if err != nil {
		return err
	}
	out := map[string]any{"request": req.ID, "status": req.Status}
	switch {
	case kind == grants.KindPCP:
		out["message"] = "Your request was sent to the MyPatients support team, who will check with the hospital and contact you."
	case portal:
		out["message"] = "The family was asked through the hospital's patient portal. You will get an email if they approve."
		out["portal_account"] = true
	default:
		out["message"] = "This family has no patient-portal account, so they cannot see your request yet. Print the sign-up instructions and give them to the family."
		out["portal_account"] = false
		out["signup_instructions"] = "/api/access-requests/signup-instructions"
	}
	writeJSON(w, http.StatusCreated, out)
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
