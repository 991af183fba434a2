package ehr

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// testToken is the bearer credential of the test servers.
const testToken = "test-token-0123456789"

// testEHR is a demo EHR served over real HTTP on a free port.
type testEHR struct {
	t    *testing.T
	base string
	d    *Dataset
}

// startEHR serves a fresh Seed() with the test token; extra adjusts the options.
func startEHR(t *testing.T, extra func(*Options)) *testEHR {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String() + "/fhir"
	opts := Options{BaseURL: base, BearerToken: testToken}
	if extra != nil {
		extra(&opts)
	}
	d := Seed()
	srv, err := NewServer(d, opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return &testEHR{t: t, base: base, d: d}
}

// with returns e reporting to t, for use inside subtests.
func (e *testEHR) with(t *testing.T) *testEHR {
	c := *e
	c.t = t
	return &c
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the test token (unless headers set Authorization to "") and
// returns the response. path is relative to the base unless it is absolute.
func (e *testEHR) do(method, path string, body io.Reader, headers map[string]string) response {
	e.t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.base + "/" + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatalf("new request %s %s: %v", method, target, err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body of %s %s: %v", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// get is do with GET and no body.
func (e *testEHR) get(path string, headers map[string]string) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, nil, headers)
}

// testBundle is the part of a searchset Bundle the tests look at.
type testBundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        int    `json:"total"`
	Link         []struct {
		Relation, URL string
	} `json:"link"`
	Entry []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
		Search   struct{ Mode string }
	} `json:"entry"`
}

// link returns the URL of a relation, or "".
func (b testBundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// ids returns "Type/id" of the entries with the given search mode.
func (b testBundle) ids(mode string) []string {
	out := []string{}
	for _, e := range b.Entry {
		if e.Search.Mode == mode {
			out = append(out, e.Resource["resourceType"].(string)+"/"+e.Resource["id"].(string))
		}
	}
	return out
}

// search GETs a search and decodes its Bundle, failing unless the status is 200.
func (e *testEHR) search(path string) testBundle {
	e.t.Helper()
	resp := e.get(path, nil)
	if resp.status != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, body %s", path, resp.status, resp.body)
	}
	return decodeBundle(e.t, resp.body)
}

// decodeBundle decodes a searchset Bundle.
func decodeBundle(t *testing.T, body []byte) testBundle {
	t.Helper()
	var b testBundle
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("decode bundle: %v\n%s", err, body)
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" {
		t.Fatalf("not a searchset Bundle: %s", body)
	}
	return b
}

// decodeObject decodes a JSON object body.
func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	return m
}

// matching returns "Type/id" of every resource of typ in the dataset for which keep holds,
// in search order: the expected answer computed without the server.
func matching(d *Dataset, typ string, keep func(doc map[string]any) bool) []string {
	out := []string{}
	for _, r := range d.byType[typ] {
		if keep(r.doc) {
			out = append(out, typ+"/"+r.id)
		}
	}
	return out
}

// refIs reports whether doc's element name is a Reference to target ("Patient/child-01").
func refIs(doc map[string]any, name, target string) bool {
	m, _ := doc[name].(map[string]any)
	return m["reference"] == target
}

// searchPath encodes parameters for a search path.
func searchPath(typ string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return typ + "?" + v.Encode()
}
