package fhirproxy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// Fuzz targets. The property they share: the set of patients the gateway asks the authorizer
// about equals the set of patients in what it forwards (the canonical query) and bounds what
// it returns (every released resource's compartment patients were authorized). Seed corpora
// are in testdata/fuzz/<target>; a short run:
//
//	go test ./fhirproxy -run '^$' -fuzz '^FuzzParse$' -fuzztime 20s
//	go test ./fhirproxy -run '^$' -fuzz '^FuzzReference$' -fuzztime 20s
//	go test ./fhirproxy -run '^$' -fuzz '^FuzzFilterBundle$' -fuzztime 20s

// FuzzParse: for any query on any served type, the parser agrees with its oracle (the parser it
// replaced, oracle_parse_test.go) on what it refuses, how, and on the request it accepts, for
// a GET and for a POST _search with a form body; an accepted search names exactly the patients
// its canonical query names, the canonical query holds only table parameters, and parsing the
// canonical query again gives the same request.
func FuzzParse(f *testing.F) {
	p := testParser(f)
	f.Add("Observation", "patient=child-01,Patient/child-02&subject:Patient=child-03&code=1", "")
	f.Add("Patient", "_id=child-01&name=a", "_id=child-02&_count=7")
	f.Add("DocumentReference", "author=Patient/child-02&_include=DocumentReference:author", "_format=json")
	f.Add("Observation", strings.TrimPrefix(benchTarget, "/fhir/Observation?"), "")
	f.Add("Patient", "name:exact=Alder&_count=500&_offset=20&_format=json", "_include=Patient:organization")
	f.Add("Observation", "patient=child-01&_include=Observation:performer:Practitioner&_include=Observation:performer:Patient&_page=x", "subject=Patient%2Fchild-02")
	f.Fuzz(func(t *testing.T, typ, rawQuery, form string) {
		u := &url.URL{Path: "/fhir/" + typ, RawQuery: rawQuery}
		req, rf := p.parse(u)
		old, oldRf := oracleParse(p, u)
		sameParse(t, "GET "+u.String(), req, rf, old, oldRf)
		form = form[:min(len(form), maxQueryBytes)] // readForm refuses a longer body first
		post, postRf := parsePost(p, u.Path+"/_search", rawQuery, form)
		old, oldRf = oraclePost(p, u.Path+"/_search", rawQuery, form)
		sameParse(t, fmt.Sprintf("POST %s?%s with %q", u.Path, rawQuery, form), post, postRf, old, oldRf)
		for _, v := range append(strings.Split(rawQuery, "&"), strings.Split(form, ",")...) {
			if validDate(v) != oracleValidDate(v) || (strings.Trim(v, "0123456789") == "") != digitsOnly(v) {
				t.Fatalf("%q: validDate %v, the oracle's %v", v, validDate(v), oracleValidDate(v))
			}
		}
		if rf != nil || req.Interaction != "search" {
			return
		}
		named := patientsInQuery(t, p, req.Type, req.Query.Values())
		if !slices.Equal(named, req.Patients) {
			t.Fatalf("%s?%s: authorizer asked about %q, forwarded query names %q", typ, rawQuery, req.Patients, named)
		}
		again, rf := p.parse(&url.URL{Path: "/fhir/" + typ, RawQuery: req.Query.Encode()})
		if rf != nil || again.Query.Encode() != req.Query.Encode() || !slices.Equal(again.Patients, req.Patients) {
			t.Fatalf("canonical query %q does not parse to itself: %v", req.Query.Encode(), rf)
		}
	})
}

// parsePost parses a POST _search as Handler.parse does once the request's headers passed.
func parsePost(p *parser, path, rawQuery, form string) (*fhirRequest, *refusal) {
	params, rf := queryPairs(nil, rawQuery, "query string")
	if rf == nil {
		params, rf = queryPairs(params, form, "form body")
	}
	if rf != nil {
		return nil, rf
	}
	return p.parseParams(path, params, true)
}

// sameParse fails t unless the parser and its oracle refused alike (status, code, reason and
// diagnostics) or accepted the same request (the canonical query compared as it is sent).
func sameParse(t *testing.T, what string, got *fhirRequest, rf *refusal, want *fhirRequest, wantRf *refusal) {
	t.Helper()
	switch {
	case rf != nil || wantRf != nil:
		if rf == nil || wantRf == nil || !reflect.DeepEqual(*rf, *wantRf) {
			t.Fatalf("%s: refused %+v, the oracle %+v", what, rf, wantRf)
		}
	case got.Query.Encode() != want.Query.Encode():
		t.Fatalf("%s: canonical query %q, the oracle's %q", what, got.Query.Encode(), want.Query.Encode())
	default:
		g := []any{got.Interaction, got.Type, got.ID, got.Version, got.Patients, got.Includes, got.PageToken}
		w := []any{want.Interaction, want.Type, want.ID, want.Version, want.Patients, want.Includes, want.PageToken}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: parsed %q, the oracle %q", what, g, w)
		}
	}
}

// patientsInQuery reads the patients a canonical query names, independently of the parser:
// every value of a reference parameter must be "Type/id" with Type a target of the parameter.
func patientsInQuery(t *testing.T, p *parser, typ string, q url.Values) []string {
	var out []string
	for key, values := range q {
		name, _, _ := strings.Cut(key, ":")
		ps, ok := p.types[typ].Params[name]
		if !ok {
			if key == "_include" {
				continue
			}
			t.Fatalf("forwarded parameter %q is not in the table", key)
		}
		for _, v := range values {
			for _, item := range strings.Split(v, ",") {
				switch {
				case ps.Kind == kindReference:
					rt, id, ok := strings.Cut(item, "/")
					if !ok || !slices.Contains(ps.Targets, rt) || !gateway.ValidID(id) {
						t.Fatalf("forwarded reference %q of %q is not canonical", item, key)
					}
					if rt == "Patient" {
						out = append(out, id)
					}
				case ps.NamesPatients:
					out = append(out, item)
				}
			}
		}
	}
	return unique(out)
}

// FuzzReference: the search-side normaliser and the response-side one agree. A value accepted
// as a patient search reference names the same patient when it appears as a Reference in a
// returned resource, and its canonical form normalises to itself; and every reference parses
// as the oracle's url.Parse-based reading parses it.
func FuzzReference(f *testing.F) {
	p := testParser(f)
	performer := p.types["Observation"].Params["performer"]
	patient := p.types["Observation"].Params["patient"]
	for _, s := range []string{"child-01", "Patient/child-01", "http://gw.example:8080/fhir/Patient/x", "Practitioner/p"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, value, modifier string) {
		if r, err := p.refs.parse(value); true {
			want, werr := oracleResolver{p.refs}.parse(value)
			if (err == nil) != (werr == nil) || r != want {
				t.Fatalf("%q: parsed %v (%v), the oracle %v (%v)", value, r, err, want, werr)
			}
			if sp, berr := parseRef(p.refs, []byte(value)); (berr == nil) != (err == nil) ||
				berr == nil && (value[sp.typ.start:sp.typ.end] != r.Type || value[sp.id.start:sp.id.end] != r.ID) {
				t.Fatalf("%q: read as bytes %v (%v), as a string %v (%v)", value, sp, berr, r, err)
			}
		}
		for _, ps := range []paramSpec{patient, performer} {
			r, err := p.refs.searchValue(ps, modifier, value)
			if err != nil {
				continue
			}
			canon := r.Type + "/" + r.ID
			again, err := p.refs.searchValue(ps, "", canon)
			if err != nil || again != r {
				t.Fatalf("%q → %q does not normalise to itself (%v, %v)", value, canon, again, err)
			}
			if !strings.ContainsAny(value, "/:") {
				continue // a bare id is not a literal Reference
			}
			raw, _ := json.Marshal(map[string]string{"reference": value})
			got, err := p.refs.patientsIn(raw, nil, nil)
			want := []string(nil)
			if r.Type == "Patient" {
				want = []string{r.ID}
			}
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%q: search side %v, response side %q (%v)", value, r, got, err)
			}
		}
	})
}

// FuzzFilterBundle: whatever the upstream answers, every released entry's patients (read
// again independently) were authorized, and the upstream's address never appears.
func FuzzFilterBundle(f *testing.F) {
	up, err := upstream.New(upstream.Options{BaseURL: "http://ehr.internal:8081/fhir"})
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(Options{Upstream: up, PublicBase: "http://gw.example:8080/fhir", Authn: testCallers,
		Authz: &fakeAuthz{}, Audit: &memAudit{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(benchBundle("http://ehr.internal:8081/fhir", 3))
	caller := testCallers["tok-pcp"]
	authorized := visible[caller.Subject]
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &fhirRequest{Interaction: "search", Type: "Observation", Patients: []string{"child-01"},
			Query:    canonQuery{{"_count", "50"}, {"patient", "Patient/child-01"}},
			Includes: []join{{Param: "performer", Types: []string{"Patient", "Practitioner"}}, {Param: "subject", Types: []string{"Patient"}}}}
		out, rf := filterSearch(h, caller, req, body)
		if rf != nil {
			return
		}
		for _, e := range out.Entry {
			for _, pt := range independentPatients(t, e.Resource) {
				if !slices.Contains(authorized, pt) {
					t.Fatalf("released a resource of unauthorized patient %q: %s", pt, e.Resource)
				}
			}
		}
		if a := encoded(out); bytes.Contains(bytes.ToLower(a.body), []byte("ehr.internal")) {
			t.Fatalf("upstream address released: %s", a.body)
		}
	})
}

// filterSearch runs the filter step of a search of req as serve does, on an upstream answer
// body, with the patients req names already allowed: inspect the answer, decide what it holds
// that was not decided, release what is allowed.
func filterSearch(h *Handler, c gateway.Caller, req *fhirRequest, body []byte) (outBundle, *refusal) {
	ctx := context.Background()
	named := allowedNamed(req)
	got, rf := h.inspectReply(ctx, req, &upstreamReply{body: body})
	if rf != nil {
		return outBundle{}, rf
	}
	defer h.scans.put(got.scan) // as serve does: the released searchset holds nothing of it
	found, rf := h.decideFound(ctx, c, req, named, got)
	if rf != nil {
		return outBundle{}, rf
	}
	return h.releaseSearch(c, req, nil, got, slices.Concat(named, found).access()), nil
}

// independentPatients finds every "Patient/<id>" reference anywhere in a released resource,
// and the id of a Patient, with a generic decoder rather than the table.
func independentPatients(t *testing.T, raw []byte) []string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("released resource is not JSON: %s", raw)
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch y := x.(type) {
		case map[string]any:
			if s, ok := y["reference"].(string); ok {
				if i := strings.LastIndex(s, "Patient/"); i >= 0 {
					id, _, _ := strings.Cut(s[i+len("Patient/"):], "/")
					out = append(out, id)
				}
			}
			for _, e := range y {
				walk(e)
			}
		case []any:
			for _, e := range y {
				walk(e)
			}
		}
	}
	walk(v)
	if m, ok := v.(map[string]any); ok && m["resourceType"] == "Patient" {
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}

// FuzzScanPatients: the single-pass scan of a resource finds exactly the patients, contained
// Patients and non-string references that the token-by-token scan of the oracle finds.
func FuzzScanPatients(f *testing.F) {
	p := testParser(f)
	up, _ := url.Parse("http://ehr.internal:8081/fhir")
	pub, _ := url.Parse("http://gw.example:8080/fhir")
	sc := newScrubber(up, pub)
	f.Add([]byte(`{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/a"},"x":[{"reference" : "Patient/b"}]}`))
	f.Add([]byte(`{"resourceType":"Observation","contained":[{"resourceType":"Patient","id":"p"}]}`))
	f.Add([]byte(`{"resourceType":"Patient","id":"p","link":[{"other":{"reference":"Pati\u0065nt/q"}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) || !utf8.Valid(raw) || bytes.TrimSpace(raw)[0] != '{' {
			return
		}
		s := scanner{buf: raw}
		rs := scanResource(&s, newScanState(sc, raw))
		if s.end(); s.err != nil {
			t.Fatalf("%s: valid JSON refused: %v", raw, s.err)
		}
		if errors.Is(rs.problem, errDuplicateKey) {
			return // the oracle reads the last of two members; the scan refuses both
		}
		fast, err1 := p.refs.patients(rs.refs, nil, nil)
		err1 = cmp.Or(rs.problem, err1)
		tokens, err2 := oracleResolver{p.refs}.scanTokens(raw)
		if (err1 == nil) != (err2 == nil) || err1 == nil && !slices.Equal(fast, tokens) {
			t.Fatalf("%s: scan %q (%v), token scan %q (%v)", raw, fast, err1, tokens, err2)
		}
	})
}
