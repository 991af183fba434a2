package smart

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Each user's grants are indexed (a hash of family → client and time), so that the user can
// see which apps are signed in as them and a password reset or "sign out everywhere" can
// revoke them all at once. The index is pruned of revoked or expired families as it is read.

func (st state) userGrantsKey(user string) string { return st.key("user-grants", user) }

type grantEntry struct {
	Client string    `json:"client"`
	Since  time.Time `json:"since"`
}

// rememberGrant indexes family as one of user's grants.
func (s *Server) rememberGrant(ctx context.Context, user, client, family string) error {
	if user == "" {
		return nil
	}
	b, _ := json.Marshal(grantEntry{Client: client, Since: s.now().UTC()})
	key := s.userGrantsKey(user)
	if err := s.rdb.HSet(ctx, key, family, b).Err(); err != nil {
		return fmt.Errorf("smart: index grant: %w", err)
	}
	return s.rdb.Expire(ctx, key, s.familyTTL()).Err()
}

// UserGrant is one app signed in as a user: its client and since when.
type UserGrant struct {
	Client string
	Since  time.Time
}

// UserGrants returns user's live grants, newest first.
func (t *Tokens) UserGrants(ctx context.Context, user string) ([]UserGrant, error) {
	all, err := t.rdb.HGetAll(ctx, t.userGrantsKey(user)).Result()
	if err != nil {
		return nil, fmt.Errorf("smart: list grants: %w", err)
	}
	var out []UserGrant
	for family, raw := range all {
		n, err := t.rdb.Exists(ctx, t.familyKey(family)).Result()
		if err != nil {
			return nil, fmt.Errorf("smart: list grants: %w", err)
		}
		var e grantEntry
		if n == 0 || json.Unmarshal([]byte(raw), &e) != nil {
			t.rdb.HDel(ctx, t.userGrantsKey(user), family)
			continue
		}
		out = append(out, UserGrant(e))
	}
	slices.SortFunc(out, func(a, b UserGrant) int { return b.Since.Compare(a.Since) })
	return out, nil
}

// RevokeUser revokes every grant of user: their access and refresh tokens stop working at
// once on every surface, which look the grant up on each call.
func (t *Tokens) RevokeUser(ctx context.Context, user string) error {
	families, err := t.rdb.HKeys(ctx, t.userGrantsKey(user)).Result()
	if err != nil {
		return fmt.Errorf("smart: revoke grants of %s: %w", user, err)
	}
	keys := []string{t.userGrantsKey(user)}
	for _, f := range families {
		keys = append(keys, t.familyKey(f))
	}
	if err := t.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("smart: revoke grants of %s: %w", user, err)
	}
	return nil
}
