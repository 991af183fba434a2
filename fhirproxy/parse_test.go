package fhirproxy

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mypatients/gateway"
)

func testParser(t testing.TB) *parser {
	t.Helper()
	pub, _ := url.Parse("http://gw.example:8080/fhir")
	up, _ := url.Parse("http://ehr.internal:8081/fhir")
	return &parser{prefix: "/fhir", types: resourceTable(), refs: newRefResolver(pub, up), maxCount: 50}
}

func TestParse(t *testing.T) {
	t.Parallel()
	p := testParser(t)
	many := strings.Repeat("child-01,", 70) + "child-01"
	tests := []struct {
		name     string
		target   string
		status   int      // 0: accepted
		patients []string // when accepted
		query    string   // canonical query when accepted and non-empty
		diag     string   // substring of the diagnostics when refused
	}{
		// reads
		{"patient read", "/fhir/Patient/child-01", 0, []string{"child-01"}, "", ""},
		{"observation read names nobody before the fetch", "/fhir/Observation/obs-1", 0, nil, "", ""},
		{"id with dots and dashes", "/fhir/Encounter/a.b-c", 0, nil, "", ""},
		{"type case", "/fhir/patient/child-01", 403, nil, "", `"patient" is not supported`},
		{"type upper case", "/fhir/PATIENT", 403, nil, "", "not supported"},
		{"unserved type", "/fhir/Provenance/x", 403, nil, "", `"Provenance"`},
		{"binary read", "/fhir/Binary/bin-1", 0, nil, "", ""},
		{"binary search", "/fhir/Binary?_id=x", 403, nil, "", "not searched"},
		{"list type", "/fhir/List?patient=child-01", 403, nil, "", `"List"`},
		{"care team", "/fhir/CareTeam?patient=child-01", 403, nil, "", `"CareTeam"`},
		{"related person", "/fhir/RelatedPerson?patient=child-01", 403, nil, "", `"RelatedPerson"`},
		{"bad id char", "/fhir/Patient/bad_id", 400, nil, "", "not a valid FHIR id"},
		{"id too long", "/fhir/Patient/" + strings.Repeat("a", 65), 400, nil, "", "not a valid FHIR id"},
		{"dot-only id", "/fhir/Patient/...", 400, nil, "", "not a valid FHIR id"},
		{"dot segment", "/fhir/Patient/..", 400, nil, "", "dot segments"},
		{"dot segment inside", "/fhir/Patient/./child-01", 400, nil, "", "dot segments"},
		{"double slash", "/fhir//Patient", 400, nil, "", "Empty"},
		{"trailing slash", "/fhir/Patient/", 400, nil, "", "Empty"},
		{"encoded slash", "/fhir/Patient/a%2Fb", 400, nil, "", "Percent-encoded"},
		{"encoded type", "/fhir/Pat%69ent/child-01", 400, nil, "", "Percent-encoded"},
		{"history", "/fhir/Patient/child-01/_history", 403, nil, "", "History"},
		{"vread", "/fhir/Patient/child-01/_history/1", 0, []string{"child-01"}, "", ""},
		{"vread bad version", "/fhir/Patient/child-01/_history/a_b", 400, nil, "", "version"},
		{"vread extra segment", "/fhir/Patient/child-01/_history/1/x", 403, nil, "", "History"},
		{"type history", "/fhir/Patient/_history", 403, nil, "", `"_history"`},
		{"compartment path", "/fhir/Patient/child-01/Observation", 403, nil, "", "compartment"},
		{"type operation", "/fhir/Patient/$everything", 403, nil, "", "Operations"},
		{"instance operation", "/fhir/Patient/child-01/$everything", 403, nil, "", "Operations"},
		{"system operation", "/fhir/$export", 403, nil, "", "Operations"},
		{"search endpoint by GET", "/fhir/Patient/_search", 403, nil, "", `"_search"`},
		{"system base", "/fhir", 403, nil, "", "System-level"},
		{"system base slash", "/fhir/", 403, nil, "", "System-level"},
		{"system history", "/fhir/_history", 403, nil, "", "System-level"},
		{"other prefix", "/fhirx/Patient", 403, nil, "", "not part"},
		{"read with xml format", "/fhir/Patient/child-01?_format=xml", 406, nil, "", "Only JSON"},
		{"read with json format", "/fhir/Patient/child-01?_format=json", 0, []string{"child-01"}, "", ""},
		{"read with params", "/fhir/Patient/child-01?_elements=id", 400, nil, "", `"_elements"`},

		// which patients a compartment search names
		{"bare id", "/fhir/Observation?patient=child-01", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"relative", "/fhir/Observation?patient=Patient/child-01", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"absolute public", "/fhir/Observation?patient=http://gw.example:8080/fhir/Patient/child-01", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"absolute public, case", "/fhir/Observation?patient=HTTP://GW.example:8080/fhir/Patient/child-01", 0, []string{"child-01"}, "", ""},
		{"absolute upstream", "/fhir/Observation?subject=http://ehr.internal:8081/fhir/Patient/child-01", 0, []string{"child-01"}, "_count=50&subject=Patient%2Fchild-01", ""},
		{"type modifier", "/fhir/Observation?subject:Patient=child-01", 0, []string{"child-01"}, "_count=50&subject=Patient%2Fchild-01", ""},
		{"type modifier on patient", "/fhir/Encounter?patient:Patient=child-01", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"comma list and repeat", "/fhir/Observation?patient=child-01,Patient/child-02&patient=child-03", 0,
			[]string{"child-01", "child-02", "child-03"}, "_count=50&patient=Patient%2Fchild-01%2CPatient%2Fchild-02&patient=Patient%2Fchild-03", ""},
		{"patient and subject", "/fhir/MedicationRequest?subject=child-02&patient=child-01&status=active", 0,
			[]string{"child-01", "child-02"}, "_count=50&patient=Patient%2Fchild-01&status=active&subject=Patient%2Fchild-02", ""},
		{"duplicates collapse", "/fhir/Observation?patient=child-01,child-01&subject=Patient/child-01", 0, []string{"child-01"}, "", ""},
		{"encoded value", "/fhir/Observation?patient=Patient%2Fchild-01", 0, []string{"child-01"}, "", ""},
		{"foreign server", "/fhir/Observation?patient=http://other.example/fhir/Patient/child-01", 400, nil, "", "not a supported reference"},
		{"upstream port differs", "/fhir/Observation?patient=http://ehr.internal:9999/fhir/Patient/child-01", 400, nil, "", "not a supported reference"},
		{"urn", "/fhir/Observation?patient=urn:uuid:0b6d4f3e", 400, nil, "", "not a supported reference"},
		{"fragment", "/fhir/Observation?patient=Patient/child-01%23x", 400, nil, "", "not a supported reference"},
		{"versioned", "/fhir/Observation?patient=Patient/child-01/_history/2", 400, nil, "", "not a supported reference"},
		{"subject names a group", "/fhir/Observation?subject=Group/g1", 403, nil, "", "must name one of Patient"},
		{"patient names a practitioner", "/fhir/Observation?patient=Practitioner/dr-patel", 403, nil, "", "must name one of Patient"},
		{"group modifier", "/fhir/Observation?subject:Group=g1", 400, nil, "", `Modifier "Group"`},
		{"identifier modifier", "/fhir/Observation?patient:identifier=MRN100001", 400, nil, "", `Modifier "identifier"`},
		{"bad id in list", "/fhir/Observation?patient=child-01,bad_id", 400, nil, "", "not a supported reference"},
		{"dot id", "/fhir/Observation?patient=..", 400, nil, "", "not a supported reference"},
		{"empty value", "/fhir/Observation?patient=", 400, nil, "", "Empty"},
		{"empty list item", "/fhir/Observation?patient=child-01,,child-02", 400, nil, "", "Empty"},
		{"control char", "/fhir/Observation?patient=child-01&code=a%00b", 400, nil, "", "malformed"},
		{"too many values", "/fhir/Observation?patient=" + many, 400, nil, "", "Too many"},
		{"encounter ref", "/fhir/Observation?patient=child-01&encounter=enc-1", 0, []string{"child-01"}, "_count=50&encounter=Encounter%2Fenc-1&patient=Patient%2Fchild-01", ""},
		{"encounter names a patient", "/fhir/Observation?patient=child-01&encounter=Patient/child-02", 403, nil, "", "must name one of Encounter"},

		// searches naming no patient
		{"compartment search, no patient", "/fhir/Observation?code=2345-7", 403, nil, "", "must name a patient"},
		{"compartment search, nothing", "/fhir/Encounter", 403, nil, "", "must name a patient"},
		{"patient search, nothing", "/fhir/Patient", 0, nil, "_count=50", ""},
		{"patient search by name", "/fhir/Patient?name:exact=Alder&gender=female&birthdate=ge2015-01-01", 0, nil,
			"_count=50&birthdate=ge2015-01-01&gender=female&name%3Aexact=Alder", ""},
		{"patient _id", "/fhir/Patient?_id=child-01,child-02&_id=child-03", 0, []string{"child-01", "child-02", "child-03"}, "", ""},
		{"patient bad _id", "/fhir/Patient?_id=a/b", 400, nil, "", "not a valid FHIR id"},

		// unknown parameters and modifiers
		{"unknown param", "/fhir/Observation?patient=child-01&foo=bar", 400, nil, "", `"foo"`},
		{"param of another type", "/fhir/Patient?patient=child-01", 400, nil, "", `"patient"`},
		{"chained", "/fhir/Observation?patient.name=Alder", 400, nil, "", `"patient.name"`},
		{"has", "/fhir/Patient?_has:Observation:patient:code=1", 400, nil, "", `"_has:Observation:patient:code"`},
		{"vetted include", "/fhir/Observation?patient=child-01&_include=Observation:subject", 0, []string{"child-01"},
			"_count=50&_include=Observation%3Asubject&patient=Patient%2Fchild-01", ""},
		{"include with target", "/fhir/Observation?patient=child-01&_include=Observation:performer:Practitioner", 0, []string{"child-01"},
			"_count=50&_include=Observation%3Aperformer&patient=Patient%2Fchild-01", ""},
		{"include of another type", "/fhir/Observation?patient=child-01&_include=Encounter:patient", 400, nil, "", "must be Observation"},
		{"unvetted include", "/fhir/Observation?patient=child-01&_include=Observation:code", 400, nil, "", "not a vetted join"},
		{"include wildcard", "/fhir/Observation?patient=child-01&_include=*", 400, nil, "", "must be Observation"},
		{"include iterate", "/fhir/Observation?patient=child-01&_include:iterate=Observation:subject", 400, nil, "", "vetted _include"},
		{"revinclude", "/fhir/Patient?_id=child-01&_revinclude=Observation:subject", 400, nil, "", "vetted _include"},
		{"summary count", "/fhir/Observation?patient=child-01&_summary=count", 400, nil, "", "counts"},
		{"total accurate", "/fhir/Observation?patient=child-01&_total=accurate", 400, nil, "", "counts"},
		{"count zero", "/fhir/Observation?patient=child-01&_count=0", 400, nil, "", "between 1"},
		{"performer patient", "/fhir/Observation?patient=child-01&performer=Patient/child-10", 0, []string{"child-01", "child-10"}, "", ""},
		{"performer bare id", "/fhir/Observation?patient=child-01&performer=child-10", 400, nil, "", "not a supported reference"},
		{"performer typed id", "/fhir/Observation?patient=child-01&performer:Patient=child-10", 0, []string{"child-01", "child-10"}, "", ""},
		{"author of a note", "/fhir/DocumentReference?author=Patient/child-02", 0, []string{"child-02"}, "", ""},
		{"author practitioner only", "/fhir/DocumentReference?author=Practitioner/dr-patel", 403, nil, "", "must name a patient"},
		{"diagnostic report", "/fhir/DiagnosticReport?subject=child-03&_include=DiagnosticReport:result", 0, []string{"child-03"}, "", ""},
		{"directory search", "/fhir/Practitioner?name=Patel", 0, nil, "_count=50&name=Patel", ""},
		{"directory param of compartment", "/fhir/Practitioner?patient=child-01", 400, nil, "", `"patient"`},
		{"escaped comma in token", "/fhir/Observation?patient=child-01&code=a%5C,b", 400, nil, "", "Escaped"},
		{"page token", "/fhir/Observation?patient=child-01&_page=abc", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"unvetted string modifier", "/fhir/Patient?name:missing=true", 400, nil, "", `Modifier "missing"`},
		{"format", "/fhir/Patient?_format=xml", 406, nil, "", "Only JSON"},
		{"format fhir+xml", "/fhir/Patient?_format=application/fhir%2Bxml", 406, nil, "", "Only JSON"},
		{"access token in query", "/fhir/Patient?access_token=x", 400, nil, "", `"access_token"`},
		{"semicolon", "/fhir/Observation?patient=child-01;foo=1", 400, nil, "", "cannot be parsed"},
		{"bad escape", "/fhir/Observation?patient=%zz", 400, nil, "", "cannot be parsed"},
		{"bad date prefix", "/fhir/Patient?birthdate=xx2015", 400, nil, "", "date"},
		{"date-time", "/fhir/Patient?birthdate=2015-01-01T00:00:00Z", 0, nil, "", ""},

		// _count
		{"count capped", "/fhir/Observation?patient=child-01&_count=500", 0, []string{"child-01"}, "_count=50&patient=Patient%2Fchild-01", ""},
		{"count kept", "/fhir/Patient?_count=10&_offset=20", 0, nil, "_count=10&_offset=20", ""},
		{"negative count", "/fhir/Patient?_count=-1", 400, nil, "", "non-negative"},
		{"long query", "/fhir/Patient?name=" + strings.Repeat("a", maxQueryBytes), 400, nil, "", "longer than"},
		{"count list", "/fhir/Patient?_count=1,2", 400, nil, "", "non-negative"},
		{"count twice", "/fhir/Patient?_count=1&_count=2", 400, nil, "", "only once"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			req, rf := p.parse(u)
			if tc.status != 0 {
				if rf == nil {
					t.Fatalf("accepted %+v, want %d", req, tc.status)
				}
				if rf.Status != tc.status || !strings.Contains(rf.Diagnostics, tc.diag) {
					t.Fatalf("got %d %q, want %d containing %q", rf.Status, rf.Diagnostics, tc.status, tc.diag)
				}
				return
			}
			if rf != nil {
				t.Fatalf("refused %d %q", rf.Status, rf.Diagnostics)
			}
			if !slices.Equal(req.Patients, tc.patients) {
				t.Errorf("patients = %q, want %q", req.Patients, tc.patients)
			}
			if tc.query != "" && req.Query.Encode() != tc.query {
				t.Errorf("query = %q, want %q", req.Query.Encode(), tc.query)
			}
		})
	}
}

func TestParseInteraction(t *testing.T) {
	t.Parallel()
	p := testParser(t)
	for target, want := range map[string]string{"/fhir/Patient/x": gateway.Read, "/fhir/Patient?_id=x": gateway.Search,
		"/fhir/Observation/o/_history/2": gateway.VRead} {
		u, _ := url.Parse(target)
		req, rf := p.parse(u)
		if rf != nil || req.Interaction != want {
			t.Errorf("%s: got %+v %v, want %s", target, req, rf, want)
		}
	}
}

func TestPatientsInResource(t *testing.T) {
	t.Parallel()
	p := testParser(t)
	tests := []struct {
		raw  string
		want []string
		err  bool
	}{
		{`{"reference":"Patient/child-01"}`, []string{"child-01"}, false},
		{`{"reference":"http://ehr.internal:8081/fhir/Patient/child-01/_history/3"}`, []string{"child-01"}, false},
		{`[{"reference":"Practitioner/p"},{"reference":"Patient/child-02"}]`, []string{"child-02"}, false},
		{`{"reference":"Group/g1"}`, nil, false},
		{`{"reference":"Patient/child-01","type":"Group"}`, nil, true},
		{`{"reference":"#contained"}`, nil, true},
		{`{"type":"Patient","identifier":{"value":"MRN1"}}`, nil, true},
		{`{"display":"someone"}`, nil, true},
		{`{"type":"Practitioner","identifier":{"value":"x"}}`, nil, false},
		{`{"reference":"http://other.example/fhir/Patient/child-01"}`, nil, true},
		{`"Patient/child-01"`, nil, true},
		{`null`, nil, false},
	}
	for _, tc := range tests {
		got, err := p.refs.patientsIn([]byte(tc.raw), nil, nil)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q, err=%v", tc.raw, got, err, tc.want, tc.err)
		}
	}
}

func TestMethodOverrideHeadersAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, name := range []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "x-http-method-override"} {
		r := e.do(t, http.MethodGet, "/fhir/Patient/child-01", "tok-pcp", http.Header{http.CanonicalHeaderKey(name): {"DELETE"}})
		if r.status != http.StatusBadRequest || r.outcome(t).Code != codeNotSupported {
			t.Errorf("%s: got %d %s", name, r.status, r.body)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		for _, path := range []string{"/fhir/Patient/child-01", "/fhir/Patient", "/fhir/", "/fhir/Patient/_search"} {
			if m == http.MethodPost && path == "/fhir/Patient/_search" {
				path = "/fhir/Patient/child-01/_search" // POST _search itself is TestPostSearch's
			}
			r := e.do(t, m, path, "tok-pcp", nil)
			if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
				t.Errorf("%s %s: got %d, Allow %q", m, path, r.status, r.header.Get("Allow"))
			}
			if m != http.MethodHead {
				r.outcome(t)
			}
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("upstream received %d requests, want 0", n)
	}
	if got, want := len(e.audit.records()), 4+6*4; got != want {
		t.Errorf("audit records = %d, want %d", got, want)
	}
}
