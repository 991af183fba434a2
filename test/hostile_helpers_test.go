package test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/login"
)

// The hostile-client suite (hostile_*_test.go) plays a hostile clinician, a hostile app and an
// anonymous caller against the real binary, one finding of issue 8 per test, each as a family
// of spellings. These are its helpers.

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// thirdPartyToken signs user in through the third-party demo app asking for scope.
func (g *gateway) thirdPartyToken(t *testing.T, user, scope string) login.Token {
	t.Helper()
	opts := g.loginOptions()
	opts.Scope = scope
	tok, err := login.Login(context.Background(), opts, "accounts", user, g.password)
	if err != nil {
		t.Fatalf("third-party sign-in of %s: %v", user, err)
	}
	return tok
}

// idpForm is the demo accounts IdP's sign-in form of one authorization request.
type idpForm struct {
	action string // the form's absolute URL at the IdP
	id     string // its authRequestID
	// csrf is the form's token and cookie the cookie that goes with it.
	csrf, cookie string
}

var authRequestIDField = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// openIdPForm starts an authorization at the gateway and follows it to the IdP's sign-in form.
func (g *gateway) openIdPForm(t *testing.T) idpForm {
	t.Helper()
	s := login.NewSession(g.shellOptions())
	chooser, err := s.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`href="(/login/accounts\?[^"]+)"`).FindStringSubmatch(chooser)
	if link == nil {
		t.Fatalf("no accounts IdP on the chooser: %.300s", chooser)
	}
	resp, err := s.HTTPClient().Get(g.base + strings.ReplaceAll(link[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := authRequestIDField.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no IdP sign-in form: %d %.300s", resp.StatusCode, body)
	}
	u := *resp.Request.URL
	u.RawQuery = ""
	f := idpForm{action: u.String(), id: m[1]}
	if c := csrfField.FindStringSubmatch(string(body)); c != nil {
		f.csrf = html.UnescapeString(c[1])
		for _, ck := range s.HTTPClient().Jar.Cookies(resp.Request.URL) {
			if strings.HasPrefix(ck.Name, "mp_csrf_") {
				f.cookie = ck.Name + "=" + ck.Value
			}
		}
	}
	return f
}

// post submits the form with username and password from client (nil: the default) to base
// (empty: the IdP itself), and returns the status, without following the redirect.
func (f idpForm) post(t *testing.T, client *http.Client, base, username, password string, header ...string) int {
	t.Helper()
	target := f.action
	if base != "" {
		u, _ := url.Parse(f.action)
		target = base + u.Path
	}
	form := url.Values{"authRequestID": {f.id}, "username": {username}, "password": {password}, "csrf": {f.csrf}}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if f.cookie != "" {
		req.Header.Set("Cookie", f.cookie)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// clientFrom returns an HTTP client whose connections come from the loopback address ip
// (127.0.0.0/8 is all loopback on Linux): a different user's machine, as a proxy sees it.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
}

// eventsNamed returns the event records named event.
func eventsNamed(recs []map[string]any, event string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["event"] == event {
			out = append(out, r)
		}
	}
	return out
}

// startHTTP serves h on a free loopback port for the test and returns its base URL.
func startHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
