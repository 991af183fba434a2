package grants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// LookupTTL is how long a lookup's reference stays usable for an access request.
const LookupTTL = 30 * time.Minute

// Found is a patient an exact-match lookup found for a clinician who may not see them. The
// clinician is given only an opaque reference to it (never the patient's id), which files an
// access request for exactly that patient, by exactly that clinician, for a short while.
type Found struct {
	Requester string `json:"requester"`
	PatientID string `json:"patient_id"`
	MRN       string `json:"mrn,omitempty"`
	// Label is what the clinician searched for.
	Label string `json:"label"`
}

func (s *Store) lookupKey(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return s.prefix + "lookup:" + hex.EncodeToString(sum[:])
}

// PutLookup keeps f for LookupTTL and returns its reference (stored only as its hash).
func (s *Store) PutLookup(ctx context.Context, f Found) (string, error) {
	ref := rand.Text()
	b, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("grants: encode lookup: %w", err)
	}
	if err := s.rdb.Set(ctx, s.lookupKey(ref), b, LookupTTL).Err(); err != nil {
		return "", fmt.Errorf("grants: store lookup: %w", err)
	}
	return ref, nil
}

// Lookup returns the patient behind ref when requester made the lookup; anything else
// (unknown, expired, another clinician's) is ErrNotFound.
func (s *Store) Lookup(ctx context.Context, requester, ref string) (Found, error) {
	raw, err := s.rdb.Get(ctx, s.lookupKey(ref)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Found{}, fmt.Errorf("grants: lookup: %w", ErrNotFound)
	}
	if err != nil {
		return Found{}, fmt.Errorf("grants: read lookup: %w", err)
	}
	var f Found
	if err := json.Unmarshal(raw, &f); err != nil {
		return Found{}, fmt.Errorf("grants: decode lookup: %w", err)
	}
	if f.Requester != requester {
		return Found{}, fmt.Errorf("grants: lookup of another clinician: %w", ErrNotFound)
	}
	return f, nil
}
