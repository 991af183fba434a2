package fhirproxy

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/mypatients/gateway/upstream"
)

// FuzzFilterDifferential holds the single-pass filter to the oracle (oracle_test.go), the slow
// filter it replaced: on any upstream answer both release the same entries (the same JSON
// values), the same total and the same links, and refuse the same answers. The fast filter is
// deliberately stricter in two ways, and only there may it release less (never more, and
// never anything the oracle would not): it refuses invalid UTF-8, and repeated member names at
// any depth rather than only at a resource's top level (names compared as released: two that
// the scrubber rewrites to one are repeated).
//
//	go test ./fhirproxy -run '^$' -fuzz '^FuzzFilterDifferential$' -fuzztime 60s
func FuzzFilterDifferential(f *testing.F) {
	h := fuzzHandler(f)
	f.Add(benchBundle("http://ehr.internal:8081/fhir", 3))
	for _, seed := range []string{
		`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/child-01"},"note":[{"text":"see HTTP://EHR.Internal:8081/fhir/x"}]},"search":{"mode":"match","score":0.5}}]}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient\/child-01"},"x":"ehr\u002einternal"}},{"resource":{"resourceType":"Patient","id":"child-01"},"search":{"mode":"include"}}]}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/child-01"},"contained":[{"resourceType":"Patient","id":"p"}]}},{"search":{"mode":"outcome"},"resource":{"resourceType":"OperationOutcome"}}]}`,
		`{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"http://ehr.internal:8081/fhir/Observation?patient=Patient/child-01&_count=2&_offset=2"}],"entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"http://ehr.internal:8081/fhir/Patient/child-01"},"focus":[{"reference":"Patient/child-10"}]}}]}`,
	} {
		f.Add([]byte(seed))
	}
	caller := testCallers["tok-pcp"]
	other := benchBundle("http://ehr.internal:8081/fhir", 20)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := fuzzRequest()
		fast, rf1 := filterSearch(h, caller, req, body)
		slow, rf2 := oracleFilterSearch(h, caller, req, body)
		stricter := !utf8.Valid(body) || repeatedNames(body, h.scrub.text)
		switch {
		case rf1 != nil && rf2 != nil:
			return
		case rf2 != nil:
			t.Fatalf("the fast filter released what the oracle refused (%v): %s", rf2, body)
		case rf1 != nil && !stricter:
			t.Fatalf("the fast filter refused what the oracle released (%v): %s", rf1, body)
		case rf1 != nil:
			return
		}
		fe, se := entryValues(t, fast), entryValues(t, slow)
		// The scan's buffers go back to a pool (scanPool): the next search must not change
		// what this one released.
		if _, rf := filterSearch(h, caller, fuzzRequest(), other); rf != nil || !reflect.DeepEqual(entryValues(t, fast), fe) {
			t.Fatalf("another search changed what this one released (%v): %s", rf, body)
		}
		if !stricter {
			if !reflect.DeepEqual(fe, se) || !reflect.DeepEqual(fast.Total, slow.Total) || !reflect.DeepEqual(fast.Link, slow.Link) {
				t.Fatalf("fast and oracle differ on %s\nfast:   %v total %v links %v\noracle: %v total %v links %v",
					body, fe, fast.Total, fast.Link, se, slow.Total, slow.Link)
			}
			return
		}
		for i := 0; len(fe) > 0; i++ { // fast's entries are some of the oracle's, in order
			if i == len(se) {
				t.Fatalf("the fast filter released an entry the oracle did not: %v\nof %s", fe[0], body)
			}
			if reflect.DeepEqual(fe[0], se[i]) {
				fe = fe[1:]
			}
		}
		if fast.Total != nil && !reflect.DeepEqual(fast.Total, slow.Total) {
			t.Fatalf("total %d, the oracle's %v", *fast.Total, slow.Total)
		}
	})
}

// fuzzHandler is the Handler the fuzz targets filter with: upstream ehr.internal:8081, public
// base gw.example:8080.
func fuzzHandler(f *testing.F) *Handler {
	up, err := upstream.New(upstream.Options{BaseURL: "http://ehr.internal:8081/fhir"})
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(Options{Upstream: up, PublicBase: "http://gw.example:8080/fhir",
		Authn: testCallers, Authz: &fakeAuthz{}, Audit: &memAudit{}})
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// fuzzRequest is the search the fuzz targets answer: pcp's Observations of child-01, with the
// includes that bring in other types.
func fuzzRequest() *fhirRequest {
	return &fhirRequest{Interaction: "search", Type: "Observation", Patients: []string{"child-01"},
		Query:    canonQuery{{"_count", "50"}, {"patient", "Patient/child-01"}},
		Includes: []join{{Param: "performer", Types: []string{"Patient", "Practitioner"}}, {Param: "subject", Types: []string{"Patient"}}}}
}

// entryValues decodes each released entry into a generic value, numbers kept as written.
func entryValues(t *testing.T, b outBundle) []any {
	var out []any
	for _, e := range b.Entry {
		raw, err := json.Marshal(struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
			Search   *entrySearch    `json:"search"`
		}{e.FullURL, e.Resource, e.Search})
		if err != nil {
			t.Fatalf("released entry is not JSON: %v: %s", err, e.Resource)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// repeatedNames reports whether any object anywhere in body (as far as it is JSON) names a
// member twice, names compared decoded and as rename makes them.
func repeatedNames(body []byte, rename func(string) string) bool {
	type level struct {
		names      map[string]bool // nil for an array
		expectName bool
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var open []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *level
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		if name, ok := tok.(string); ok && top != nil && top.expectName {
			name = rename(name)
			if top.names[name] {
				return true
			}
			top.names[name], top.expectName = true, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, &level{names: map[string]bool{}, expectName: true})
			continue
		case json.Delim('['):
			open = append(open, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
			top = nil
			if len(open) > 0 {
				top = open[len(open)-1]
			}
		}
		if top != nil && top.names != nil {
			top.expectName = true // a member's value is done
		}
	}
}

// FuzzScanValid: the scanner accepts exactly what encoding/json's json.Valid accepts, and
// says when a string is not valid UTF-8 (json.Valid does not check).
func FuzzScanValid(f *testing.F) {
	for _, seed := range []string{`{"a":[1,-0.5e+3,true,null,"x\u00e9\n"]}`, `{"a":1,}`, `[01]`, "\"\xff\"", `"\ud800"`, ` 1 `} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := scanner{buf: b}
		clean := s.skip(0)
		s.end()
		if (s.err == nil) != json.Valid(b) {
			t.Fatalf("%q: scanner %v, json.Valid %v", b, s.err, json.Valid(b))
		}
		same := func(s string) string { return s }
		if s.err == nil && clean && (!utf8.Valid(b) || repeatedNames(b, same)) {
			t.Fatalf("%q: invalid UTF-8 or repeated names not reported", b)
		}
		if s.err == nil && !clean && utf8.Valid(b) && !repeatedNames(b, same) {
			t.Fatalf("%q: reported unclean", b)
		}
	})
}
