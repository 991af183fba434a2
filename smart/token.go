package smart

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mypatients/gateway/redisstore"
)

// authCode is what an authorization code stands for, stored under the code's hash. It binds
// the code to the client, redirect URI, PKCE challenge, user and launch context (SMART
// app-launch.md §"Obtain authorization code").
type authCode struct {
	RedirectURI   string `json:"redirect_uri"`
	CodeChallenge string `json:"code_challenge"`
	Grant         grant  `json:"grant"`
}

// issueCode ends a successful authorization: it stores a single-use code and sends the
// browser back to the app (RFC 6749 §4.1.2, with RFC 9207 iss).
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, req authRequest, g grant) {
	code := newSecret()
	rec := authCode{RedirectURI: req.RedirectURI, CodeChallenge: req.CodeChallenge, Grant: g}
	if err := redisstore.PutJSON(r.Context(), s.rdb, s.codeKey(code), rec, s.opts.CodeTTL); err != nil {
		s.log.ErrorContext(r.Context(), "store authorization code", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errTemporarilyUnavailable, description: "try again later"})
		return
	}
	s.log.InfoContext(r.Context(), "authorized", "user", g.User.Subject, "client", g.ClientID, "scope", strings.Join(g.Scopes, " "))
	q := url.Values{"code": {code}, "iss": {s.baseURL}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	redirectWithQuery(w, r, req.RedirectURI, q)
}

// throttle answers 429 to an address that has sent too many requests to the token,
// introspection and revocation endpoints together (Limits.Endpoints, shared by every
// replica), and reports whether it did. Codes, tokens and secrets are all 256 random bits: the
// limit keeps floods off Redis and the signature checks, it is not what makes guessing
// hopeless.
func (s *Server) throttle(w http.ResponseWriter, r *http.Request) bool {
	n, err := s.endpoints.Take(r.Context(), s.opts.Proxies.Addr(r))
	switch {
	case err != nil:
		s.storeFault(w, r, "count requests to the token endpoints", err)
		return true
	case n.Allowed:
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(n.RetryAfter.Seconds())+1))
	writeTokenError(w, &oauthError{status: http.StatusTooManyRequests, code: errSlowDown, description: "too many requests; slow down"})
	return true
}

// handleToken is the token endpoint (RFC 6749 §3.2): it reads the form, authenticates the
// client and hands over to the grant type's own file.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if s.throttle(w, r) {
		return
	}
	if oerr := parseTokenForm(w, r); oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	gt := single(r.PostForm, "grant_type")
	if gt == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "grant_type is required"})
		return
	}
	if !slices.Contains([]string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials}, gt) {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errUnsupportedGrantType, description: "grant_type must be authorization_code, refresh_token or client_credentials"})
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil && gt == grantRefreshToken && !sentClientCredentials(r) {
		client, oerr = s.refreshTokenClient(r)
	}
	if oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	if !client.allowsGrant(gt) {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errUnauthorizedClient, description: "this client may not use grant_type " + gt})
		return
	}
	switch gt {
	case grantAuthorizationCode:
		s.redeemCode(w, r, client)
	case grantRefreshToken:
		s.refresh(w, r, client)
	case grantClientCredentials:
		s.clientCredentials(w, r, client)
	}
}

// parseTokenForm reads a form body of bounded size (RFC 6749 §3.2: form-encoded POST).
func parseTokenForm(w http.ResponseWriter, r *http.Request) *oauthError {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "the body must be application/x-www-form-urlencoded"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "the form could not be read"}
	}
	return nil
}

// redeemCode exchanges a code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.6). The code is taken
// from the store atomically, so it can be redeemed once; a second attempt finds it gone and
// revokes everything the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
func (s *Server) redeemCode(w http.ResponseWriter, r *http.Request, client Client) {
	ctx := r.Context()
	f := r.PostForm
	code, verifier, redirectURI := single(f, "code"), single(f, "code_verifier"), single(f, "redirect_uri")
	invalidGrant := &oauthError{status: http.StatusBadRequest, code: errInvalidGrant, description: "the code is invalid, expired, already used, or was issued to another client"}
	if code == "" || redirectURI == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "code and redirect_uri are required"})
		return
	}
	var rec authCode
	if err := redisstore.TakeJSON(ctx, s.rdb, s.codeKey(code), &rec); err != nil {
		if !notFound(err) {
			s.storeFault(w, r, "take authorization code", err)
			return
		}
		s.revokeReplayed(r, code)
		writeTokenError(w, invalidGrant)
		return
	}
	// Every code has a challenge, so a missing, blank, malformed or wrong verifier, and one
	// equal to the challenge, all fail here (RFC 7636 §4.6, RFC 9700 §4.8.2).
	if rec.Grant.ClientID != client.ID || rec.RedirectURI != redirectURI || !validVerifier(verifier) ||
		subtle.ConstantTimeCompare([]byte(pkceS256(verifier)), []byte(rec.CodeChallenge)) != 1 {
		writeTokenError(w, invalidGrant)
		return
	}
	g := rec.Grant
	family := newSecret()
	if err := redisstore.PutJSON(ctx, s.rdb, s.familyKey(family), g.ClientID, s.familyTTL()); err != nil {
		s.storeFault(w, r, "record grant family", err)
		return
	}
	if err := redisstore.PutJSON(ctx, s.rdb, s.usedCodeKey(code), family, s.familyTTL()); err != nil {
		s.storeFault(w, r, "remember used code", err)
		return
	}
	if err := s.rememberGrant(ctx, g.User.Subject, g.ClientID, family); err != nil {
		s.storeFault(w, r, "index the grant", err)
		return
	}
	at, err := s.issueAccessToken(ctx, g, g.Scopes, family, s.opts.AccessTokenTTL)
	if err != nil {
		s.storeFault(w, r, "issue access token", err)
		return
	}
	body := s.tokenResponse(at, g.Scopes, g.Context)
	if g.has("openid") {
		idt, err := s.idToken(g, s.opts.AccessTokenTTL)
		if err != nil {
			s.storeFault(w, r, "issue id_token", err)
			return
		}
		body["id_token"] = idt
	}
	if g.has("offline_access") {
		rt, err := s.issueRefreshToken(ctx, g, family)
		if err != nil {
			s.storeFault(w, r, "issue refresh token", err)
			return
		}
		body["refresh_token"] = rt
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, body)
}

// revokeReplayed revokes the grant issued for a code that is presented again.
func (s *Server) revokeReplayed(r *http.Request, code string) {
	var family string
	if err := redisstore.TakeJSON(r.Context(), s.rdb, s.usedCodeKey(code), &family); err != nil {
		return
	}
	if err := s.rdb.Del(r.Context(), s.familyKey(family)).Err(); err != nil {
		s.log.ErrorContext(r.Context(), "revoke tokens of a replayed code", "err", err)
		return
	}
	s.log.WarnContext(r.Context(), "authorization code replayed; its tokens are revoked")
}

// storeFault answers a failure of ours at the token endpoint.
func (s *Server) storeFault(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err)
	writeTokenError(w, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"})
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == ""
}
