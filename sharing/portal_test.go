package sharing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mypatients/gateway"
)

// tokens stands in for the SMART server's token check: each bearer string is a caller, and
// "down" is a token store that cannot answer. The real check runs end to end in
// test/grants_test.go.
type tokens map[string]gateway.Caller

func (t tokens) Authenticate(_ context.Context, bearer string) (gateway.Caller, error) {
	if bearer == "down" {
		return gateway.Caller{}, errors.New("redis: connection refused")
	}
	c, ok := t[bearer]
	if !ok {
		return gateway.Caller{}, fmt.Errorf("%w: unknown token", gateway.ErrInvalidToken)
	}
	return c, nil
}

// TestOnlyThePortalGetsIn: the portal PortalAPI admits a backend token (no user) of a registered
// portal client with a system/ scope, and nothing else.
func TestOnlyThePortalGetsIn(t *testing.T) {
	t.Parallel()
	authn := tokens{
		"portal":        {ClientID: "patient-portal", Scopes: []string{"system/Patient.rs"}},
		"portal-user":   {Subject: "accounts:u-pcp", ClientID: "patient-portal", Scopes: []string{"system/Patient.rs"}},
		"other-backend": {ClientID: "analytics", Scopes: []string{"system/Patient.rs"}},
		"no-system":     {ClientID: "patient-portal", Scopes: []string{"user/Patient.rs"}},
	}
	api := &PortalAPI{Authn: authn, Clients: []string{"patient-portal"}}
	reached := false
	h := api.portal(func(w http.ResponseWriter, _ *http.Request, _ gateway.Caller) error {
		reached = true
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	for _, tc := range []struct {
		bearer string
		want   int
	}{
		{"portal", http.StatusNoContent},
		{"", http.StatusUnauthorized},
		{"forged", http.StatusUnauthorized},
		{"down", http.StatusServiceUnavailable},
		{"portal-user", http.StatusForbidden},
		{"other-backend", http.StatusForbidden},
		{"no-system", http.StatusForbidden},
	} {
		reached = false
		r := httptest.NewRequest(http.MethodGet, "/api/portal/patients/child-20/access", nil)
		if tc.bearer != "" {
			r.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		w := httptest.NewRecorder()
		h(w, r)
		if w.Code != tc.want || reached != (tc.want == http.StatusNoContent) {
			t.Errorf("bearer %q: %d (handler reached: %v), want %d", tc.bearer, w.Code, reached, tc.want)
		}
	}
}
