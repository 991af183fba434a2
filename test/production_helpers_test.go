package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mypatients/gateway/demo/ehr"
	"github.com/mypatients/gateway/demo/login"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths and a
// pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool = x509.NewCertPool()
	pool.AddCert(writeCert(t, certFile, keyFile, 1))
	return certFile, keyFile, pool
}

// writeCert writes a self-signed certificate for 127.0.0.1 with serial, and its key, and
// returns the certificate.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return cert
}

// startNginx runs nginx terminating TLS on addr in front of backend (host:port) and returns
// the client that trusts its certificate.
func startNginx(t *testing.T, addr, backend string) *http.Client {
	t.Helper()
	path, err := exec.LookPath("nginx")
	if err != nil {
		path, err = exec.LookPath("/usr/sbin/nginx") // root's tools, off some PATHs
	}
	if err != nil {
		t.Fatal("nginx is not installed: apt-get install -y nginx (bash .ci/run does it)")
	}
	certFile, keyFile, pool := selfSigned(t)
	dir := t.TempDir()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
daemon off;
error_log %[2]s/error.log warn;
pid %[2]s/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[2]s/body; proxy_temp_path %[2]s/proxy; fastcgi_temp_path %[2]s/fcgi;
  uwsgi_temp_path %[2]s/uwsgi; scgi_temp_path %[2]s/scgi;
  server {
    listen %[3]s ssl;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    location / {
      proxy_pass http://%[6]s;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_buffering off;
    }
  }
}
`, user, dir, addr, certFile, keyFile, backend)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(path, "-p", dir, "-c", confFile)
	cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = dieWithParent(), out, out
	cmd.WaitDelay = 2 * time.Second // its workers hold the output pipe a moment longer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s%s", out.String(), b)
		}
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	waitFor(t, "nginx", func() bool {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
		if err == nil {
			c.Close()
		}
		return err == nil
	}, out)
	return client
}

// npiOf returns the NPI the demo world gives a practitioner.
func npiOf(t *testing.T, id string) string {
	t.Helper()
	for _, raw := range ehr.Seed().Resources() {
		var p struct {
			ResourceType, ID string
			Identifier       []struct{ System, Value string }
		}
		_ = json.Unmarshal(raw, &p)
		if p.ResourceType == "Practitioner" && p.ID == id {
			for _, i := range p.Identifier {
				if i.System == "http://hl7.org/fhir/sid/us-npi" {
					return i.Value
				}
			}
		}
	}
	t.Fatalf("Practitioner/%s has no NPI", id)
	return ""
}

var (
	hrefRE   = regexp.MustCompile(`href="([^"]*/login/childrens\?[^"]*)"`)
	actionRE = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
)

// signInAtOIDCProvider runs the code flow through the gateway at base, signing in at the
// gateway's identity provider "childrens" (oidc-provider's own login and consent forms) as login, and
// returns the token response, or the error the gateway's callback answered with.
func signInAtOIDCProvider(t *testing.T, client *http.Client, base, login_, scope string) (login.Token, error) {
	t.Helper()
	ctx := context.Background()
	s := login.NewSession(login.Options{Gateway: base, ClientID: "viewer", RedirectURI: "http://127.0.0.1:8765/callback", Scope: scope})
	s.HTTPClient().Transport = client.Transport
	chooser, err := s.Start(ctx)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	m := hrefRE.FindStringSubmatch(chooser)
	if m == nil {
		t.Fatalf("the sign-in page links no identity provider:\n%s", chooser)
	}
	page, resp := browse(t, s.HTTPClient(), http.MethodGet, resolveURL(base, strings.ReplaceAll(m[1], "&amp;", "&")), nil)
	for _, fields := range []url.Values{{"prompt": {"login"}, "login": {login_}, "password": {"any"}}, {"prompt": {"consent"}}} {
		if resp.StatusCode != http.StatusOK {
			break // oidc-provider remembers an earlier consent
		}
		a := actionRE.FindStringSubmatch(page)
		if a == nil {
			t.Fatalf("no form on the identity provider's page:\n%s", page)
		}
		page, resp = browse(t, s.HTTPClient(), http.MethodPost, resp.Request.URL.ResolveReference(mustURL(a[1])).String(), fields)
	}
	callback, err := resp.Location()
	if err != nil || !strings.HasPrefix(callback.String(), base+"/login/") {
		t.Fatalf("the identity provider did not send the browser back to the gateway (%d): %s", resp.StatusCode, page)
	}
	code, err := s.Finish(ctx, callback)
	if err != nil {
		return login.Token{}, err
	}
	return s.Exchange(ctx, code)
}

func browse(t *testing.T, c *http.Client, method, u string, form url.Values) (string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(strings.ReplaceAll(s, "&amp;", "&"))
	return u
}

func resolveURL(base, ref string) string {
	b, _ := url.Parse(base)
	return b.ResolveReference(mustURL(ref)).String()
}
