package test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/login"
)

// The gateway must release the same thing whichever FHIR server it fronts. These tests put one
// gateway in front of the demo EHR and another in front of Medplum, both loaded with the same
// world, send both the same requests as the same users, and compare what each releases: the
// resource ids, the statuses, the refusals' issues, and that every link and fullUrl points at
// the gateway and nothing of the upstream (its base, its error texts) reaches the caller.

// upstreamServer is a FHIR server, outside the gateway, that a gateway under test fronts.
type upstreamServer struct {
	name, base, token string
	// stop takes the server down.
	stop func()
}

// startDemoEHR serves the demo EHR in the test process, as an upstream of its own rather than
// the one demo mode embeds, so that both upstreams are configured the same way.
func startDemoEHR(t *testing.T) upstreamServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := upstreamServer{name: "demo-ehr", base: "http://" + ln.Addr().String() + "/fhir", token: randomString(t)}
	h, err := ehr.NewServer(ehr.Seed(), ehr.Options{BaseURL: u.base, BearerToken: u.token, DefaultCount: 20, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	u.stop = func() { _ = srv.Close() }
	t.Cleanup(u.stop)
	return u
}

func startMedplumUpstream(t *testing.T) upstreamServer {
	t.Helper()
	m := startMedplumServer(t)
	return upstreamServer{name: "medplum", base: m.base, token: m.token, stop: m.stop}
}

// compareScopes asks for every type the gateway serves.
const compareScopes = "user/Patient.rs user/Observation.rs user/Encounter.rs user/MedicationRequest.rs " +
	"user/DocumentReference.rs user/Binary.rs user/DiagnosticReport.rs user/Practitioner.rs " +
	"user/PractitionerRole.rs user/Organization.rs"

// fronted is a gateway in front of one upstream, with access tokens of the demo users.
type fronted struct {
	up     upstreamServer
	g      *gateway
	tokens map[string]string
}

// frontBoth starts a gateway (embedded Redis) in front of each upstream and signs users in.
func frontBoth(t *testing.T, ups []upstreamServer, users ...string) []*fronted {
	t.Helper()
	var out []*fronted
	for _, up := range ups {
		f := &fronted{up: up, tokens: map[string]string{}}
		f.g = startGatewayWith(t, gatewayOptions{Env: []string{
			"MYPATIENTS_UPSTREAM_URL=" + up.base, "MYPATIENTS_UPSTREAM_BEARER_TOKEN=" + up.token,
		}})
		for _, user := range users {
			idp := "accounts"
			if user == "hospdoc" {
				idp = "childrens"
			}
			opts := f.g.loginOptions()
			opts.Scope = compareScopes
			tok, err := login.Login(context.Background(), opts, idp, user, f.g.password)
			if err != nil {
				t.Fatalf("%s: login %s: %v", up.name, user, err)
			}
			f.tokens[user] = tok.AccessToken
		}
		out = append(out, f)
	}
	return out
}

// released is what a gateway released for one request, reduced to what must not depend on the
// upstream.
type released struct {
	status int
	// total is the first page's Bundle.total; -1 when absent or not a Bundle.
	total int
	// ids are the "Type/id" of a read's resource or of every match entry of every page of a
	// search, sorted: upstreams may order results differently.
	ids []string
	// included are the "Type/id" of the include entries, sorted.
	included []string
	// issues are a refusal's OperationOutcome issues.
	issues []string
}

// fetch sends one request and follows next links, checking every body for upstream leaks.
func (f *fronted) fetch(t *testing.T, user, method, path, form string) released {
	t.Helper()
	out := released{total: -1}
	next := f.g.base + "/fhir" + path
	for page := 0; next != ""; page++ {
		if page == 30 {
			t.Fatalf("%s: %s: more than 30 pages", f.up.name, path)
		}
		status, body := f.do(t, user, method, next, form)
		method, form = http.MethodGet, "" // next links are GET searches
		if page == 0 {
			out.status = status
		} else if status != http.StatusOK {
			t.Fatalf("%s: %s: page %d: status %d: %.300s", f.up.name, path, page, status, body)
		}
		f.checkNoUpstream(t, path, body)
		var doc struct {
			ResourceType, ID string
			Total            *int
			Link             []bundleLink
			Entry            []struct {
				FullURL  string
				Resource struct{ ResourceType, ID string }
				Search   struct{ Mode string }
			}
			Issue []struct{ Severity, Code, Diagnostics string }
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %s: body is not JSON: %.300s", f.up.name, path, body)
		}
		next = ""
		switch doc.ResourceType {
		case "Bundle":
			if page == 0 && doc.Total != nil {
				out.total = *doc.Total
			}
			for _, e := range doc.Entry {
				if e.Search.Mode == "include" {
					out.included = append(out.included, e.Resource.ResourceType+"/"+e.Resource.ID)
				} else {
					out.ids = append(out.ids, e.Resource.ResourceType+"/"+e.Resource.ID)
				}
				if want := f.g.base + "/fhir/" + e.Resource.ResourceType + "/" + e.Resource.ID; e.FullURL != want {
					t.Errorf("%s: %s: fullUrl %q, want %q", f.up.name, path, e.FullURL, want)
				}
			}
			for _, l := range doc.Link {
				if !strings.HasPrefix(l.URL, f.g.base+"/fhir/") {
					t.Errorf("%s: %s: link %s=%q is not under the gateway's base", f.up.name, path, l.Relation, l.URL)
					continue // never follow it: it would carry the user's token elsewhere
				}
				if l.Relation == "next" {
					next = l.URL
				}
			}
		case "OperationOutcome":
			for _, text := range upstreamErrors {
				if strings.Contains(string(body), text) {
					t.Errorf("%s: %s: the refusal carries the upstream's %q: %.300s", f.up.name, path, text, body)
				}
			}
			for _, i := range doc.Issue {
				out.issues = append(out.issues, i.Severity+"|"+i.Code+"|"+i.Diagnostics)
			}
		default:
			out.ids = append(out.ids, doc.ResourceType+"/"+doc.ID)
		}
	}
	slices.Sort(out.ids)
	slices.Sort(out.included)
	out.included = slices.Compact(out.included)
	return out
}

type bundleLink struct{ Relation, URL string }

// do makes one request as user to an absolute gateway URL; form, when set, is a POST body.
func (f *fronted) do(t *testing.T, user, method, target, form string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// upstreamErrors are fragments of the upstreams' own OperationOutcomes.
var upstreamErrors = []string{
	`"text":"Not found"`, `"text":"Unauthorized"`, "Unknown search parameter: ", "All OK", `"details":{"text"`, // Medplum (the gateway's own details start with "coding")
	"is not known", "A valid bearer token is required", "not allowed here", // the demo EHR
}

// checkNoUpstream fails when body carries the upstream's address or credential.
func (f *fronted) checkNoUpstream(t *testing.T, path string, body []byte) {
	t.Helper()
	u, err := url.Parse(f.up.base)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{u.Host, f.up.token} {
		if strings.Contains(string(body), leak) {
			t.Errorf("%s: %s: the released body carries %q: %.300s", f.up.name, path, leak, body)
		}
	}
}
