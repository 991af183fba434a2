package upstream

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestBackendToken discovers the token endpoint, checks each assertion, reuses the token
// until the EHR refuses it, then gets a new one and retries the request once.
func TestBackendToken(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var issued, fhirHits atomic.Int32
	var valid atomic.Value
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"token_endpoint":%q}`, srv.URL+"/token")
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		tok, err := jwt.ParseSigned(r.FormValue("client_assertion"), []jose.SignatureAlgorithm{jose.RS384})
		var claims jwt.Claims
		if err == nil {
			err = tok.Claims(key.Public(), &claims)
		}
		if err != nil || claims.Issuer != "gw" || claims.Subject != "gw" || !claims.Audience.Contains(srv.URL+"/token") ||
			claims.ID == "" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "system/*.rs" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		n := issued.Add(1)
		valid.Store(fmt.Sprintf("token-%d", n))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": valid.Load(), "token_type": "bearer", "expires_in": 300})
	})
	mux.HandleFunc("GET /fhir/Patient/x", func(w http.ResponseWriter, r *http.Request) {
		fhirHits.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+valid.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"resourceType":"Patient","id":"x"}`)
	})
	c, err := New(Options{BaseURL: srv.URL + "/fhir", Backend: &Backend{ClientID: "gw", Key: key, Scope: "system/*.rs"}})
	if err != nil {
		t.Fatal(err)
	}
	read := func() error {
		var p map[string]any
		return c.GetJSON(context.Background(), "Patient/x", nil, &p)
	}
	for range 3 {
		if err := read(); err != nil {
			t.Fatal(err)
		}
	}
	if issued.Load() != 1 || fhirHits.Load() != 3 {
		t.Errorf("3 reads: %d tokens, %d EHR requests; want 1 token reused", issued.Load(), fhirHits.Load())
	}
	valid.Store("revoked-at-the-ehr")
	if err := read(); err != nil {
		t.Fatalf("read after the EHR refused the token: %v", err)
	}
	if issued.Load() != 2 || fhirHits.Load() != 5 {
		t.Errorf("after a 401: %d tokens, %d EHR requests; want a new token and one retry", issued.Load(), fhirHits.Load())
	}
}
