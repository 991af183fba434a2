package smart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/smart/scope"
)

// refreshRecord is what a refresh token stands for, stored under the token's hash.
type refreshRecord struct {
	Grant  grant  `json:"grant"`
	Family string `json:"family"`
}

// issueRefreshToken stores a new refresh token of family for g. Its idle lifetime starts
// again with every use (RFC 9700 §4.14.2: refresh tokens expire when not used).
func (s *Server) issueRefreshToken(ctx context.Context, g grant, family string) (string, error) {
	rt := newSecret()
	if err := redisstore.PutJSON(ctx, s.rdb, s.refreshKey(rt), refreshRecord{Grant: g, Family: family}, s.opts.RefreshTokenTTL); err != nil {
		return "", fmt.Errorf("store refresh token: %w", err)
	}
	return rt, nil
}

// refresh is the refresh_token grant (RFC 6749 §6, SMART app-launch.md §"Refresh access
// token"). Refresh tokens are bound to their client. A public client's token is rotated:
// each is good once, and presenting a used one revokes its whole family (RFC 9700 §4.14.2).
// A confidential client authenticates, so its token is kept. The scope may only narrow.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request, client Client) {
	ctx := r.Context()
	raw := single(r.PostForm, "refresh_token")
	rec, scopes, oerr := s.validateRefresh(r, client, raw)
	if oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	var err error
	next := raw
	if client.Public {
		if err := redisstore.PutJSON(ctx, s.rdb, s.rotatedKey(raw), rec.Family, s.opts.RefreshTokenTTL); err != nil {
			s.storeFault(w, r, "remember rotated refresh token", err)
			return
		}
		if next, err = s.issueRefreshToken(ctx, rec.Grant, rec.Family); err != nil {
			s.storeFault(w, r, "rotate refresh token", err)
			return
		}
	} else if err := redisstore.PutJSON(ctx, s.rdb, s.refreshKey(raw), rec, s.opts.RefreshTokenTTL); err != nil {
		s.storeFault(w, r, "extend refresh token", err)
		return
	}
	if err := redisstore.PutJSON(ctx, s.rdb, s.familyKey(rec.Family), client.ID, s.familyTTL()); err != nil {
		s.storeFault(w, r, "extend grant family", err)
		return
	}
	if err := s.rdb.Expire(ctx, s.userGrantsKey(rec.Grant.User.Subject), s.familyTTL()).Err(); err != nil {
		s.storeFault(w, r, "extend the grant index", err)
		return
	}
	at, err := s.issueAccessToken(ctx, rec.Grant, scopes, rec.Family, s.opts.AccessTokenTTL)
	if err != nil {
		s.storeFault(w, r, "issue access token", err)
		return
	}
	body := s.tokenResponse(at, scopes, rec.Grant.Context)
	body["refresh_token"] = next
	noStore(w.Header())
	writeJSON(w, http.StatusOK, body)
}

// revokeRotated revokes the family of a refresh token that was already rotated away: its
// reuse means it leaked (RFC 9700 §4.14.2).
func (s *Server) revokeRotated(r *http.Request, raw string) {
	var family string
	if err := redisstore.GetJSON(r.Context(), s.rdb, s.rotatedKey(raw), &family); err != nil {
		return
	}
	if err := s.rdb.Del(r.Context(), s.familyKey(family)).Err(); err != nil {
		s.log.ErrorContext(r.Context(), "revoke family of a reused refresh token", "err", err)
		return
	}
	s.log.WarnContext(r.Context(), "rotated refresh token reused; its grant is revoked")
}

// validateRefresh checks a refresh request and returns the token's record and the scopes of
// the new access token. It reads first and checks client, grant and scope, so that a wrong
// request spends nothing; only then is a public client's token taken, once: of two racing
// uses, the loser is a reuse.
func (s *Server) validateRefresh(r *http.Request, client Client, raw string) (refreshRecord, []string, *oauthError) {
	ctx := r.Context()
	var rec refreshRecord
	invalidGrant := &oauthError{status: http.StatusBadRequest, code: errInvalidGrant, description: "the refresh token is invalid, expired, revoked or was issued to another client"}
	if raw == "" {
		return rec, nil, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "refresh_token is required"}
	}
	err := redisstore.GetJSON(ctx, s.rdb, s.refreshKey(raw), &rec)
	if err == nil && (rec.Grant.ClientID != client.ID || s.familyAlive(ctx, rec.Family) != nil) {
		return rec, nil, invalidGrant
	}
	if err == nil && !rec.Grant.Backend {
		// A suspended or removed account gets no new token, checked before a public client's
		// token is taken, so that a reinstated account's token still works.
		if serr := s.standing(ctx, rec.Grant.User.Subject); errors.Is(serr, gateway.ErrForbidden) {
			return rec, nil, &oauthError{status: http.StatusBadRequest, code: errInvalidGrant, description: "the account is suspended or removed"}
		} else if serr != nil {
			s.log.ErrorContext(ctx, "read the standing of a refreshing user", "err", serr)
			return rec, nil, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
		}
	}
	scopes := rec.Grant.Scopes
	if req, ok := r.PostForm["scope"]; err == nil && ok && len(req) == 1 {
		asked := scope.Split(req[0])
		for _, a := range asked {
			if !slices.Contains(scopes, a) {
				return rec, nil, &oauthError{status: http.StatusBadRequest, code: errInvalidScope, description: "scope " + a + " was not granted; a refresh may only narrow"}
			}
		}
		scopes = asked
	}
	if err == nil && client.Public {
		err = redisstore.TakeJSON(ctx, s.rdb, s.refreshKey(raw), &rec)
	}
	if err != nil {
		if !notFound(err) {
			s.log.ErrorContext(ctx, "read refresh token", "err", err)
			return rec, nil, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
		}
		s.revokeRotated(r, raw)
		return rec, nil, invalidGrant
	}
	// fhirclient refuses to refresh unless the scope shows offline_access (src/Client.ts).
	if !slices.Contains(scopes, "offline_access") {
		scopes = append(slices.Clip(scopes), "offline_access")
	}
	return rec, scopes, nil
}

// sentClientCredentials reports whether the request names or authenticates a client.
func sentClientCredentials(r *http.Request) bool {
	_, _, basic := r.BasicAuth()
	return basic || r.PostForm.Has("client_id") || r.PostForm.Has("client_assertion")
}

// refreshTokenClient identifies the client of a refresh request that names none: fhirclient
// sends only the refresh token for a public client (client-js src/Client.ts refresh()). Only
// a public client's token may be used so; a confidential client must authenticate.
func (s *Server) refreshTokenClient(r *http.Request) (Client, *oauthError) {
	raw := single(r.PostForm, "refresh_token")
	var rec refreshRecord
	if err := redisstore.GetJSON(r.Context(), s.rdb, s.refreshKey(raw), &rec); err != nil {
		if notFound(err) {
			s.revokeRotated(r, raw)
			return Client{}, &oauthError{status: http.StatusBadRequest, code: errInvalidGrant, description: "the refresh token is invalid, expired, revoked or was issued to another client"}
		}
		return Client{}, &oauthError{status: http.StatusServiceUnavailable, code: errTemporarilyUnavailable, description: "try again later"}
	}
	c, ok := s.clients[rec.Grant.ClientID]
	if !ok || !c.Public {
		return Client{}, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "client authentication failed"}
	}
	return c, nil
}

// familyTTL is how long a grant lives without use: long enough for its refresh token and
// for every access token issued from it.
func (s *Server) familyTTL() time.Duration { return max(s.opts.RefreshTokenTTL, s.opts.AccessTokenTTL) }
