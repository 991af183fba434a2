package app

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// env is the app served over real HTTP next to a fake gateway.
type env struct {
	gw  *fakeGateway
	app *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	gw := newFakeGateway(t)
	srv := httptest.NewUnstartedServer(nil)
	gw.redirectURI = "http://" + srv.Listener.Addr().String() + "/callback"
	h, err := New(Options{
		RedirectURI: gw.redirectURI, ClientID: "demo-app", GatewayBase: gw.srv.URL,
		HTTPClient: gw.srv.Client(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{gw: gw, app: srv}
}

// browser is a client with a cookie jar; follow says whether it follows redirects.
func browser(t *testing.T, follow bool) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// get fetches path from the app and returns status and body.
func (e *env) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(e.app.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp, string(b)
}

// signIn runs the whole flow in a redirect-following browser and returns it with the page it
// ends on.
func (e *env) signIn(t *testing.T) (*http.Client, *http.Response, string) {
	t.Helper()
	c := browser(t, true)
	resp, body := e.get(t, c, "/login")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/patients" {
		t.Fatalf("sign-in ended at %s with %d: %s", resp.Request.URL, resp.StatusCode, body)
	}
	return c, resp, body
}

// startLogin sends a browser to /login and returns the authorization request it was sent to.
func (e *env) startLogin(t *testing.T, c *http.Client) *url.URL {
	t.Helper()
	resp, body := e.get(t, c, "/login")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("/login: status %d, want 303: %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAuthorizeRedirectCarriesSMARTParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t, false)
	first := e.startLogin(t, c)
	second := e.startLogin(t, c)

	if got := first.Scheme + "://" + first.Host + first.Path; got != e.gw.srv.URL+"/oauth/authorize" {
		t.Errorf("redirected to %s, want the discovered authorization endpoint", got)
	}
	q := first.Query()
	want := map[string]string{
		"response_type": "code", "client_id": "demo-app", "redirect_uri": e.gw.redirectURI,
		"aud": e.gw.fhirBase(), "code_challenge_method": "S256", "scope": DefaultScope,
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("code_challenge")) != 43 {
		t.Errorf("code_challenge %q is not a base64url SHA-256 digest", q.Get("code_challenge"))
	}
	if len(q.Get("state")) < 32 {
		t.Errorf("state %q is too short to be unguessable", q.Get("state"))
	}
	if q.Get("code_verifier") != "" {
		t.Error("the verifier leaked into the authorization request")
	}
	sq := second.Query()
	if sq.Get("state") == q.Get("state") || sq.Get("code_challenge") == q.Get("code_challenge") {
		t.Error("two sign-ins reused state or PKCE challenge")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, _ := e.get(t, browser(t, false), "/login")
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name != sessionCookie {
			continue
		}
		found = true
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || len(ck.Value) < 43 {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, 256-bit value", ck)
		}
	}
	if !found {
		t.Fatal("/login set no session cookie")
	}
}

func TestSignInListsPatients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, body := e.signIn(t)
	text := html.UnescapeString(body)
	for _, want := range []string{
		"Ada Lovelace", "MRN100001", "2015-06-01", `href="/patients/child-01"`, "child-02",
		"user/Patient.rs user/Encounter.rs", // the scope the gateway granted, not the one asked for
	} {
		if !strings.Contains(text, want) {
			t.Errorf("patient list lacks %q", want)
		}
	}
	if strings.Contains(body, e.gw.token) {
		t.Error("the page shows the access token")
	}
	if _, _, fhir := e.gw.snapshot(); len(fhir) != 1 || fhir[0] != "/fhir/Patient?_count=50" {
		t.Errorf("FHIR calls %q, want one Patient search with _count=50", fhir)
	}
}

func TestHostileFHIRDataIsEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, body := e.signIn(t)
	if strings.Contains(body, hostileName) || strings.Contains(body, "<script") {
		t.Fatal("a patient name from FHIR was written into the page as markup")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; Smith") {
		t.Error("the hostile name is not shown escaped")
	}
}
