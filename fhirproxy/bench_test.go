package fhirproxy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mypatients/gateway/upstream"
)

// Run with: go test ./fhirproxy -run '^$' -bench . -benchmem
// Each gateway benchmark has a baseline on the same input, so the report can give a ratio:
// BenchmarkParse against url.ParseQuery; BenchmarkFilterBundle (inspect, decide, release and
// encode a 200-entry searchset) against json.Unmarshal of the whole Bundle into any (what a
// naive proxy does before filtering anything) and against json.Valid (merely validating the
// bytes, the floor of any filter that checks what it releases).

const benchTarget = "/fhir/Observation?subject=http://gw.example:8080/fhir/Patient/child-01,Patient/child-02" +
	"&patient:Patient=child-03&category=laboratory&code=http://loinc.org|2345-7&date=ge2024-01-01&_count=20" +
	"&_include=Observation:performer"

func BenchmarkParse(b *testing.B) {
	p := testParser(b)
	u, err := url.Parse(benchTarget)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchTarget)))
	b.ReportAllocs()
	for b.Loop() {
		if _, rf := p.parse(u); rf != nil {
			b.Fatal(rf)
		}
	}
}

func BenchmarkParseBaselineParseQuery(b *testing.B) {
	u, err := url.Parse(benchTarget)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchTarget)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := url.ParseQuery(u.RawQuery); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBundle is a searchset of n Observations, one in eight of a patient the caller may not
// see, with absolute upstream links.
func benchBundle(base string, n int) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"resourceType":"Bundle","type":"searchset","total":%d,"link":[{"relation":"self","url":"%s/Observation?patient=Patient%%2Fchild-01"},{"relation":"next","url":"%s/Observation?patient=Patient%%2Fchild-01&_count=%d&_offset=%d"}],"entry":[`, n, base, base, n, n)
	for i := range n {
		patient := "child-01"
		if i%8 == 7 {
			patient = "child-10"
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"fullUrl":"%s/Observation/obs-%d","resource":{"resourceType":"Observation","id":"obs-%d","meta":{"versionId":"1","lastUpdated":"2024-05-01T10:00:00Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}],"text":"Glucose"},"subject":{"reference":"Patient/%s"},"performer":[{"reference":"%s/Practitioner/dr-patel"}],"effectiveDateTime":"2024-05-01T09:30:00Z","valueQuantity":{"value":%d,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}},"search":{"mode":"match"}}`, base, i, i, patient, base, 80+i%40)
	}
	sb.WriteString("]}")
	return []byte(sb.String())
}

func BenchmarkFilterBundle(b *testing.B) {
	up, err := upstream.New(upstream.Options{BaseURL: "http://ehr.internal:8081/fhir"})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Options{Upstream: up, PublicBase: "http://gw.example:8080/fhir", Authn: testCallers,
		Authz: &fakeAuthz{}, Audit: &memAudit{}})
	if err != nil {
		b.Fatal(err)
	}
	body := benchBundle("http://ehr.internal:8081/fhir", 200)
	caller := testCallers["tok-pcp"]
	req := &fhirRequest{Interaction: "search", Type: "Observation", Patients: []string{"child-01"},
		Query: canonQuery{{"_count", "200"}, {"patient", "Patient/child-01"}}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		out, rf := filterSearch(h, caller, req, body)
		if rf != nil || len(out.Entry) != 175 {
			b.Fatalf("filter: %v, %d entries", rf, len(out.Entry))
		}
		if a := encoded(out); a.rf != nil {
			b.Fatal(a.rf)
		}
	}
}

func BenchmarkFilterBundleBaselineUnmarshalAny(b *testing.B) {
	body := benchBundle("http://ehr.internal:8081/fhir", 200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilterBundleBaselineValid(b *testing.B) {
	body := benchBundle("http://ehr.internal:8081/fhir", 200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(body) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkFilterBundleBaselineScan merely validates the same bytes with the gateway's own
// scanner (jsonscan.go): the fastest validator here, and the floor of the filter.
func BenchmarkFilterBundleBaselineScan(b *testing.B) {
	body := benchBundle("http://ehr.internal:8081/fhir", 200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := scanner{buf: body}
		s.skip(0)
		if s.end(); s.err != nil {
			b.Fatal(s.err)
		}
	}
}
