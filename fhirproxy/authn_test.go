package fhirproxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/mypatients/gateway"
)

// faultyAuthn cannot check any token: its store is down.
type faultyAuthn struct{}

func (faultyAuthn) Authenticate(context.Context, string) (gateway.Caller, error) {
	return gateway.Caller{}, errors.New("redis: connection refused")
}

// TestAuthenticationOutcomes tells a credential that must not be honoured (401, sign in again)
// from one that could not be checked (503, try again); both release nothing and are audited.
func TestAuthenticationOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		authn      Authenticator
		token      string
		wantStatus int
		wantReason string
	}{
		{"unknown token", testCallers, "tok-nobody", http.StatusUnauthorized, reasonInvalidToken},
		{"no token", testCallers, "", http.StatusUnauthorized, reasonUnauthenticated},
		{"token store down", faultyAuthn{}, "tok-pcp", http.StatusServiceUnavailable, reasonAuthnError},
		{"wrapped invalid token", stubWrapped{}, "tok-pcp", http.StatusUnauthorized, reasonInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *Options) { o.Authn = tt.authn })
			r := e.do(t, http.MethodGet, "/fhir/Patient/child-01", tt.token, nil)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			r.outcome(t)
			if n := len(e.up.requests()); n != 0 {
				t.Errorf("the upstream was called %d times", n)
			}
			recs := e.audit.records()
			if len(recs) != 1 || recs[0].Reason != tt.wantReason || recs[0].Status != tt.wantStatus {
				t.Errorf("audit = %+v, want one record with reason %s", recs, tt.wantReason)
			}
		})
	}
}

// stubWrapped refuses every token the way the SMART server does, with the sentinel wrapped.
type stubWrapped struct{}

func (stubWrapped) Authenticate(context.Context, string) (gateway.Caller, error) {
	return gateway.Caller{}, fmt.Errorf("smart: %w: signature", gateway.ErrInvalidToken)
}
