package test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mypatients/gateway/demo/login"
)

// BenchmarkPortalPages times the portal's pages against the built binary and the demo EHR, as
// pcp signed in through the real sign-in, next to a baseline measured in the same run: one
// FHIR read of a Patient through the gateway by a SMART app's token, the smallest request a
// page is made of. Each page is a server-rendered HTML answer with every FHIR read it needs
// (each one authorized and audited): report the ratio to the baseline, not the raw times.
//
//	go test ./test -run '^$' -bench PortalPages -benchtime 20x
func BenchmarkPortalPages(b *testing.B) {
	g := startGateway(b, startRedis(b))
	ctx := context.Background()
	portal, _, err := login.Portal(ctx, g.base, "accounts", "pcp", g.password)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := login.Login(ctx, g.loginOptions(), "accounts", "pcp", g.password)
	if err != nil {
		b.Fatal(err)
	}
	app := &http.Client{}
	b.Run("baseline-fhir-read", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, g.base+"/fhir/Patient/child-01", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			benchGet(b, app, req, `"resourceType":"Patient"`)
		}
	})
	for _, p := range []struct{ name, path, want string }{
		{"home", "/", "Amelia Hartley"},
		{"search-mrn", "/portal/search?mrn=100003", "Sofía Muñoz"},
		{"record", "/portal/patients/child-01", "Hospital stays and visits"},
		{"encounter", "/portal/patients/child-01/encounters/enc-01-5", "Attending physician"},
		{"note-html", "/portal/patients/child-01/notes/doc-01-7", "note-body"},
		{"labs", "/portal/patients/child-03/labs", "488"},
		{"trend", "/portal/patients/child-03/labs/2339-0", "<svg"},
		{"vitals", "/portal/patients/child-03/vitals", "<svg"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, g.base+p.path, nil)
				benchGet(b, portal, req, p.want)
			}
		})
	}
}

func benchGet(b *testing.B, c *http.Client, req *http.Request, want string) {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		b.Fatalf("%s: %d, page lacks %q", req.URL.Path, resp.StatusCode, want)
	}
}
