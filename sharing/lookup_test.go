package sharing

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/mypatients/gateway/sharing/grants"
	"github.com/mypatients/gateway/upstream"
)

// visibleTo is a Decider that lets the caller see exactly the listed patients, refusing the
// others with the policy's not_pcp reason.
type visibleTo []string

func (v visibleTo) Decide(_ context.Context, _ gateway.Caller, req gateway.Request) (gateway.Decision, error) {
	d := gateway.Decision{Allow: true, Patients: map[string]gateway.PatientDecision{}, DecisionID: "d1", PolicyRevision: "r1"}
	for _, p := range req.Patients {
		if strings.Contains(strings.Join(v, ","), p) {
			d.Patients[p] = gateway.PatientDecision{Allowed: true, Basis: "pcp"}
			continue
		}
		d.Allow = false
		d.Patients[p] = gateway.PatientDecision{Reason: &gateway.Reason{Code: "not_pcp", Message: "You are not this patient's primary care provider.",
			NextSteps: "request-pcp-access request-family-access"}}
	}
	return d, nil
}

type memTrail struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (m *memTrail) Write(_ context.Context, r audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

// demoEHR serves the demo world on a free port, behind its own bearer token.
func demoEHR(t *testing.T) EHR {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/fhir"
	srv, err := ehr.NewServer(ehr.Seed(), ehr.Options{BaseURL: base, BearerToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	up, err := upstream.New(upstream.Options{BaseURL: base, BearerToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return EHR{Upstream: up}
}

// TestLookup: an exact query finds one patient and tells only whether the caller may see them
// and why not; an inexact one is refused before the EHR is asked; each lookup is audited once.
func TestLookup(t *testing.T) {
	t.Parallel()
	e := demoEHR(t)
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		trail := &memTrail{}
		s := &Service{Grants: grants.NewStore(srv.Client, "t:"), EHR: e, Decider: visibleTo{"child-01"}, Audit: trail,
			LookupLimit: limits.New(srv.Client, "t:", LookupRule)}
		c := gateway.Caller{Subject: "accounts:u-pcp", ClientID: "mypatients-portal", Scopes: []string{gateway.ScopeAccessManage}}
		ctx := context.Background()
		for _, tc := range []struct {
			name                 string
			q                    LookupQuery
			found, visible, fail bool
		}{
			{"MRN with prefix, visible", LookupQuery{MRN: "MRN100001"}, true, true, false},
			{"MRN digits only, lower case prefix", LookupQuery{MRN: " mrn 100020 "}, true, false, false},
			{"name and birth date, any case", LookupQuery{Family: "foster", Given: "LILY", BirthDate: dob(t, e, "child-20")}, true, false, false},
			{"wrong birth date", LookupQuery{Family: "Foster", Given: "Lily", BirthDate: "2001-01-01"}, false, false, false},
			{"unknown MRN", LookupQuery{MRN: "MRN999999"}, false, false, false},
			{"family name alone", LookupQuery{Family: "Foster"}, false, false, true},
			{"name prefix without birth date", LookupQuery{Family: "Fos", Given: "L"}, false, false, true},
			{"MRN and name", LookupQuery{MRN: "MRN100020", Family: "Foster"}, false, false, true},
			{"not an MRN", LookupQuery{MRN: "child-20"}, false, false, true},
			{"not a date", LookupQuery{Family: "Foster", Given: "Lily", BirthDate: "2014-13-45"}, false, false, true},
		} {
			before := len(trail.recs)
			res, err := s.Lookup(ctx, c, tc.q)
			if tc.fail {
				if !errors.Is(err, errInvalidInput) || len(trail.recs) != before {
					t.Errorf("%s: %v, %d records: an inexact query must be refused unaudited before the EHR", tc.name, err, len(trail.recs)-before)
				}
				continue
			}
			if err != nil || res.Found != tc.found || res.Visible != tc.visible || len(trail.recs) != before+1 {
				t.Errorf("%s: %+v %v, %d records", tc.name, res, err, len(trail.recs)-before)
				continue
			}
			rec := trail.recs[len(trail.recs)-1]
			switch {
			case !tc.found:
				if res.Patient != "" || res.Reason != nil || res.RequestRef != "" || len(rec.Patients) != 0 || rec.Reason != "no_exact_match" ||
					rec.Event != "patient.lookup" || rec.Outcome != audit.Success {
					t.Errorf("%s: nothing may be told of no match: %+v %+v", tc.name, res, rec)
				}
			case tc.visible:
				if res.Patient != "child-01" || rec.Reason != "visible" || rec.Patients[0] != "child-01" {
					t.Errorf("%s: %+v %+v", tc.name, res, rec)
				}
			default:
				f, err := s.Grants.Lookup(ctx, c.Subject, res.RequestRef)
				if res.Patient != "" || res.Reason.Code != "not_pcp" || len(res.NextSteps) != 2 || res.PortalAccount == nil ||
					err != nil || f.PatientID != "child-20" || rec.Reason != "not_pcp" || rec.Patients[0] != "child-20" || rec.Client != "mypatients-portal" ||
					rec.Actor != c.Subject {
					t.Errorf("%s: %+v %+v %v %+v", tc.name, res, f, err, rec)
				}
				if _, err := s.Grants.Lookup(ctx, "accounts:u-other", res.RequestRef); !errors.Is(err, grants.ErrNotFound) {
					t.Errorf("%s: another clinician used the reference: %v", tc.name, err)
				}
			}
		}
	})
}

func dob(t *testing.T, e EHR, id string) string {
	t.Helper()
	var p struct{ BirthDate string }
	if err := e.Upstream.GetJSON(context.Background(), "Patient/"+id, nil, &p); err != nil {
		t.Fatal(err)
	}
	return p.BirthDate
}

// TestLookupLimit: a clinician gets LookupRule's lookups an hour; the refused one is recorded.
func TestLookupLimit(t *testing.T) {
	t.Parallel()
	e := demoEHR(t)
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		trail := &memTrail{}
		s := &Service{Grants: grants.NewStore(srv.Client, "t:"), EHR: e, Decider: visibleTo{}, Audit: trail,
			LookupLimit: limits.New(srv.Client, "t:", LookupRule)}
		c := gateway.Caller{Subject: "accounts:u-pcp"}
		var err error
		for i := int64(0); i <= LookupRule.Limit && err == nil; i++ {
			_, err = s.Lookup(context.Background(), c, LookupQuery{MRN: "MRN999999"})
		}
		last := trail.recs[len(trail.recs)-1]
		if !errors.Is(err, ErrLookupLimited) || last.Outcome != audit.Failure || last.Reason != "rate_limited" {
			t.Errorf("after %d lookups: %v, last record %+v", LookupRule.Limit+1, err, last)
		}
	})
}
