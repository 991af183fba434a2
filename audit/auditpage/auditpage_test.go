package auditpage

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/provider"
	"github.com/mypatients/gateway/accounts/sealed"
	"github.com/mypatients/gateway/accounts/secondfactor"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/demo/login"
	"github.com/mypatients/gateway/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// pageWorld is the page in front of a trail, with a real OpenID Provider (the demo one) that
// knows a privacy officer and a physician.
type pageWorld struct {
	base  string
	trail *audit.Trail
}

func newPageWorld(t *testing.T, claim string) *pageWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rdb := redistest.Embedded(t).Client
	mux := http.NewServeMux()
	page := httptest.NewServer(mux)
	t.Cleanup(page.Close)
	opMux := http.NewServeMux()
	op := httptest.NewServer(opMux)
	t.Cleanup(op.Close)
	h, err := testProvider(ctx, rdb, op.URL, page.URL+Path+"callback")
	if err != nil {
		t.Fatal(err)
	}
	opMux.Handle("/", h)
	w := &pageWorld{base: page.URL, trail: audit.NewTrail(rdb, audit.TrailOptions{Prefix: "t:", Stream: "audit"})}
	o := Options{Trail: w.trail, Mapper: auditevent.New(page.URL), BaseURL: page.URL, Redis: rdb, Prefix: "t:",
		IdP:   IdP{ID: "childrens", Issuer: op.URL, ClientID: "gw", ClientSecret: "s3cret"},
		Users: []string{"childrens:c-privacy"}}
	if claim != "" {
		o.Users, o.Claim, o.Value = nil, "name", claim
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	p.Register(mux)
	for i, r := range []audit.Record{
		{RequestID: "R1", Event: "fhir.read", User: "accounts:u-pcp", Username: "pcp", Patients: []string{"child-01"}, Disclosed: []string{"child-01"},
			Interaction: "read", Resource: "Patient/child-01", Decision: "allow", Status: 200, Basis: map[string]string{"child-01": "pcp"}},
		{RequestID: "R2", Event: "fhir.read", User: "accounts:u-specialist", Patients: []string{"child-01"}, Interaction: "read",
			Resource: "Patient/child-01", Decision: "deny", Reason: "not_pcp", Status: 403},
		{RequestID: "R3", Event: "fhir.read", User: "accounts:u-pcp", Patients: []string{"child-02"}, Disclosed: []string{"child-02"},
			Interaction: "read", Resource: "Patient/child-02", Decision: "allow", Status: 200},
	} {
		r.Time = time.Now().Add(time.Duration(i-10) * time.Minute)
		if err := w.trail.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// testProvider is Children's ID for the page: the accounts provider with a privacy officer
// and a physician, who sign in with a password alone (exempt from the second factor).
func testProvider(ctx context.Context, rdb redis.UniversalClient, issuer, redirect string) (*provider.Provider, error) {
	store := accounts.NewStore(rdb, "op:", nil)
	users := []accounts.Profile{{ID: "childrens:c-privacy", Kind: accounts.KindClinician, Username: "privacy", Name: "Pat Privacy", Exempt: true},
		{ID: "childrens:c-hospdoc", Kind: accounts.KindClinician, Username: "hospdoc", Name: "Dr. Haddad", Exempt: true}}
	for _, u := range users {
		if err := errors.Join(store.SaveProfile(ctx, u), store.Claim(ctx, u.Username, u.ID)); err != nil {
			return nil, err
		}
	}
	if err := store.SeedPassword(ctx, "pw-for-tests", users...); err != nil {
		return nil, err
	}
	totpKey, _ := sealed.Derive(sealed.Generate(), "totp")
	factors, err := secondfactor.New(rdb, secondfactor.Options{Prefix: "op:", TOTPKey: totpKey})
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return provider.New(ctx, provider.Config{Issuer: issuer, Name: "Children's ID", IDPrefix: "childrens",
		Clients:  []provider.Client{{ID: "gw", Secret: "s3cret", RedirectURIs: []string{redirect}}},
		Accounts: store, Factors: factors, Audit: audit.NewTrail(rdb, audit.TrailOptions{Prefix: "op:", Stream: "audit"}), SigningKey: key})
}

// signIn signs username in through the page and the provider's form, as a browser would, and
// returns the browser and the page it ends on.
func (w *pageWorld) signIn(t *testing.T, username string) (*http.Client, int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	status, page, err := login.AtIdP(context.Background(), c, w.base+Path+"login", username, "pw-for-tests")
	if err != nil {
		t.Fatalf("sign in %s: %v", username, err)
	}
	return c, status, page
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuditorSignsInAndAsks(t *testing.T) {
	t.Parallel()
	w := newPageWorld(t, "")
	if status, page := get(t, http.DefaultClient, w.base+Path+"?q=refusals"); status != 200 || !strings.Contains(page, "Sign in") || strings.Contains(page, "not_pcp") {
		t.Fatalf("the page answered without a sign-in (%d): %s", status, page)
	}
	c, status, page := w.signIn(t, "privacy")
	if status != 200 || !strings.Contains(page, "Pat Privacy") || !strings.Contains(page, "Every access to a patient") {
		t.Fatalf("after sign-in (%d): %s", status, page)
	}
	// The accounting of disclosures for child-01 lists pcp's read and not the refusal.
	_, page = get(t, c, w.base+Path+"?q=patient&patient=child-01")
	if !strings.Contains(page, "1 record<") || !strings.Contains(page, "accounts:u-pcp (pcp)") || strings.Contains(page, "not_pcp") {
		t.Errorf("accounting of disclosures: %s", page)
	}
	_, page = get(t, c, w.base+Path+"?q=refusals")
	if !strings.Contains(page, "not_pcp") || strings.Contains(page, "child-02") {
		t.Errorf("refusals: %s", page)
	}
	if status, page = get(t, c, w.base+Path+"?q=patient&patient=../etc"); status != 400 || !strings.Contains(page, "FHIR id") {
		t.Errorf("a bad patient id: %d %s", status, page)
	}
	// The export is NDJSON of AuditEvent, one per line.
	resp, err := c.Get(w.base + Path + "export?q=user&user=accounts:u-pcp")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines int
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev auditevent.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.ResourceType != "AuditEvent" {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if resp.Header.Get("Content-Type") != "application/fhir+ndjson" || lines != 2 {
		t.Errorf("export: %s, %d lines, want pcp's 2 reads", resp.Header.Get("Content-Type"), lines)
	}
	// Signing in and each question are in the trail, in the auditor's name.
	recs, _ := w.trail.Query(context.Background(), audit.Filter{User: "childrens:c-privacy"}, 0)
	var events []string
	for _, r := range recs {
		events = append(events, r.Event)
	}
	if strings.Join(events, " ") != "signin audit.query audit.query audit.export" {
		t.Errorf("the auditor's own records: %v", events)
	}
	// Signing out needs the session's CSRF token; then the page asks for a sign-in again.
	_, page = get(t, c, w.base+Path)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no sign-out form: %s", page)
	}
	if resp, err := c.PostForm(w.base+Path+"logout", url.Values{"csrf": {"forged"}}); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: %v %v", resp.StatusCode, err)
	}
	if resp, err := c.PostForm(w.base+Path+"logout", url.Values{"csrf": {csrf[1]}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-out: %v", err)
	}
	if _, page = get(t, c, w.base+Path+"?q=refusals"); !strings.Contains(page, "Sign in") || strings.Contains(page, "not_pcp") {
		t.Errorf("after signing out: %s", page)
	}
}

// TestNonAuditorIsRefused: a hospital user without the role signs in and is refused, and the
// refusal is recorded.
func TestNonAuditorIsRefused(t *testing.T) {
	t.Parallel()
	w := newPageWorld(t, "")
	c, status, page := w.signIn(t, "hospdoc")
	if status != http.StatusForbidden || !strings.Contains(page, "Not an auditor") {
		t.Fatalf("hospdoc: %d %s", status, page)
	}
	if status, page := get(t, c, w.base+Path+"?q=refusals"); status != 200 || !strings.Contains(page, "Sign in") {
		t.Errorf("hospdoc got a session: %d %s", status, page)
	}
	recs, _ := w.trail.Query(context.Background(), audit.Filter{User: "childrens:c-hospdoc", Refusals: true}, 0)
	if len(recs) != 1 || recs[0].Event != "signin.failure" || recs[0].Reason != "not_auditor" {
		t.Errorf("refused sign-in records: %+v", recs)
	}
}

// TestAuditorRoleByClaim gives the role by an ID-token claim instead of a list.
func TestAuditorRoleByClaim(t *testing.T) {
	t.Parallel()
	w := newPageWorld(t, "Dr. Haddad")
	if _, status, page := w.signIn(t, "hospdoc"); status != 200 || !strings.Contains(page, "Every access to a patient") {
		t.Errorf("hospdoc with the claim: %d %s", status, page)
	}
	if _, status, _ := w.signIn(t, "privacy"); status != http.StatusForbidden {
		t.Errorf("privacy without the claim: %d", status)
	}
}
