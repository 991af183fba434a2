package smart

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// capabilities are the SMART capabilities the server really supports (conformance.md
// §Capabilities); each is exercised by a test in test/smart_checklist_test.go.
// permission-online is not claimed: online_access is never granted.
var capabilities = []string{
	"launch-ehr", "launch-standalone", "authorize-post",
	"client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
	"sso-openid-connect",
	"context-ehr-patient", "context-ehr-encounter", "context-standalone-patient",
	"context-banner", "context-style",
	"permission-offline", "permission-patient", "permission-user", "permission-v1", "permission-v2",
}

// scopesSupported lists scopes the server grants; resource scopes are examples of the
// grammar it accepts (any type, v1 or v2, read permissions only).
var scopesSupported = []string{
	"openid", "fhirUser", "launch", "launch/patient", "offline_access",
	"patient/*.rs", "patient/*.read", "user/*.rs", "user/*.read", "system/*.rs", "system/*.read",
}

// handleSMARTConfiguration serves the SMART discovery document (SMART App Launch 2.2,
// conformance.md §"Using .well-known"). It lists only what the server really supports.
func (s *Server) handleSMARTConfiguration(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL
	doc := map[string]any{
		"issuer":                                           base,
		"jwks_uri":                                         base + "/.well-known/jwks.json",
		"authorization_endpoint":                           base + "/oauth/authorize",
		"token_endpoint":                                   s.tokenEndpoint(),
		"introspection_endpoint":                           base + "/oauth/introspect",
		"revocation_endpoint":                              base + "/oauth/revoke",
		"grant_types_supported":                            []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials},
		"response_types_supported":                         []string{"code"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            []string{"none", "client_secret_basic", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384"},
		"scopes_supported":                                 scopesSupported,
		"capabilities":                                     capabilities,
	}
	publicJSON(w, doc)
}

// handleOpenIDConfiguration is OpenID Connect Discovery 1.0 §3 for the gateway as the issuer
// of id_tokens (SMART scopes-and-launch-context.md §sso-openid-connect).
func (s *Server) handleOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL
	publicJSON(w, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/oauth/authorize",
		"token_endpoint":                        s.tokenEndpoint(),
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"introspection_endpoint":                base + "/oauth/introspect",
		"revocation_endpoint":                   base + "/oauth/revoke",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "fhirUser"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "fhirUser", "preferred_username"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic", "private_key_jwt"},
	})
}

// handleJWKS publishes the public key that verifies the gateway's access and id tokens.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	publicJSON(w, s.signer.jwks())
}

// styleSheet is the smart_style_url document (scopes-and-launch-context.md §"Styling"); its
// URL carries a hash of the content, so the URL changes whenever the content does.
type styleSheet struct {
	body []byte
	hash string
}

func newStyleSheet() styleSheet {
	body, _ := json.Marshal(map[string]any{
		"color_background": "#ffffff", "color_error": "#b42318", "color_highlight": "#0b3d91",
		"color_modal_backdrop": "", "color_success": "#1a7f37", "color_text": "#1b1f24",
		"dim_border_radius": "6px", "dim_font_size": "16px", "dim_spacing_size": "16px",
		"font_family_body": "system-ui, sans-serif", "font_family_heading": "system-ui, sans-serif",
	})
	sum := sha256.Sum256(body)
	return styleSheet{body: body, hash: hex.EncodeToString(sum[:8])}
}

func (st styleSheet) url(base string) string { return base + "/smart/style/" + st.hash + ".json" }

func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("file") != s.style.hash+".json" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.style.body)
}

// publicJSON writes public metadata: any origin may read it (app-launch.md §CORS).
func publicJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
