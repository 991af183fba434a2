package smart

import (
	"encoding/json"
	"net/http"
)

// handleSMARTConfiguration serves the SMART discovery document (SMART App Launch 2.2,
// conformance.md). It lists only what the server really supports today.
func (s *Server) handleSMARTConfiguration(w http.ResponseWriter, r *http.Request) {
	base := s.opts.BaseURL
	doc := map[string]any{
		"issuer":                                base,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"authorization_endpoint":                base + "/oauth/authorize",
		"token_endpoint":                        base + "/oauth/token",
		"grant_types_supported":                 []string{"authorization_code"},
		"response_types_supported":              []string{"code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic"},
		"scopes_supported":                      []string{"user/*.read", "user/*.rs", "user/Patient.rs", "user/Encounter.rs", "user/Observation.rs", "user/MedicationRequest.rs"},
		"capabilities": []string{
			"launch-standalone", "client-public", "client-confidential-symmetric",
			"permission-user", "permission-v1", "permission-v2", "authorize-post",
		},
	}
	// Discovery is public metadata: any origin may read it (SMART App Launch §CORS).
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, doc)
}

// handleJWKS publishes the public key that verifies the gateway's access tokens.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, s.tokens.jwks())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
