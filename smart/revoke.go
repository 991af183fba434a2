package smart

import (
	"net/http"

	"github.com/mypatients/gateway/redisstore"
)

// handleRevoke is RFC 7009 token revocation. The client authenticates as at the token
// endpoint; a token of another client, or no token of ours, is ignored with 200 (§2.2).
// Revoking either an access or a refresh token revokes its whole grant (§2.1 allows it):
// the family record goes, and with it every access and refresh token of the grant, at once
// on the FHIR API, which looks the records up on every call.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	noStore(w.Header())
	if s.throttle(w, r) {
		return
	}
	if oerr := parseTokenForm(w, r); oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		writeTokenError(w, oerr)
		return
	}
	raw := single(r.PostForm, "token")
	if raw == "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "token is required"})
		return
	}
	ctx := r.Context()
	var err error
	if claims, verr := s.signer.verify(raw, s.now()); verr == nil && claims.ClientID == client.ID {
		var rec tokenRecord
		if redisstore.GetJSON(ctx, s.rdb, s.tokenKey(claims.ID), &rec) == nil && rec.Family != "" {
			err = s.rdb.Del(ctx, s.familyKey(rec.Family)).Err()
		}
		if err == nil {
			err = s.rdb.Del(ctx, s.tokenKey(claims.ID)).Err()
		}
	} else {
		var rec refreshRecord
		if redisstore.GetJSON(ctx, s.rdb, s.refreshKey(raw), &rec) == nil && rec.Grant.ClientID == client.ID {
			err = s.rdb.Del(ctx, s.familyKey(rec.Family)).Err()
			if err == nil {
				err = s.rdb.Del(ctx, s.refreshKey(raw)).Err()
			}
		}
	}
	if err != nil {
		s.storeFault(w, r, "revoke token", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
