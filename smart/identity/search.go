package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
)

// practitionerBundle is the little of a Practitioner search the resolver reads.
type practitionerBundle struct {
	ResourceType string `json:"resourceType"`
	Entry        []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Identifier   []struct {
				System string `json:"system"`
				Value  string `json:"value"`
			} `json:"identifier"`
		} `json:"resource"`
	} `json:"entry"`
}

// byIdentifier finds the one Practitioner with identifier system|value, from the cache or the
// EHR. Only an exact match counts: a server that ignored the parameter and answered with other
// practitioners matches nothing.
func (r *Resolver) byIdentifier(ctx context.Context, system, value string) (string, error) {
	key := r.cacheKey(system, value)
	id, err := r.opts.Redis.Get(ctx, key).Result()
	switch {
	case err == nil && gateway.ValidID(id):
		return "Practitioner/" + id, nil
	case err != nil && !errors.Is(err, redis.Nil):
		return "", errStore("read cached practitioner", err)
	}
	var b practitionerBundle
	q := url.Values{"identifier": {system + "|" + value}, "_count": {"2"}}
	if err := r.opts.Upstream.GetJSON(ctx, "Practitioner", q, &b); err != nil {
		return "", fmt.Errorf("identity: search practitioner by identifier: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return "", fmt.Errorf("identity: search practitioner by identifier: answer is a %q, not a Bundle", b.ResourceType)
	}
	var found []string
	for _, e := range b.Entry {
		res := e.Resource
		for _, ident := range res.Identifier {
			if res.ResourceType == "Practitioner" && gateway.ValidID(res.ID) && ident.System == system && ident.Value == value {
				found = append(found, res.ID)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "", &Unresolved{Reason: ReasonNotFound, Refuse: true}
	case 1:
	default:
		return "", &Unresolved{Reason: ReasonAmbiguous, Refuse: true}
	}
	if err := r.opts.Redis.Set(ctx, key, found[0], r.opts.CacheTTL).Err(); err != nil {
		return "", errStore("cache practitioner", err)
	}
	return "Practitioner/" + found[0], nil
}

// cacheKey names a match by the hash of the identifier: the key does not show an NPI.
func (r *Resolver) cacheKey(system, value string) string {
	sum := sha256.Sum256([]byte(system + "|" + value))
	return r.opts.KeyPrefix + "identity:practitioner:" + hex.EncodeToString(sum[:])
}
