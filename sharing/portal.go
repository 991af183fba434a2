package sharing

import (
	"errors"
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
type PortalAPI struct {
	Service *Service
	Authn   Authenticator
	// Clients are the client ids registered as the patient portal.
	Clients []string
}

// Register adds the routes to mux.
func (a *PortalAPI) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/portal/patients/{patient}/access", a.portal(a.list))
	mux.HandleFunc("POST /api/portal/patients/{patient}/requests/{id}/{action}", a.portal(a.decide))
	mux.HandleFunc("POST /api/portal/patients/{patient}/invitations", a.portal(a.invite))
	mux.HandleFunc("POST /api/portal/patients/{patient}/grants/revoke", a.portal(a.revoke))
}

// portal admits only a backend-services token of a registered portal client with a system/
// scope.
func (a *PortalAPI) portal(h func(http.ResponseWriter, *http.Request, gateway.Caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == "" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			WriteError(w, http.StatusUnauthorized, "unauthenticated", "A backend-services access token is required.")
			return
		}
		c, err := a.Authn.Authenticate(r.Context(), bearer)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, "invalid_token", "The access token is not valid.")
			return
		}
		systemScope := slices.ContainsFunc(c.Scopes, func(s string) bool { return strings.HasPrefix(s, "system/") })
		if c.Subject != "" || !systemScope || !slices.Contains(a.Clients, c.ClientID) {
			WriteError(w, http.StatusForbidden, "not_patient_portal", "Only the patient portal, as a backend service, may use this PortalAPI.")
			return
		}
		h(w, r, c)
	}
}

func (a *PortalAPI) list(w http.ResponseWriter, r *http.Request, _ gateway.Caller) {
	ctx, id := r.Context(), r.PathValue("patient")
	current, err := a.Service.Grants.ForPatient(ctx, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	revoked, err := a.Service.Grants.Revoked(ctx, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	pending, err := a.Service.Grants.RequestsForPatient(ctx, id, grants.Pending)
	if err != nil {
		a.fail(w, err)
		return
	}
	// The support team handles PCP requests; the family sees only requests addressed to it.
	pending = slices.DeleteFunc(pending, func(q grants.Request) bool { return q.Kind != grants.KindFamily })
	WriteJSON(w, http.StatusOK, map[string]any{
		"patient": id, "grants": nonNil(current), "revoked": nonNil(revoked), "pending_requests": nonNil(pending)})
}

func (a *PortalAPI) decide(w http.ResponseWriter, r *http.Request, _ gateway.Caller) {
	approve := map[string]*bool{"approve": ptr(true), "deny": ptr(false)}[r.PathValue("action")]
	var in struct {
		By string `json:"by"`
	}
	if approve == nil {
		WriteError(w, http.StatusNotFound, "not_found", "Use approve or deny.")
		return
	}
	if !ReadJSON(w, r, &in) || !needBy(w, in.By) {
		return
	}
	req, err := a.Service.Decide(r.Context(), r.PathValue("patient"), r.PathValue("id"), *approve, in.By)
	switch {
	case errors.Is(err, grants.ErrNotFound):
		WriteError(w, http.StatusNotFound, "not_found", "This patient has no such request.")
	case errors.Is(err, grants.ErrDecided):
		WriteError(w, http.StatusConflict, "already_decided", "This request was already decided.")
	case err != nil:
		a.fail(w, err)
	default:
		WriteJSON(w, http.StatusOK, req)
	}
}

func (a *PortalAPI) invite(w http.ResponseWriter, r *http.Request, _ gateway.Caller) {
	var in struct {
		MRN   string `json:"mrn"`
		Email string `json:"email"`
		By    string `json:"by"`
	}
	if !ReadJSON(w, r, &in) || !needBy(w, in.By) {
		return
	}
	token, inv, err := a.Service.Invite(r.Context(), r.PathValue("patient"), in.MRN, in.Email, in.By)
	switch {
	case errors.Is(err, ErrNoSuchPatient):
		WriteError(w, http.StatusNotFound, "no_such_patient", "The hospital has no patient with this id and MRN.")
	case err != nil && token == "":
		a.fail(w, err)
	default:
		// The token is shown once, here, so that the portal can print it for the family to
		// hand over; the gateway keeps only its hash.
		WriteJSON(w, http.StatusCreated, map[string]any{
			"token": invite.Format(token), "mrn": inv.MRN, "expires_at": inv.ExpiresAt, "emailed": in.Email != "" && err == nil})
	}
}

func (a *PortalAPI) revoke(w http.ResponseWriter, r *http.Request, _ gateway.Caller) {
	var in struct {
		Clinician string `json:"clinician"`
		By        string `json:"by"`
	}
	if !ReadJSON(w, r, &in) || !needBy(w, in.By) {
		return
	}
	g, err := a.Service.Revoke(r.Context(), r.PathValue("patient"), in.Clinician, in.By)
	switch {
	case errors.Is(err, grants.ErrNotFound):
		WriteError(w, http.StatusNotFound, "not_found", "This patient has no grant to this clinician.")
	case err != nil:
		a.fail(w, err)
	default:
		WriteJSON(w, http.StatusOK, g)
	}
}

func needBy(w http.ResponseWriter, by string) bool {
	if strings.TrimSpace(by) == "" || len(by) > 200 {
		WriteError(w, http.StatusBadRequest, "invalid_request", `Say which portal user acted, in "by".`)
		return false
	}
	return true
}

func (a *PortalAPI) fail(w http.ResponseWriter, err error) {
	logger := a.Service.Logger
	if logger != nil {
		logger.Error("portal PortalAPI", "err", err)
	}
	WriteError(w, http.StatusServiceUnavailable, "unavailable", "This could not be done right now; try again later.")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ptr[T any](v T) *T { return &v }
