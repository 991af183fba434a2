package sharing

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// PortalAPI is the API the hospital's patient portal ("MyChildren's") calls to manage who may
// see a patient. The portal is a SMART Backend Services client of the gateway
// (client_credentials with private_key_jwt, system/ scopes): a token here stands for no user
// (empty Subject) and its client must be registered as a patient portal. The portal
// authenticates the patient or guardian itself and says who acted in "by"; the gateway records
// it. It serves:
//
//	GET  /api/portal/patients/{patient}/access                  grants, revoked grants, pending requests
//	POST /api/portal/patients/{patient}/requests/{id}/approve   {by}
//	POST /api/portal/patients/{patient}/requests/{id}/deny      {by}
//	POST /api/portal/patients/{patient}/invitations             {mrn, email, by}
//	POST /api/portal/patients/{patient}/grants/revoke           {clinician, by}
//	GET  /api/portal/patients/{patient}/views?from=&to=         who has viewed the record (views.go)
type PortalAPI struct {
	Service *Service
	Authn   Authenticator
	// Clients are the client ids registered as the patient portal.
	Clients []string
	// Audit is the audit trail the views are read from.
	Audit AuditTrail
}

// Register adds the routes to mux.
func (a *PortalAPI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/portal/patients/{patient}/access", a.portal(a.list))
	mux.HandleFunc("GET /api/portal/patients/{patient}/views", a.portal(a.views))
	mux.HandleFunc("POST /api/portal/patients/{patient}/requests/{id}/{action}", a.portal(a.decide))
	mux.HandleFunc("POST /api/portal/patients/{patient}/invitations", a.portal(a.invite))
	mux.HandleFunc("POST /api/portal/patients/{patient}/grants/revoke", a.portal(a.revoke))
}

// portal admits only a backend-services token of a registered portal client with a system/
// scope.
func (a *PortalAPI) portal(h handler) http.HandlerFunc {
	return guard(a.Authn, a.logger(), func(_ context.Context, c gateway.Caller) error {
		systemScope := slices.ContainsFunc(c.Scopes, func(s string) bool { return strings.HasPrefix(s, "system/") })
		if c.Subject != "" || !systemScope || !slices.Contains(a.Clients, c.ClientID) {
			return errNotPortal
		}
		return nil
	}, h)
}

func (a *PortalAPI) logger() *slog.Logger {
	if a.Service == nil {
		return nil
	}
	return a.Service.Logger
}

func (a *PortalAPI) list(w http.ResponseWriter, r *http.Request, _ gateway.Caller) error {
	ctx, id := r.Context(), r.PathValue("patient")
	current, err := a.Service.Grants.ForPatient(ctx, id)
	if err != nil {
		return err
	}
	revoked, err := a.Service.Grants.Revoked(ctx, id)
	if err != nil {
		return err
	}
	pending, err := a.Service.Grants.RequestsForPatient(ctx, id, grants.Pending)
	if err != nil {
		return err
	}
	// The support team handles PCP requests; the family sees only requests addressed to it.
	pending = slices.DeleteFunc(pending, func(q grants.Request) bool { return q.Kind != grants.KindFamily })
	writeJSON(w, http.StatusOK, map[string]any{
		"patient": id, "grants": nonNil(current), "revoked": nonNil(revoked), "pending_requests": nonNil(pending)})
	return nil
}

func (a *PortalAPI) decide(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	approve := map[string]*bool{"approve": ptr(true), "deny": ptr(false)}[r.PathValue("action")]
	var in struct {
		By string `json:"by"`
	}
	if approve == nil {
		return refuse(errUnknownAction, "Use approve or deny.")
	}
	if err := readBy(w, r, &in, &in.By); err != nil {
		return err
	}
	req, err := a.Service.Decide(r.Context(), PortalUser{Client: c.ClientID, By: in.By}, r.PathValue("patient"), r.PathValue("id"), *approve)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

func (a *PortalAPI) invite(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var in struct {
		MRN   string `json:"mrn"`
		Email string `json:"email"`
		By    string `json:"by"`
	}
	if err := readBy(w, r, &in, &in.By); err != nil {
		return err
	}
	if in.Email != "" {
		if err := emailField("email", in.Email); err != nil {
			return err
		}
	}
	token, inv, err := a.Service.Invite(r.Context(), PortalUser{Client: c.ClientID, By: in.By}, r.PathValue("patient"), in.MRN, in.Email)
	if token == "" {
		return err
	}
	// The token is shown once, here, so that the portal can print it for the family to hand
	// over; the gateway keeps only its hash. A mail that could not be queued is told by
	// "emailed": the invitation stands.
	writeJSON(w, http.StatusCreated, map[string]any{
		"token": invite.Format(token), "mrn": inv.MRN, "expires_at": inv.ExpiresAt, "emailed": in.Email != "" && err == nil})
	return nil
}

func (a *PortalAPI) revoke(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	var in struct {
		Clinician string `json:"clinician"`
		By        string `json:"by"`
	}
	if err := readBy(w, r, &in, &in.By); err != nil {
		return err
	}
	g, err := a.Service.Revoke(r.Context(), PortalUser{Client: c.ClientID, By: in.By}, r.PathValue("patient"), in.Clinician)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// readBy reads the body into v and requires *by, the portal user who acted.
func readBy(w http.ResponseWriter, r *http.Request, v any, by *string) error {
	if err := readJSON(w, r, v); err != nil {
		return err
	}
	if textField("by", *by, 200, true, false) != nil {
		return refuse(errInvalidInput, `Say which portal user acted, in "by".`)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ptr[T any](v T) *T { return &v }
