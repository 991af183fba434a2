package grants

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of access request.
const (
	// KindPCP: the clinician says they are the patient's PCP; the support team checks and
	// corrects the EHR.
	KindPCP = "pcp"
	// KindFamily: the clinician asks the patient or guardian, through the patient portal.
	KindFamily = "family"
)

// Request statuses.
const (
	Pending  = "pending"
	Approved = "approved"
	Denied   = "denied"
)

// requestTTL bounds how long any request is kept, decided or not.
const requestTTL = 400 * 24 * time.Hour

// Request is a clinician's request for access to one patient.
type Request struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	PatientID string `json:"patient_id"`
	MRN       string `json:"mrn,omitempty"`
	// Requester is the gateway user id of the clinician who asked; Clinician is the one the
	// grant would go to (the requester's sponsor for staff).
	Requester string `json:"requester"`
	Clinician string `json:"clinician"`
	// Contact details the requester gave, for the support team or the family.
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Practice string `json:"practice,omitempty"`
	Note     string `json:"note,omitempty"`
	// Label is how the requester named the patient (the MRN or the name and date of birth
	// they searched for), shown back to them in their list of requests: never more than they
	// typed.
	Label     string     `json:"label,omitempty"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	// Reason is the support team's code for declining a PCP-access request.
	Reason string `json:"reason,omitempty"`
}

// ErrDecided is returned when a request is decided a second time.
var ErrDecided = errors.New("grants: request already decided")

// Every key of requests carries the hash tag {access-requests}, so that the script filing a
// request and the transaction deciding one touch a single Redis Cluster slot.
func (s *Store) requestKey(id string) string { return s.prefix + "{access-requests}:" + id }
func (s *Store) requestsOf(patientID string) string {
	return s.prefix + "{access-requests}:patient:" + patientID
}
func (s *Store) requestsByKind(kind string) string {
	return s.prefix + "{access-requests}:kind:" + kind
}
func (s *Store) requestsBy(requester string) string {
	return s.prefix + "{access-requests}:requester:" + requester
}

// pendingKey holds the id of the one pending request of kind for patientID to clinician.
func (s *Store) pendingKey(kind, patientID, clinician string) string {
	return s.prefix + "{access-requests}:pending:" + kind + ":" + patientID + ":" + clinician
}

// fileScript claims the pending slot (KEYS[1]) and, only if it was free, writes the request
// (KEYS[2]) and indexes it (KEYS[3..5]) in the same step, so that a slot never names a
// request that is not saved yet. It returns {1, id} when it filed, {0, the pending id} when
// the slot was taken.
var fileScript = redis.NewScript(`
local pending = redis.call('GET', KEYS[1])
if pending then return {0, pending} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
for i = 3, 5 do redis.call('SADD', KEYS[i], ARGV[1]) end
return {1, ARGV[1]}
`)

// AddRequest records r as pending with a fresh id and returns it with created true. When a
// request of the same kind for the same patient and clinician is already pending, that one
// is returned with created false (as it is read then: it may have been decided since). The
// claim of the pending slot and the write of the request are one script, so two concurrent
// requests can neither both be filed nor see a claimed slot without its request.
func (s *Store) AddRequest(ctx context.Context, r Request, now time.Time) (Request, bool, error) {
	if r.PatientID == "" || r.Requester == "" || r.Clinician == "" || (r.Kind != KindPCP && r.Kind != KindFamily) {
		return Request{}, false, fmt.Errorf("grants: add request: incomplete request")
	}
	r.ID, r.Status, r.CreatedAt = rand.Text(), Pending, now.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return Request{}, false, fmt.Errorf("grants: encode request: %w", err)
	}
	keys := []string{s.pendingKey(r.Kind, r.PatientID, r.Clinician), s.requestKey(r.ID),
		s.requestsOf(r.PatientID), s.requestsByKind(r.Kind), s.requestsBy(r.Requester)}
	res, err := fileScript.Run(ctx, s.rdb, keys, r.ID, b, requestTTL.Milliseconds()).Slice()
	if err != nil {
		return Request{}, false, fmt.Errorf("grants: file request: %w", err)
	}
	if len(res) != 2 {
		return Request{}, false, fmt.Errorf("grants: file request: unexpected answer %v", res)
	}
	if filed, _ := res[0].(int64); filed == 1 {
		return r, true, nil
	}
	id, _ := res[1].(string)
	existing, err := s.GetRequest(ctx, id)
	return existing, false, err
}

// PendingRequest returns the pending request of kind for patientID to clinician, or
// ErrNotFound.
func (s *Store) PendingRequest(ctx context.Context, kind, patientID, clinician string) (Request, error) {
	id, err := s.rdb.Get(ctx, s.pendingKey(kind, patientID, clinician)).Result()
	if errors.Is(err, redis.Nil) {
		return Request{}, fmt.Errorf("grants: pending request: %w", ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("grants: pending request: %w", err)
	}
	r, err := s.GetRequest(ctx, id)
	if err == nil && r.Status != Pending {
		return Request{}, fmt.Errorf("grants: pending request: %w", ErrNotFound)
	}
	return r, err
}

// RequestsBy lists the requests requester filed, oldest first.
func (s *Store) RequestsBy(ctx context.Context, requester string) ([]Request, error) {
	return s.requestsIn(ctx, s.requestsBy(requester), "")
}

// GetRequest returns the request with id, or ErrNotFound.
func (s *Store) GetRequest(ctx context.Context, id string) (Request, error) {
	raw, err := s.rdb.Get(ctx, s.requestKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Request{}, fmt.Errorf("grants: request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("grants: read request: %w", err)
	}
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return Request{}, fmt.Errorf("grants: decode request: %w", err)
	}
	return r, nil
}

// Decide marks a pending request approved or denied. Only one decision wins: the status
// is changed with a compare-and-set (WATCH) so that two portal calls cannot both decide.
func (s *Store) Decide(ctx context.Context, id, status, by string, now time.Time) (Request, error) {
	return s.DecideWithReason(ctx, id, status, by, "", now)
}

// DecideWithReason is Decide with the reason code of a denial: the support team's answer to
// a PCP-access request (approved: the EHR was updated; denied: declined, and why).
func (s *Store) DecideWithReason(ctx context.Context, id, status, by, reason string, now time.Time) (Request, error) {
	if status != Approved && status != Denied {
		return Request{}, fmt.Errorf("grants: decide: status %q", status)
	}
	var out Request
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		r, err := s.GetRequest(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != Pending {
			return ErrDecided
		}
		at := now.UTC()
		r.Status, r.DecidedAt, r.DecidedBy, r.Reason = status, &at, by, reason
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("grants: encode request: %w", err)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.requestKey(id), b, requestTTL)
			p.Del(ctx, s.pendingKey(r.Kind, r.PatientID, r.Clinician)) // a new request may be filed
			return nil
		})
		out = r
		return err
	}, s.requestKey(id))
	if err != nil {
		return Request{}, fmt.Errorf("grants: decide request %q: %w", id, err)
	}
	return out, nil
}

// RequestsForPatient lists the patient's requests with the given status ("" for all),
// oldest first.
func (s *Store) RequestsForPatient(ctx context.Context, patientID, status string) ([]Request, error) {
	return s.requestsIn(ctx, s.requestsOf(patientID), status)
}

// RequestsOfKind lists every request of kind with the given status, oldest first; the
// support team's queue of PCP-access requests is RequestsOfKind(KindPCP, Pending).
func (s *Store) RequestsOfKind(ctx context.Context, kind, status string) ([]Request, error) {
	return s.requestsIn(ctx, s.requestsByKind(kind), status)
}

func (s *Store) requestsIn(ctx context.Context, set, status string) ([]Request, error) {
	ids, err := s.rdb.SMembers(ctx, set).Result()
	if err != nil {
		return nil, fmt.Errorf("grants: list requests: %w", err)
	}
	var out []Request
	for _, id := range ids {
		r, err := s.GetRequest(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue // expired
		}
		if err != nil {
			return nil, err
		}
		if status == "" || r.Status == status {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Request) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}
