package smart

import (
	"net/http"
	"strings"
)

// CORS (SMART app-launch.md §"CORS", RFC 9700 §2.6): discovery and metadata are readable from
// any origin; the token, introspection, revocation and FHIR endpoints only from the origins
// of registered apps' redirect URIs; the authorize endpoint has none, since it is navigated
// to, never fetched.

// CORS wraps the FHIR API handler: /fhir/metadata and /fhir/.well-known for any origin,
// everything else for registered origins. Preflights are answered here.
func (s *Server) CORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		public := r.URL.Path == "/fhir/metadata" || strings.HasPrefix(r.URL.Path, "/fhir/.well-known/")
		if s.setCORS(w, r, public, "GET, POST, OPTIONS") && r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.WriteHeader(http.StatusNoContent) // a preflight from an unknown origin: no grant
			return
		}
		h.ServeHTTP(w, r)
	})
}

// corsRegistered wraps a token-style endpoint; h nil answers preflights only.
func (s *Server) corsRegistered(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.setCORS(w, r, false, "POST, OPTIONS")
		if h == nil || r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r)
	}
}

// setCORS adds the CORS response headers when the request's origin may read the answer.
func (s *Server) setCORS(w http.ResponseWriter, r *http.Request, public bool, methods string) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	switch {
	case origin == "":
		return false
	case public:
		h.Set("Access-Control-Allow-Origin", "*")
	case s.origins[origin]:
		h.Set("Access-Control-Allow-Origin", origin)
	default:
		return false
	}
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
	h.Set("Access-Control-Expose-Headers", "Location, Content-Location, ETag, WWW-Authenticate")
	h.Set("Access-Control-Max-Age", "600")
	return true
}
