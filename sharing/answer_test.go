package sharing

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/sharing/invite"
)

// TestOneAnswerPerFailure: the clinicians' and the portal's API answer a missing, malformed,
// invalid or uncheckable bearer token alike: 401 with a Bearer challenge, or 503.
func TestOneAnswerPerFailure(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	svc := &Service{Logger: slog.New(slog.DiscardHandler)}
	(&ClinicianAPI{Service: svc, Authn: tokens{}}).Register(mux)
	(&PortalAPI{Service: svc, Authn: tokens{}, Clients: []string{"patient-portal"}}).Register(mux)
	for _, tc := range []struct {
		name      string
		auth      []string
		status    int
		code      string
		challenge string
	}{
		{"no token", nil, http.StatusUnauthorized, "unauthenticated", "Bearer"},
		{"two tokens", []string{"Bearer a", "Bearer b"}, http.StatusUnauthorized, "unauthenticated", "Bearer"},
		{"not bearer", []string{"Basic YTpi"}, http.StatusUnauthorized, "unauthenticated", "Bearer"},
		{"forged", []string{"Bearer forged"}, http.StatusUnauthorized, "invalid_token", `Bearer error="invalid_token"`},
		{"store down", []string{"bearer down"}, http.StatusServiceUnavailable, "unavailable", ""},
	} {
		var bodies []string
		for _, path := range []string{"/api/staff", "/api/portal/patients/child-20/access"} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Header["Authorization"] = tc.auth
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			var body map[string]string
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != tc.status || body["error"] != tc.code || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Errorf("%s at %s: %d %v %q; want %d %s %q", tc.name, path, w.Code, body, w.Header().Get("WWW-Authenticate"), tc.status, tc.code, tc.challenge)
			}
			bodies = append(bodies, w.Body.String())
		}
		if bodies[0] != bodies[1] {
			t.Errorf("%s: the two APIs answer differently: %s / %s", tc.name, bodies[0], bodies[1])
		}
	}
}

// TestAnswers: each refusal, however wrapped, gets its status, code and message; a refusal
// made by a handler keeps its own message; anything else is a 503 that tells nothing.
func TestAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{fmt.Errorf("redeem: %w", invite.ErrInvalid), http.StatusBadRequest, "invalid_invitation", InvalidInvitation},
		{invite.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "Too many attempts. Try again in an hour."},
		{fmt.Errorf("%w: %w", ErrNoSuchRequest, grants.ErrNotFound), http.StatusNotFound, "not_found", "This patient has no such request."},
		{fmt.Errorf("%w: %w", ErrNoSuchGrant, grants.ErrNotFound), http.StatusNotFound, "not_found", "This patient has no grant to this clinician."},
		{grants.ErrDecided, http.StatusConflict, "already_decided", "This request was already decided."},
		{ErrNoSuchPatient, http.StatusNotFound, "no_such_patient", "The hospital has no patient with this id and MRN."},
		{ErrInvalidPatientID, http.StatusBadRequest, "invalid_request", "A patient id is 1 to 64 letters, digits, '-' and '.'."},
		{refuse(errInvalidInput, "Say who."), http.StatusBadRequest, "invalid_request", "Say who."},
		{refuse(errUnknownAction, "Use approve or deny."), http.StatusNotFound, "not_found", "Use approve or deny."},
		{errNotPortal, http.StatusForbidden, "not_patient_portal", "Only the patient portal, as a backend service, may use this API."},
		{grants.ErrNotFound, http.StatusServiceUnavailable, "unavailable", "This could not be done right now. Try again later."},
		{errors.New("redis: i/o timeout"), http.StatusServiceUnavailable, "unavailable", "This could not be done right now. Try again later."},
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest(http.MethodGet, "/api/x", nil), slog.New(slog.DiscardHandler), tc.err)
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != tc.status || body["error"] != tc.code || body["message"] != tc.message {
			t.Errorf("%v: %d %v; want %d %s %q", tc.err, w.Code, body, tc.status, tc.code, tc.message)
		}
	}
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest(http.MethodGet, "/api/x", nil), nil, invite.ErrRateLimited)
	if w.Header().Get("Retry-After") != "3601" {
		t.Errorf("rate limited without Retry-After: %v", w.Header())
	}
	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest(http.MethodGet, "/api/x", nil), nil, fmt.Errorf("%w: %w", invite.ErrSlowed, limits.LimitedError{RetryAfter: 42 * time.Second}))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "43" {
		t.Errorf("slowed: %d %v", w.Code, w.Header())
	}
	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest(http.MethodGet, "/api/x", nil), nil, scopeError{need: "mypatients/staff.manage"})
	if w.Code != http.StatusForbidden || w.Header().Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="mypatients/staff.manage"` {
		t.Errorf("insufficient scope: %d %v %s", w.Code, w.Header(), w.Body)
	}
}
