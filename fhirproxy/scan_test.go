package fhirproxy

import (
	"errors"
	"net/url"
	"testing"
)

// TestScanResourceProblems: what makes a resource that is valid JSON unreleasable, found in
// the one pass, at any depth; and what the pass finds in a clean one.
func TestScanResourceProblems(t *testing.T) {
	t.Parallel()
	up, _ := url.Parse("http://ehr.internal:8081/fhir")
	pub, _ := url.Parse("http://gw.example:8080/fhir")
	sc := newScrubber(up, pub)
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"clean", `{"resourceType":"Observation","subject":{"reference":"Patient/a"},"x":[{"y":1}]}`, nil},
		{"repeated at the top", `{"id":"a","id":"b"}`, errDuplicateKey},
		{"repeated below", `{"code":{"coding":[{"code":"1","code":"2"}]}}`, errDuplicateKey},
		{"repeated when decoded", `{"a":{"ref":1,"r\u0065f":2}}`, errDuplicateKey},
		{"repeated once rewritten", `{"x":{"ehr.internal:8081":1,"gw.example:8080":2}}`, errDuplicateKey},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", errBadUTF8},
		{"a reference that is no string", `{"subject":{"reference":{"x":"Patient/a"}}}`, errNotString},
		{"a contained Patient", `{"contained":[{"resourceType":"Pati\u0065nt","id":"p"}]}`, errContainedPatient},
	} {
		s := scanner{buf: []byte(tc.in)}
		rs := scanResource(&s, newScanState(sc, s.buf))
		if s.end(); s.err != nil || !errors.Is(rs.problem, tc.want) || (tc.want == nil) != (rs.problem == nil) {
			t.Errorf("%s: problem %v (syntax %v), want %v", tc.name, rs.problem, s.err, tc.want)
		}
	}
}

// TestPlainRun holds the eight-bytes-at-a-time plainRun to a loop over single bytes, for
// every byte value at every position of the first words, each followed by a byte that is
// special or is not (a wrapping subtraction flags the byte above it).
func TestPlainRun(t *testing.T) {
	t.Parallel()
	slow := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return i
			}
		}
		return len(b)
	}
	for n := range 20 {
		for at := range n {
			for c := range 256 {
				for _, second := range []int{-1, 0x00, 0x1f, 0x20, '"', '#', '\\', 0x7f, 0x80, 0xff} {
					b := []byte("abcdefghijklmnopqrstuvwxyz"[:n])
					b[at] = byte(c)
					if second >= 0 && at+1 < n {
						b[at+1] = byte(second)
					}
					if got, want := plainRun(b), slow(b); got != want {
						t.Fatalf("%q: plainRun %d, want %d", b, got, want)
					}
				}
			}
		}
	}
}

// TestScanResourceFields: the top-level members a scan keeps, read back by name, whatever the
// whitespace around them, escapes in their names or upstream addresses in them.
func TestScanResourceFields(t *testing.T) {
	t.Parallel()
	up, _ := url.Parse("http://ehr.internal:8081/fhir")
	pub, _ := url.Parse("http://gw.example:8080/fhir")
	sc := newScrubber(up, pub)
	in := " {\n  \"resourceType\" : \"Observation\" ,\n\t\"i\\u0064\":\"o-1\", \"ehr.internal\": [1, 2],\r\n" +
		"  \"subject\": {\"reference\": \"Patient/a\"}, \"x\":null }"
	s := scanner{buf: []byte(in)}
	rs := scanResource(&s, newScanState(sc, s.buf))
	if s.end(); s.err != nil || rs.problem != nil {
		t.Fatalf("scan: %v, problem %v", s.err, rs.problem)
	}
	for name, want := range map[string]string{
		"resourceType": `"Observation"`, "id": `"o-1"`, "gw.example": `[1, 2]`,
		"subject": `{"reference": "Patient/a"}`, "x": "null", "ehr.internal": "", "i\\u0064": "",
	} {
		if got := rs.fields.get(name); string(got) != want || (want == "") != (got == nil) {
			t.Errorf("get(%q) = %q, want %q", name, got, want)
		}
	}
}
