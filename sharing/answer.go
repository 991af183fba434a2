package sharing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// Authenticator verifies a gateway access token (smart.Tokens): gateway.Authenticator.
type Authenticator = gateway.Authenticator

// Refusals the handlers find themselves, before the service is asked. A refusal made with
// refuse carries its message for the caller.
var (
	errInvalidInput  = errors.New("invalid input")
	errUnknownAction = errors.New("unknown action")
	errNotPortal     = errors.New("sharing: not the patient portal")
	// errTooManyRequests: a clinician's access requests are over their limit.
	errTooManyRequests = errors.New("sharing: too many access requests")
)

// scopeError is a token without the scope its route needs.
type scopeError struct{ need string }

func (e scopeError) Error() string { return "sharing: the token lacks scope " + e.need }
func (e scopeError) Unwrap() error { return gateway.ErrInsufficientScope }

// refusal is an error whose message is written for the caller as it is.
type refusal struct {
	kind    error
	message string
}

func (r refusal) Error() string { return r.kind.Error() + ": " + r.message }
func (r refusal) Unwrap() error { return r.kind }

func refuse(kind error, message string) error { return refusal{kind: kind, message: message} }

// answers is every refusal of the clinicians' and the patient portal's APIs with its one
// answer; the first entry the error matches wins. An empty message takes the refusal's own.
var answers = []struct {
	err           error
	status        int
	code, message string
}{
	{gateway.ErrNoToken, http.StatusUnauthorized, "unauthenticated", "A bearer access token is required."},
	{gateway.ErrInvalidToken, http.StatusUnauthorized, "invalid_token", "The access token is not valid; sign in again."},
	{gateway.ErrInsufficientScope, http.StatusForbidden, "insufficient_scope", "This app was not granted the permission this action needs; use the MyPatients portal."},
	{accounts.ErrInactive, http.StatusForbidden, "account_inactive", "Your account is suspended or removed, so it cannot do this. Contact the MyPatients support team."},
	{errNotPortal, http.StatusForbidden, "not_patient_portal", "Only the patient portal, as a backend service, may use this API."},
	{errInvalidInput, http.StatusBadRequest, "invalid_request", ""},
	{errUnknownAction, http.StatusNotFound, "not_found", ""},
	{ErrInvalidPatientID, http.StatusBadRequest, "invalid_request", "A patient id is 1 to 64 letters, digits, '-' and '.'."},
	{invite.ErrInvalid, http.StatusBadRequest, "invalid_invitation", InvalidInvitation},
	{invite.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "Too many attempts. Try again in an hour."},
	{invite.ErrSlowed, http.StatusTooManyRequests, "slow_down", "This MRN had many wrong attempts. Wait a minute, then try again."},
	{errTooManyRequests, http.StatusTooManyRequests, "rate_limited", "You filed many access requests recently. Try again later."},
	{accounts.ErrRemovedFinal, http.StatusConflict, "removed", "This staff account was removed, and removal is final. Create a new account if needed."},
	{ErrNoSponsorship, http.StatusForbidden, "no_sponsorship", "Only providers can sponsor staff; staff cannot sponsor."},
	{accounts.ErrStaffOnly, http.StatusForbidden, "no_sponsorship", "Only providers can sponsor staff; staff cannot sponsor."},
	{accounts.ErrNotFound, http.StatusNotFound, "not_found", "You have no staff account with this id."},
	{accounts.ErrNotYours, http.StatusNotFound, "not_found", "You have no staff account with this id."},
	{ErrNoSuchRequest, http.StatusNotFound, "not_found", "This patient has no such request."},
	{ErrNoSuchGrant, http.StatusNotFound, "not_found", "This patient has no grant to this clinician."},
	{grants.ErrDecided, http.StatusConflict, "already_decided", "This request was already decided."},
	{ErrNoSuchPatient, http.StatusNotFound, "no_such_patient", "The hospital has no patient with this id and MRN."},
	{ErrLookupLimited, http.StatusTooManyRequests, "rate_limited", "Too many patient lookups. Try again in an hour."},
	{ErrNoSuchLookup, http.StatusNotFound, "not_found", "This lookup has expired or is not yours; search for the patient again."},
	{ErrNoStaffSetup, http.StatusConflict, "already_set_up", "This staff member has already set up their login, or their account is not active."},
}

// writeError answers err: the refusal's own answer, or for anything else (a store or the EHR
// down, a token that could not be checked) 503, logged, with nothing of the cause.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	for _, a := range answers {
		if !errors.Is(err, a.err) {
			continue
		}
		msg := a.message
		if ref, ok := errors.AsType[refusal](err); ok && msg == "" {
			msg = ref.message
		}
		challenge(w.Header(), a.err, err)
		if a.status == http.StatusTooManyRequests {
			retry := time.Hour
			if l, ok := errors.AsType[limits.LimitedError](err); ok {
				retry = l.RetryAfter
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
		}
		writeJSON(w, a.status, map[string]string{"error": a.code, "message": msg})
		return
	}
	logger(log).ErrorContext(r.Context(), "sharing API", "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable", "message": "This could not be done right now. Try again later."})
}

// challenge sets the RFC 6750 §3 WWW-Authenticate of the refusals about the token.
func challenge(h http.Header, kind, err error) {
	switch kind {
	case gateway.ErrNoToken:
		h.Set("WWW-Authenticate", "Bearer")
	case gateway.ErrInvalidToken:
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case gateway.ErrInsufficientScope:
		if se, ok := errors.AsType[scopeError](err); ok {
			h.Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+se.need+`"`)
		}
	}
}

// handler serves one route of the APIs for an admitted caller; its error is answered by
// writeError.
type handler func(http.ResponseWriter, *http.Request, gateway.Caller) error

// guard authenticates each request (gateway.Authenticate: the Authorization header only),
// lets admit refuse its caller, runs h, and answers any error on the way with writeError: no
// token, an invalid one, one that could not be checked, a caller this API or route does not
// admit, or h's own.
func guard(authn Authenticator, log *slog.Logger, admit func(context.Context, gateway.Caller) error, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := gateway.Authenticate(r.Context(), authn, r.Header)
		if err == nil {
			err = admit(r.Context(), c)
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			writeError(w, r, log, err)
		}
	}
}

// readJSON decodes a small JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(errInvalidInput, fmt.Sprintf("The body must be a JSON object with the documented fields (%v).", err))
	}
	return nil
}

// writeJSON writes v with status, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
