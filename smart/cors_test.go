package smart

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, redistest.Embedded(t).Client)
	api := s.CORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	tests := []struct {
		name, method, path, origin string
		wantAllow                  string
		wantStatus                 int
	}{
		{"metadata, any origin", "GET", "/fhir/metadata", "https://evil.example", "*", http.StatusTeapot},
		{"registered origin", "GET", "/fhir/Patient/1", "https://app.example.org", "https://app.example.org", http.StatusTeapot},
		{"loopback app origin", "GET", "/fhir/Patient/1", "http://127.0.0.1:8765", "http://127.0.0.1:8765", http.StatusTeapot},
		{"unregistered origin", "GET", "/fhir/Patient/1", "https://evil.example", "", http.StatusTeapot},
		{"no origin", "GET", "/fhir/Patient/1", "", "", http.StatusTeapot},
		{"preflight, registered", "OPTIONS", "/fhir/Patient/1", "https://app.example.org", "https://app.example.org", http.StatusNoContent},
		{"preflight, unregistered", "OPTIONS", "/fhir/Patient/1", "https://evil.example", "", http.StatusNoContent},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if tt.method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "GET")
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantAllow || rec.Code != tt.wantStatus {
			t.Errorf("%s: allow %q status %d, want %q %d", tt.name, got, rec.Code, tt.wantAllow, tt.wantStatus)
		}
		if rec.Header().Get("Vary") != "Origin" {
			t.Errorf("%s: Vary %q", tt.name, rec.Header().Get("Vary"))
		}
	}
}
