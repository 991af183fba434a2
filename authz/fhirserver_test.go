package authz_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// gatewayToken is the credential the gateway presents to the test upstream.
const gatewayToken = "test-gateway-token"

// fhirServer is a small FHIR R4 server over real HTTP serving the resources of
// testdata/upstream.json: reads by id, and PractitionerRole searches by practitioner or
// organization, in pages of one resource with absolute next links as real servers write them.
type fhirServer struct {
	*httptest.Server
	base      string
	resources map[string]json.RawMessage
	order     []string
	requests  atomic.Int64
	// failWith, when non-zero, is the status every request gets.
	failWith atomic.Int32
}

func newFHIRServer(t testing.TB) *fhirServer {
	t.Helper()
	s := &fhirServer{resources: map[string]json.RawMessage{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.base = s.URL + "/fhir"
	raw, err := os.ReadFile("testdata/upstream.json")
	if err != nil {
		t.Fatal(err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), "{{base}}", s.base)), &list); err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		var head struct{ ResourceType, ID string }
		if err := json.Unmarshal(r, &head); err != nil {
			t.Fatal(err)
		}
		key := head.ResourceType + "/" + head.ID
		s.resources[key] = r
		s.order = append(s.order, key)
	}
	return s
}

func (s *fhirServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	switch {
	case s.failWith.Load() != 0:
		writeJSON(w, int(s.failWith.Load()), map[string]any{"resourceType": "OperationOutcome"})
		return
	case r.Header.Get("Authorization") != "Bearer "+gatewayToken:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"resourceType": "OperationOutcome"})
		return
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"resourceType": "OperationOutcome"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/fhir/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if path == "PractitionerRole" {
		s.searchRoles(w, r)
		return
	}
	res, ok := s.resources[path]
	if !ok || r.URL.RawQuery != "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"resourceType": "OperationOutcome"})
		return
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Write(res)
}

// searchRoles answers PractitionerRole?practitioner=... or ?organization=..., with _count;
// like a strict server, it refuses any other parameter. It pages by one whatever _count asks,
// as a server with a small maximum page size does.
func (s *fhirServer) searchRoles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	q.Del("page")
	q.Del("_count")
	if len(q) != 1 || (q.Get("practitioner") == "" && q.Get("organization") == "") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"resourceType": "OperationOutcome"})
		return
	}
	var matches []json.RawMessage
	for _, key := range s.order {
		var role struct {
			ResourceType string
			Practitioner struct{ Reference string }
			Organization struct{ Reference string }
		}
		json.Unmarshal(s.resources[key], &role)
		if role.ResourceType != "PractitionerRole" {
			continue
		}
		who := strings.TrimPrefix(role.Practitioner.Reference, s.base+"/")
		org := strings.TrimPrefix(role.Organization.Reference, s.base+"/")
		if (q.Has("practitioner") && who == q.Get("practitioner")) || (q.Has("organization") && org == q.Get("organization")) {
			matches = append(matches, s.resources[key])
		}
	}
	const pageSize = 1
	bundle := map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(matches)}
	var entries []any
	for i := page * pageSize; i < len(matches) && i < (page+1)*pageSize; i++ {
		entries = append(entries, map[string]any{"resource": matches[i], "search": map[string]any{"mode": "match"}})
	}
	bundle["entry"] = entries
	if (page+1)*pageSize < len(matches) {
		next := fmt.Sprintf("%s/PractitionerRole?%s&page=%d", s.base, q.Encode(), page+1)
		bundle["link"] = []any{map[string]any{"relation": "next", "url": next}}
	}
	writeJSON(w, http.StatusOK, bundle)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
