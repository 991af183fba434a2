package app

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDiscoveryIsRetriedUntilTheGatewayAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.gw.down.Store(true)
	c := browser(t, false)
	resp, body := e.get(t, c, "/login")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not answering yet") {
		t.Fatalf("gateway down: status %d, want 503 saying so: %s", resp.StatusCode, body)
	}
	e.gw.down.Store(false)
	if u := e.startLogin(t, c); u.Path != "/oauth/authorize" {
		t.Errorf("after the gateway came up, /login went to %s", u)
	}
}

func TestHomePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.get(t, browser(t, false), "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`href="/login">Sign in with MyPatients`, "<code>demo-app</code>", e.gw.fhirBase(),
		"<code>pcp</code>", "<code>colleague</code>", "<code>pcp2</code>", "<code>specialist</code>",
		"<code>staff</code>", "<code>hospdoc</code>", "Children&#39;s ID", "MyPatients accounts",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
}

func TestNotSignedInGoesHome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t, false)
	e.startLogin(t, c) // a session with a pending sign-in but no token yet
	for _, path := range []string{"/patients", "/patients/child-01"} {
		resp, _ := e.get(t, c, path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("%s: status %d to %q, want 303 to /", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if _, _, fhir := e.gw.snapshot(); len(fhir) != 0 {
		t.Errorf("FHIR calls without a token: %q", fhir)
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _, _ := e.signIn(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// A cross-site form post must not sign the user out.
	req, _ := http.NewRequest(http.MethodPost, e.app.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-out: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, "/patients"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a refused sign-out /patients: status %d, want 200", resp.StatusCode)
	}

	resp, err = c.Post(e.app.URL+"/logout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: status %d, want 303", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, "/patients"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out /patients: status %d, want 303 home", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _, _ := e.signIn(t)
	for _, path := range []string{"/", "/patients", "/patients/child-01", "/patients/" + deniedID, "/callback", "/nowhere"} {
		resp, _ := e.get(t, c, path)
		h := resp.Header
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "script-src") {
			t.Errorf("%s: headers %v lack no-store, no-referrer or a script-free CSP", path, h)
		}
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	good := Options{ClientID: "demo-app", RedirectURI: "http://127.0.0.1:8765/callback", GatewayBase: "http://127.0.0.1:8080"}
	tests := []struct {
		name   string
		change func(*Options)
		want   []string // nil means valid
	}{
		{"good", func(*Options) {}, nil},
		{"no client id", func(o *Options) { o.ClientID = "" }, []string{"ClientID"}},
		{"relative redirect", func(o *Options) { o.RedirectURI = "/callback" }, []string{"RedirectURI"}},
		{"redirect at root", func(o *Options) { o.RedirectURI = "http://127.0.0.1:8765/" }, []string{"path of its own"}},
		{"gateway not http", func(o *Options) { o.GatewayBase = "ftp://gw" }, []string{"GatewayBase"}},
		{"every problem at once", func(o *Options) { *o = Options{} }, []string{"ClientID", "RedirectURI", "GatewayBase"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			_, err := New(o)
			if tt.want == nil {
				if err != nil {
					t.Errorf("New: %v", err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("New: error %v, want one mentioning %q", err, w)
				}
			}
		})
	}
}

func TestPendingSignInExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	s := newSessions(func() time.Time { return now })
	s.m["id"] = &session{Created: now, Pending: &pending{State: "s", Started: now}}
	now = now.Add(pendingTTL + time.Second)
	if p := s.takePending("id"); p != nil {
		t.Error("a pending sign-in older than pendingTTL was accepted")
	}
}
