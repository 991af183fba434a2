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

func (s *Store) requestKey(id string) string { return s.prefix + "access-request:" + id }
func (s *Store) requestsOf(patientID string) string {
	return s.prefix + "access-requests:patient:" + patientID
}
func (s *Store) requestsByKind(kind string) string { return s.prefix + "access-requests:" + kind }
func (s *Store) requestsBy(requester string) string {
	return s.prefix + "access-requests:requester:" + requester
}

// pendingKey holds the id of the one pending request of kind for patientID to clinician.
func (s *Store) pendingKey(kind, patientID, clinician string) string {
	return s.prefix + "access-request:pending:" + kind + ":" + patientID + ":" + clinician
}

// AddRequest records r as pending with a fresh id and returns it with created true. When a
// request of the same kind for the same patient and clinician is already pending, that one
// is returned with created false: claiming the pending slot is one SETNX, so two concurrent
// requests cannot both be filed.
func (s *Store) AddRequest(ctx context.Context, r Request, now time.Time) (Request, bool, error) {
	if r.PatientID == "" || r.Requester == "" || r.Clinician == "" || (r.Kind != KindPCP && r.Kind != KindFamily) {
		return Request{}, false, fmt.Errorf("grants: add request: incomplete request")
	}
	r.ID, r.Status, r.CreatedAt = rand.Text(), Pending, now.UTC()
	claimed, err := s.rdb.SetNX(ctx, s.pendingKey(r.Kind, r.PatientID, r.Clinician), r.ID, requestTTL).Result()
	if err != nil {
		return Request{}, false, fmt.Errorf("grants: claim pending request: %w", err)
	}
	if !claimed {
		existing, err := s.PendingRequest(ctx, r.Kind, r.PatientID, r.Clinician)
		return existing, false, err
	}
	if err := s.saveRequest(ctx, r); err != nil {
		return Request{}, false, err
	}
	for _, set := range []string{s.requestsOf(r.PatientID), s.requestsByKind(r.Kind), s.requestsBy(r.Requester)} {
		if err := s.rdb.SAdd(ctx, set, r.ID).Err(); err != nil {
			return Request{}, false, fmt.Errorf("grants: index request: %w", err)
		}
	}
	return r, true, nil
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

func (s *Store) saveRequest(ctx context.Context, r Request) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("grants: encode request: %w", err)
	}
	if err := s.rdb.Set(ctx, s.requestKey(r.ID), b, requestTTL).Err(); err != nil {
		return fmt.Errorf("grants: save request: %w", err)
	}
	return nil
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
