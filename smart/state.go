package smart

import (
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore"
)

// state is where smart keeps its short-lived state in Redis: pending authorizations, logins in
// progress, codes, launch contexts, the records of issued tokens and refresh tokens, their grant
// families and used client-assertion ids. Smart owns these keys; each is named below, under the
// configured prefix and "smart:", and written with an explicit TTL through redisstore's JSON
// helpers. Secrets are never keys: their hashes are. A missing key is redisstore.ErrNotFound.
type state struct {
	rdb    redis.UniversalClient
	prefix string
}

func (st state) key(kind, id string) string { return st.prefix + "smart:" + kind + ":" + id }

func (st state) authRequestKey(id string) string  { return st.key("authreq", hashSecret(id)) }
func (st state) loginFlowKey(state string) string { return st.key("login", hashSecret(state)) }
func (st state) pendingKey(id string) string      { return st.key("pending", hashSecret(id)) }
func (st state) launchKey(launch string) string   { return st.key("launch", hashSecret(launch)) }
func (st state) codeKey(code string) string       { return st.key("code", hashSecret(code)) }
func (st state) usedCodeKey(code string) string   { return st.key("code-used", hashSecret(code)) }
func (st state) familyKey(id string) string       { return st.familyKeyOf(hashSecret(id)) }
func (st state) familyKeyOf(hash string) string   { return st.key("family", hash) }
func (st state) tokenKey(jti string) string       { return st.key("token", jti) }
func (st state) refreshKey(rt string) string      { return st.key("refresh", hashSecret(rt)) }
func (st state) rotatedKey(rt string) string      { return st.key("refresh-used", hashSecret(rt)) }

// assertionKey remembers a client assertion's jti, per client.
func (st state) assertionKey(clientID, jti string) string {
	return st.key("jti", clientID+":"+hashSecret(jti))
}

// notFound reports whether err means the key does not exist or has expired.
func notFound(err error) bool { return errors.Is(err, redisstore.ErrNotFound) }
