package smart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// searcher stands in for the FHIR API's SearchAs: it answers every search with resources, or
// with err. The real search runs end to end in test/ (the SMART clients' picker).
type searcher struct {
	resources []string
	err       error
	asked     []url.Values
}

func (f *searcher) SearchAs(_ context.Context, c gateway.Caller, resourceType string, q url.Values) ([]json.RawMessage, error) {
	if resourceType != "Patient" || c.Subject == "" {
		return nil, fmt.Errorf("unexpected search of %s as %+v", resourceType, c)
	}
	f.asked = append(f.asked, q)
	var out []json.RawMessage
	for _, r := range f.resources {
		out = append(out, json.RawMessage(r))
	}
	return out, f.err
}

func TestListPatients(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, redistest.Embedded(t).Client)
	caller := gateway.Caller{Subject: "accounts:u-pcp", ClientID: "app", Scopes: []string{"user/Patient.rs"}}
	f := &searcher{resources: []string{
		`{"resourceType":"Patient","id":"child-05","birthDate":"2019-04-02","name":[{"given":["Eva","Maria"],"family":"Elm"}]}`,
		`{"resourceType":"Patient","id":"child-02"}`,
		`{"resourceType":"Organization","id":"practice-maple"}`,
	}}
	s.opts.Patients = f
	got, err := s.listPatients(context.Background(), caller)
	want := []PatientSummary{{ID: "child-05", Name: "Eva Maria Elm", BirthDate: "2019-04-02"}, {ID: "child-02", Name: "child-02"}}
	if err != nil || !slices.Equal(got, want) || len(f.asked) != 1 || f.asked[0].Get("_count") != "100" {
		t.Errorf("summaries %+v, %v (asked %v); want %+v", got, err, f.asked, want)
	}
	s.opts.Patients = &searcher{err: fmt.Errorf("search: %w", gateway.ErrForbidden)}
	if got, err := s.listPatients(context.Background(), caller); got != nil || err != nil {
		t.Errorf("a refused search: %v, %v; want nobody and no error", got, err)
	}
	s.opts.Patients = &searcher{err: errors.New("upstream down")}
	if _, err := s.listPatients(context.Background(), caller); err == nil {
		t.Error("a failed search lists nobody instead of failing")
	}
}
