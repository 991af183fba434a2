package sharing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// Authenticator verifies a gateway access token; the SMART server is the real one.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (gateway.Caller, error)
}

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
	Logger  *slog.Logger
}

// Register adds the API's routes to mux.
func (a *ClinicianAPI) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/invitations/redeem", a.user(a.redeem))
	mux.HandleFunc("POST /api/access-requests", a.user(a.request))
	mux.HandleFunc("GET /api/access-requests/signup-instructions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(SignupInstructions))
	})
	mux.HandleFunc("GET /api/staff", a.user(a.listStaff))
	mux.HandleFunc("POST /api/staff", a.user(a.createStaff))
	mux.HandleFunc("POST /api/staff/{id}/{action}", a.user(a.staffAction))
}

// user authenticates the bearer token of a signed-in user (not a backend service).
func (a *ClinicianAPI) user(h func(http.ResponseWriter, *http.Request, gateway.Caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == "" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			WriteError(w, http.StatusUnauthorized, "unauthenticated", "Sign in first.")
			return
		}
		c, err := a.Authn.Authenticate(r.Context(), bearer)
		if err != nil || c.Subject == "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, "invalid_token", "Your sign-in is not valid; sign in again.")
			return
		}
		h(w, r, c)
	}
}

func (a *ClinicianAPI) redeem(w http.ResponseWriter, r *http.Request, c gateway.Caller) {
	var in struct{ Token, MRN string }
	if !ReadJSON(w, r, &in) {
		return
	}
	g, err := a.Service.Redeem(r.Context(), c, in.Token, strings.TrimSpace(in.MRN))
	switch {
	case errors.Is(err, invite.ErrInvalid):
		WriteError(w, http.StatusBadRequest, "invalid_invitation", InvalidInvitation)
	case errors.Is(err, invite.ErrRateLimited):
		w.Header().Set("Retry-After", "3600")
		WriteError(w, http.StatusTooManyRequests, "rate_limited", "Too many attempts. Try again in an hour.")
	case err != nil:
		a.fail(w, r, err)
	default:
		msg := "Access granted: you can now see this patient's records."
		if g.Clinician != c.Subject {
			msg = "Access granted to your sponsoring provider; you see this patient's records through them."
		}
		WriteJSON(w, http.StatusOK, map[string]any{"granted": true, "patient": g.PatientID, "clinician": g.Clinician, "message": msg})
	}
}

func (a *ClinicianAPI) request(w http.ResponseWriter, r *http.Request, c gateway.Caller) {
	var in struct {
		Patient string `json:"patient"`
		Kind    string `json:"kind"`
		Contact
	}
	if !ReadJSON(w, r, &in) {
		return
	}
	kind := map[string]string{"pcp": grants.KindPCP, "request-pcp-access": grants.KindPCP,
		"family": grants.KindFamily, "request-family-access": grants.KindFamily}[in.Kind]
	if kind == "" || in.Patient == "" || strings.TrimSpace(in.Name) == "" || !strings.Contains(in.Email, "@") {
		WriteError(w, http.StatusBadRequest, "invalid_request", "Give the patient, kind (pcp or family), your name and your email.")
		return
	}
	req, portal, err := a.Service.RequestAccess(r.Context(), c, kind, in.Patient, in.Contact)
	switch {
	case errors.Is(err, ErrNoSuchPatient):
		WriteError(w, http.StatusBadRequest, "invalid_request", "A patient id is 1 to 64 letters, digits, '-' and '.'.")
		return
	case err != nil:
		a.fail(w, r, err)
		return
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
	WriteJSON(w, http.StatusCreated, out)
}

func (a *ClinicianAPI) listStaff(w http.ResponseWriter, r *http.Request, c gateway.Caller) {
	list, err := a.Service.ListStaff(r.Context(), c)
	if a.staffError(w, r, err) {
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"staff": list})
}

func (a *ClinicianAPI) createStaff(w http.ResponseWriter, r *http.Request, c gateway.Caller) {
	var in NewStaff
	if !ReadJSON(w, r, &in) {
		return
	}
	st, err := a.Service.CreateStaff(r.Context(), c, in)
	if a.staffError(w, r, err) {
		return
	}
	WriteJSON(w, http.StatusCreated, st)
}

func (a *ClinicianAPI) staffAction(w http.ResponseWriter, r *http.Request, c gateway.Caller) {
	status := map[string]string{"suspend": accounts.Suspended, "reinstate": accounts.Active, "remove": accounts.Removed}[r.PathValue("action")]
	if status == "" {
		WriteError(w, http.StatusNotFound, "not_found", "Unknown action: use suspend, reinstate or remove.")
		return
	}
	st, err := a.Service.SetStaffStatus(r.Context(), c, r.PathValue("id"), status)
	if a.staffError(w, r, err) {
		return
	}
	WriteJSON(w, http.StatusOK, st)
}

// staffError answers err, if any, and reports whether it did.
func (a *ClinicianAPI) staffError(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrNoSponsorship), errors.Is(err, accounts.ErrStaffOnly):
		WriteError(w, http.StatusForbidden, "no_sponsorship", "Only providers can sponsor staff; staff cannot sponsor.")
	case errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrNotYours):
		WriteError(w, http.StatusNotFound, "not_found", "You have no staff account with this id.")
	case errors.Is(err, errInvalidInput):
		WriteError(w, http.StatusBadRequest, "invalid_request", strings.TrimPrefix(err.Error(), errInvalidInput.Error()+": "))
	default:
		a.fail(w, r, err)
	}
	return true
}

func (a *ClinicianAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	logger(a.Logger).ErrorContext(r.Context(), "access API", "path", r.URL.Path, "err", err)
	WriteError(w, http.StatusServiceUnavailable, "unavailable", "This could not be done right now. Try again later.")
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// ReadJSON decodes a small JSON body into v, answering 400 itself when it cannot.
func ReadJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		WriteError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("The body must be a JSON object with the documented fields (%v).", err))
		return false
	}
	return true
}

// WriteJSON writes v with status, never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes {"error": code, "message": message}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, map[string]string{"error": code, "message": message})
}
