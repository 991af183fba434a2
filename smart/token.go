package smart

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// authCode is what an authorization code stands for, stored under the code's hash. It binds
// the code to the client, redirect URI, PKCE challenge and user (SMART app-launch.md).
type authCode struct {
	ClientID      string       `json:"client_id"`
	RedirectURI   string       `json:"redirect_uri"`
	CodeChallenge string       `json:"code_challenge"`
	Scopes        []string     `json:"scopes"`
	User          loggedInUser `json:"user"`
}

// issueCode ends a successful login: it stores a single-use code and sends the browser back
// to the app.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, req authRequest, user loggedInUser) {
	code := newSecret()
	rec := authCode{ClientID: req.ClientID, RedirectURI: req.RedirectURI, CodeChallenge: req.CodeChallenge, Scopes: req.Scopes, User: user}
	if err := s.opts.Store.PutJSON(r.Context(), codeKey(code), rec, s.opts.CodeTTL); err != nil {
		s.log.ErrorContext(r.Context(), "store authorization code", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errTemporarilyUnavailable, description: "try again later"})
		return
	}
	s.log.InfoContext(r.Context(), "login", "user", user.Subject, "client", req.ClientID)
	q := url.Values{"code": {code}, "iss": {s.opts.BaseURL}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	redirectWithQuery(w, r, req.RedirectURI, q)
}

// handleToken is the token endpoint (RFC 6749 §4.1.3, SMART app-launch.md "Obtain access
// token"). Only the authorization_code grant is offered.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(clientIP(r)) {
		writeTokenError(w, &oauthError{status: http.StatusTooManyRequests, code: errSlowDown, description: "too many token requests; slow down"})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "the body must be application/x-www-form-urlencoded"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "the form could not be read"})
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		s.redeemCode(w, r, client)
	case "":
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "grant_type is required"})
	default:
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errUnsupportedGrantType, description: "only authorization_code is supported"})
	}
}

// authenticateClient identifies the client: HTTP Basic for confidential clients (RFC 6749
// §2.3.1), client_id in the form for public ones.
func (s *Server) authenticateClient(r *http.Request) (Client, *oauthError) {
	bad := &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client authentication failed"}
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, bad
		}
	} else {
		id = single(r.PostForm, "client_id")
	}
	c, ok := s.clients[id]
	if !ok {
		return Client{}, bad
	}
	if c.Public {
		if basic {
			return Client{}, bad
		}
		return c, nil
	}
	if !basic {
		return Client{}, bad
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.SecretSHA256)) != 1 {
		return Client{}, bad
	}
	return c, nil
}

// redeemCode exchanges a code for an access token. The code is taken from the store
// atomically, so it can be redeemed once; a second attempt finds it gone and revokes the
// token the first one issued (RFC 6749 §4.1.2).
func (s *Server) redeemCode(w http.ResponseWriter, r *http.Request, client Client) {
	ctx := r.Context()
	f := r.PostForm
	code, verifier, redirectURI := single(f, "code"), single(f, "code_verifier"), single(f, "redirect_uri")
	if code == "" || verifier == "" || redirectURI == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "code, code_verifier and redirect_uri are required"})
		return
	}
	invalidGrant := &oauthError{status: http.StatusBadRequest, code: errInvalidGrant, description: "the code is invalid, expired, already used, or was issued to another client"}
	var rec authCode
	if err := s.opts.Store.TakeJSON(ctx, codeKey(code), &rec); err != nil {
		if !s.opts.IsNotFound(err) {
			s.log.ErrorContext(ctx, "take authorization code", "err", err)
			writeTokenError(w, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"})
			return
		}
		s.revokeReplayed(r, code)
		writeTokenError(w, invalidGrant)
		return
	}
	if rec.ClientID != client.ID || rec.RedirectURI != redirectURI || !validVerifier(verifier) ||
		subtle.ConstantTimeCompare([]byte(pkceS256(verifier)), []byte(rec.CodeChallenge)) != 1 {
		writeTokenError(w, invalidGrant)
		return
	}
	now := s.opts.Now()
	jti := newSecret()
	exp := now.Add(s.opts.AccessTokenTTL)
	token, err := s.tokens.sign(accessClaims{
		Claims: jwt.Claims{
			Subject: rec.User.Subject, ID: jti,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
		},
		ClientID: client.ID, Scope: strings.Join(rec.Scopes, " "),
		FHIRUser: rec.User.FHIRUser, IdP: rec.User.IdP, Username: rec.User.Username,
	})
	if err == nil {
		err = s.opts.Store.PutJSON(ctx, tokenKey(jti), tokenRecord{Subject: rec.User.Subject, ClientID: client.ID, Expires: exp}, s.opts.AccessTokenTTL)
	}
	if err == nil {
		err = s.opts.Store.PutJSON(ctx, usedCodeKey(code), jti, s.opts.AccessTokenTTL)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "issue access token", "err", err)
		writeTokenError(w, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"})
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(s.opts.AccessTokenTTL / time.Second),
		"scope":        strings.Join(rec.Scopes, " "),
	})
}

// revokeReplayed revokes the token issued for a code that is presented again.
func (s *Server) revokeReplayed(r *http.Request, code string) {
	var jti string
	if err := s.opts.Store.TakeJSON(r.Context(), usedCodeKey(code), &jti); err != nil {
		return
	}
	if err := s.opts.Store.Delete(r.Context(), tokenKey(jti)); err != nil {
		s.log.ErrorContext(r.Context(), "revoke token of a replayed code", "err", err)
		return
	}
	s.log.WarnContext(r.Context(), "authorization code replayed; its token is revoked", "jti", jti)
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == ""
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func codeKey(code string) string     { return "smart:code:" + hashSecret(code) }
func usedCodeKey(code string) string { return "smart:code-used:" + hashSecret(code) }
