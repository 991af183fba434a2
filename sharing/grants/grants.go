// Package grants keeps patient-granted access: a patient or guardian, through the hospital's
// patient portal, allowed one clinician to see one patient, either by an invitation token the
// clinician redeemed or by approving the clinician's access request. Grants live in Redis,
// indexed by patient (for the portal) and by clinician (for the authorizer), and are read on
// every request without any cache, so that a revocation holds on the very next request on
// every replica. It owns its Redis keys. This package only stores; it decides nothing and sends
// no mail: the flows are package sharing's, the decision the policy's.
package grants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// How a grant came about.
const (
	ViaInvitation = "invitation"
	ViaRequest    = "request"
)

// ErrNotFound is returned when there is no such grant or request.
var ErrNotFound = errors.New("grants: not found")

// Grant says: patient PatientID (MRN) allowed Clinician access, How, When, By whom.
type Grant struct {
	PatientID string `json:"patient_id"`
	MRN       string `json:"mrn"`
	// Clinician is the gateway user id ("<idp>:<sub>") of the clinician whose relationships
	// count: for a staff user who redeemed an invitation, their sponsor.
	Clinician string `json:"clinician"`
	// How is ViaInvitation or ViaRequest.
	How  string    `json:"how"`
	When time.Time `json:"when"`
	// By is the patient-portal user (patient or guardian) who granted it.
	By string `json:"by"`
	// ExpiresAt ends the grant by itself; nil means until revoked.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// RevokedAt is set on the copy kept in the patient's history once revoked.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// Store keeps grants in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewStore returns a Store whose keys start with prefix (the gateway's key prefix).
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) byPatient(patientID string) string { return s.prefix + "grants:patient:" + patientID }
func (s *Store) byClinician(clinician string) string {
	return s.prefix + "grants:clinician:" + clinician
}
func (s *Store) history(patientID string) string { return s.prefix + "grants:revoked:" + patientID }

// Put stores g in both indexes, replacing an earlier grant of the same patient to the same
// clinician. The two writes are pipelined but not a MULTI transaction, because the two keys
// may live on different Redis Cluster slots; the patient index is written first so that a
// half-written grant is visible to the portal (which can revoke it) but never to the
// authorizer alone.
func (s *Store) Put(ctx context.Context, g Grant) error {
	if g.PatientID == "" || g.Clinician == "" || (g.How != ViaInvitation && g.How != ViaRequest) {
		return fmt.Errorf("grants: put: incomplete grant %+v", g)
	}
	g.RevokedAt, g.RevokedBy = nil, ""
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("grants: encode: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.byPatient(g.PatientID), g.Clinician, b).Err(); err != nil {
		return fmt.Errorf("grants: put patient index: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.byClinician(g.Clinician), g.PatientID, b).Err(); err != nil {
		return fmt.Errorf("grants: put clinician index: %w", err)
	}
	return nil
}

// Revoke ends the grant of patientID to clinician and keeps a copy, marked revoked, in the
// patient's history. The clinician index (the one the authorizer reads) is cleared first, so
// that once Revoke returns no replica can allow access through this grant.
func (s *Store) Revoke(ctx context.Context, patientID, clinician, by string, at time.Time) (Grant, error) {
	raw, err := s.rdb.HGet(ctx, s.byPatient(patientID), clinician).Bytes()
	if errors.Is(err, redis.Nil) {
		return Grant{}, fmt.Errorf("grants: revoke %s for %s: %w", patientID, clinician, ErrNotFound)
	}
	if err != nil {
		return Grant{}, fmt.Errorf("grants: revoke: read: %w", err)
	}
	var g Grant
	if err := json.Unmarshal(raw, &g); err != nil {
		return Grant{}, fmt.Errorf("grants: revoke: decode: %w", err)
	}
	if err := s.rdb.HDel(ctx, s.byClinician(clinician), patientID).Err(); err != nil {
		return Grant{}, fmt.Errorf("grants: revoke: clinician index: %w", err)
	}
	if err := s.rdb.HDel(ctx, s.byPatient(patientID), clinician).Err(); err != nil {
		return Grant{}, fmt.Errorf("grants: revoke: patient index: %w", err)
	}
	at = at.UTC()
	g.RevokedAt, g.RevokedBy = &at, by
	if b, err := json.Marshal(g); err == nil {
		if err := s.rdb.RPush(ctx, s.history(patientID), b).Err(); err != nil {
			return g, fmt.Errorf("grants: revoke: history: %w", err)
		}
	}
	return g, nil
}

// ForPatient lists the patient's grants in force, oldest first, for the patient portal.
func (s *Store) ForPatient(ctx context.Context, patientID string) ([]Grant, error) {
	m, err := s.rdb.HGetAll(ctx, s.byPatient(patientID)).Result()
	if err != nil {
		return nil, fmt.Errorf("grants: list for patient: %w", err)
	}
	out := make([]Grant, 0, len(m))
	for _, raw := range m {
		var g Grant
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return nil, fmt.Errorf("grants: decode: %w", err)
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Grant) int { return a.When.Compare(b.When) })
	return out, nil
}

// Revoked lists the patient's revoked grants, oldest first.
func (s *Store) Revoked(ctx context.Context, patientID string) ([]Grant, error) {
	raws, err := s.rdb.LRange(ctx, s.history(patientID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("grants: revoked history: %w", err)
	}
	out := make([]Grant, 0, len(raws))
	for _, raw := range raws {
		var g Grant
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return nil, fmt.Errorf("grants: decode: %w", err)
		}
		out = append(out, g)
	}
	return out, nil
}

// Patients returns the ids of the patients whose families granted clinician access (the
// grants may since have expired; the policy checks each). Revoked grants are not listed.
func (s *Store) Patients(ctx context.Context, clinician string) ([]string, error) {
	if clinician == "" {
		return nil, nil
	}
	ids, err := s.rdb.HKeys(ctx, s.byClinician(clinician)).Result()
	if err != nil {
		return nil, fmt.Errorf("grants: list patients of %s: %w", clinician, err)
	}
	return ids, nil
}

// ForClinician returns the grants to clinician among patients (one HMGET, read fresh on
// every call), keyed by patient id. Patients without a grant are absent.
func (s *Store) ForClinician(ctx context.Context, clinician string, patients []string) (map[string]Grant, error) {
	if clinician == "" || len(patients) == 0 {
		return map[string]Grant{}, nil
	}
	return grantsOf(clinician, patients, s.rdb.HMGet(ctx, s.byClinician(clinician), patients...))
}

// QueueForClinician queues ForClinician's read on pipe, so that it shares a round trip with
// other reads; the function returned gives its answer once pipe has been executed.
func (s *Store) QueueForClinician(ctx context.Context, pipe redis.Pipeliner, clinician string, patients []string) func() (map[string]Grant, error) {
	if clinician == "" || len(patients) == 0 {
		return func() (map[string]Grant, error) { return map[string]Grant{}, nil }
	}
	cmd := pipe.HMGet(ctx, s.byClinician(clinician), patients...)
	return func() (map[string]Grant, error) { return grantsOf(clinician, patients, cmd) }
}

func grantsOf(clinician string, patients []string, cmd *redis.SliceCmd) (map[string]Grant, error) {
	vals, err := cmd.Result()
	if err != nil {
		return nil, fmt.Errorf("grants: read grants of %s: %w", clinician, err)
	}
	out := map[string]Grant{}
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue
		}
		var g Grant
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return nil, fmt.Errorf("grants: decode grant of %s: %w", patients[i], err)
		}
		out[patients[i]] = g
	}
	return out, nil
}
