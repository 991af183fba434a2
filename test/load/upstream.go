package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// cannedFHIR is the upstream both targets proxy to: a FHIR R4 server answering from memory
// exactly the requests the workloads and the gateway's authorizer make, as a real server
// would (searchset Bundles with fullUrl, search.mode, total, self and next links). Anything
// else is counted as unexpected and refused, so a harness that drifts from what the gateway
// sends shows up in the report rather than in quietly different figures.
type cannedFHIR struct {
	base  string // e.g. "http://127.0.0.1:4711/fhir"
	token string // the credential the proxies must send
	data  *dataset
	pages sync.Map // page key → searchset bytes

	calls, unexpected atomic.Int64
}

// stats is what GET /_stats answers: requests below /fhir so far.
type stats struct {
	Calls      int64 `json:"calls"`
	Unexpected int64 `json:"unexpected"`
}

func (u *cannedFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_stats" {
		writeJSON(w, http.StatusOK, stats{Calls: u.calls.Load(), Unexpected: u.unexpected.Load()})
		return
	}
	u.calls.Add(1)
	if r.Header.Get("Authorization") != "Bearer "+u.token {
		u.refuse(w, http.StatusUnauthorized, "missing or wrong credential")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/fhir/")
	if r.Method != http.MethodGet || !ok {
		u.refuse(w, http.StatusNotFound, "not served here")
		return
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] == "Patient":
		u.read(w, u.data.patients[parts[1]])
	case len(parts) == 2 && parts[0] == "PractitionerRole":
		u.read(w, u.data.role(parts[1]))
	case rest == "Observation":
		u.searchObservations(w, r.URL.Query())
	case rest == "PractitionerRole":
		u.searchRoles(w, r.URL.Query())
	default:
		u.refuse(w, http.StatusNotFound, "not served here")
	}
}

func (u *cannedFHIR) read(w http.ResponseWriter, body []byte) {
	if body == nil {
		u.refuse(w, http.StatusNotFound, "no such resource")
		return
	}
	writeFHIR(w, http.StatusOK, body)
}

// searchObservations answers Observation?patient= (or subject=) with _count and _offset.
func (u *cannedFHIR) searchObservations(w http.ResponseWriter, q url.Values) {
	p, err := parseSearch(q, "patient", "subject")
	if err != nil {
		u.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	patient := strings.TrimPrefix(p.filter, "Patient/")
	key := fmt.Sprintf("%s|%d|%d", patient, p.count, p.offset)
	if page, ok := u.pages.Load(key); ok {
		writeFHIR(w, http.StatusOK, page.([]byte))
		return
	}
	var matches []resource
	if patient == allowedPatient {
		matches = u.data.observations
	}
	page := u.searchset("Observation", url.Values{"patient": {"Patient/" + patient}}, matches, p)
	u.pages.Store(key, page)
	writeFHIR(w, http.StatusOK, page)
}

// searchRoles answers PractitionerRole?practitioner= or ?organization=, as the authorizer
// asks to learn a clinician's practice and its members.
func (u *cannedFHIR) searchRoles(w http.ResponseWriter, q url.Values) {
	p, err := parseSearch(q, "practitioner", "organization")
	if err != nil {
		u.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	var matches []resource
	for _, r := range u.data.roles {
		if sameRef(p.filter, r.practitioner, "Practitioner") || sameRef(p.filter, r.organization, "Organization") {
			matches = append(matches, resource{id: r.id, raw: r.raw})
		}
	}
	writeFHIR(w, http.StatusOK, u.searchset("PractitionerRole", url.Values{p.name: {p.filter}}, matches, p))
}

// sameRef reports whether a search value ("x" or "Type/x") names reference ref of type typ.
func sameRef(value, ref, typ string) bool {
	return ref != "" && (value == ref || typ+"/"+value == ref)
}

// search is a parsed search: one filter parameter and the page.
type search struct {
	name, filter  string
	count, offset int
}

// parseSearch accepts exactly one of the filter parameters, _count (default 20, at most
// 100) and _offset; any other parameter is an error, as under Prefer: handling=strict.
func parseSearch(q url.Values, filters ...string) (search, error) {
	s := search{count: 20}
	for name, vs := range q {
		if len(vs) != 1 {
			return s, fmt.Errorf("parameter %s given %d times", name, len(vs))
		}
		var err error
		switch {
		case name == "_count":
			s.count, err = strconv.Atoi(vs[0])
			s.count = min(s.count, 100)
		case name == "_offset":
			s.offset, err = strconv.Atoi(vs[0])
		case s.name == "" && slices.Contains(filters, name):
			s.name, s.filter = name, vs[0]
		default:
			return s, fmt.Errorf("unknown or repeated search parameter %s", name)
		}
		if err != nil || s.count < 1 || s.offset < 0 {
			return s, fmt.Errorf("bad value for %s", name)
		}
	}
	if s.name == "" {
		return s, fmt.Errorf("one of %v is required", filters)
	}
	return s, nil
}

// searchset writes one page of matches as a FHIR searchset Bundle.
func (u *cannedFHIR) searchset(typ string, query url.Values, matches []resource, s search) []byte {
	link := func(offset int) string {
		q := url.Values{"_count": {strconv.Itoa(s.count)}, "_offset": {strconv.Itoa(offset)}}
		for k, v := range query {
			q[k] = v
		}
		return u.base + "/" + typ + "?" + q.Encode()
	}
	end := min(s.offset+s.count, len(matches))
	start := min(s.offset, end)
	var b bytes.Buffer
	h := fnv.New64a()
	h.Write([]byte(link(s.offset)))
	fmt.Fprintf(&b, `{"resourceType":"Bundle","id":"%x","meta":{"lastUpdated":"2024-05-01T10:00:00Z"},"type":"searchset","total":%d,"link":[{"relation":"self","url":%q}`,
		h.Sum64(), len(matches), link(s.offset))
	if end < len(matches) {
		fmt.Fprintf(&b, `,{"relation":"next","url":%q}`, link(end))
	}
	b.WriteString(`],"entry":[`)
	for i, m := range matches[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"fullUrl":%q,"resource":%s,"search":{"mode":"match"}}`, u.base+"/"+typ+"/"+m.id, m.raw)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// refuse answers an OperationOutcome and counts the request as one the harness did not plan.
func (u *cannedFHIR) refuse(w http.ResponseWriter, status int, text string) {
	u.unexpected.Add(1)
	body, _ := json.Marshal(map[string]any{"resourceType": "OperationOutcome",
		"issue": []map[string]any{{"severity": "error", "code": "processing", "diagnostics": text}}})
	writeFHIR(w, status, body)
}

func (d *dataset) role(id string) []byte {
	for _, r := range d.roles {
		if r.id == id {
			return r.raw
		}
	}
	return nil
}

func writeFHIR(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/fhir+json;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
