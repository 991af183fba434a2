package portal

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/portal/record"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestReasonFor(t *testing.T) {
	t.Parallel()
	patel := profile{Role: "provider", Practitioner: "Practitioner/dr-patel", RoleIDs: []string{"role-patel-maple"},
		OrgIDs: []string{"practice-maple"}, Members: map[string]string{"dr-okafor": "Dr. Chidi Okafor", "role:role-okafor-maple": "Dr. Chidi Okafor"}}
	okafor := patel
	okafor.Practitioner, okafor.RoleIDs = "Practitioner/dr-okafor", []string{"role-okafor-maple"}
	okafor.Members = map[string]string{"dr-patel": "Dr. Priya Patel", "role:role-patel-maple": "Dr. Priya Patel"}
	staff := profile{Role: "staff", Sponsor: "Dr. Priya Patel"}
	granted := map[string]string{"child-19": "on Nov 3, 2026"}
	for _, tc := range []struct {
		name string
		me   profile
		pt   record.Patient
		want string
	}{
		{"own patient", patel, record.Patient{PCPRefs: []string{"Practitioner/dr-patel"}}, "You are the PCP"},
		{"through her role", patel, record.Patient{PCPRefs: []string{"PractitionerRole/role-patel-maple"}}, "You are the PCP"},
		{"the practice itself", patel, record.Patient{PCPRefs: []string{"Organization/practice-maple"}}, "Your practice is the PCP"},
		{"a colleague's", patel, record.Patient{PCPRefs: []string{"Practitioner/dr-okafor"}}, "Practice: Dr. Chidi Okafor is the PCP"},
		{"a colleague's role", okafor, record.Patient{PCPRefs: []string{"PractitionerRole/role-patel-maple"}}, "Practice: Dr. Priya Patel is the PCP"},
		{"granted", patel, record.Patient{ID: "child-19", PCPRefs: []string{"Practitioner/dr-outside"}}, "Granted by the family on Nov 3, 2026"},
		{"staff", staff, record.Patient{PCPRefs: []string{"Practitioner/dr-patel"}}, "Patient of your sponsor, Dr. Priya Patel"},
	} {
		if got := reasonFor(tc.me, tc.pt, granted).Text; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{"/portal/saved": true, "/": true, "//evil.example/": false, "https://evil.example/": false,
		"/\\evil": false, "": false, "/a\r\nb": false} {
		if localPath(in) != ok {
			t.Errorf("localPath(%q) = %v", in, !ok)
		}
	}
}

// TestLoopback: a request through Loopback reaches the handler with the browser's address
// and gets the handler's whole answer.
func TestLoopback(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", r.RemoteAddr+" "+r.Header.Get("Authorization")+" "+r.URL.RequestURI())
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("body"))
	})
	c := &http.Client{Transport: Loopback{Handler: h}}
	req, _ := http.NewRequestWithContext(gateway.WithClientAddr(context.Background(), "192.0.2.7"), http.MethodGet, "http://gw.example/fhir/Patient?x=1", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || string(body) != "body" || resp.Header.Get("X-Seen") != "192.0.2.7:0 Bearer t /fhir/Patient?x=1" {
		t.Errorf("%d %q %q", resp.StatusCode, body, resp.Header.Get("X-Seen"))
	}
}

// TestLists: the saved list and recent patients are per user, ordered, bounded.
func TestLists(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		l := lists{rdb: srv.Client, prefix: "t:portal:"}
		for _, id := range []string{"child-01", "child-03", "child-05"} {
			if err := l.setSaved(ctx, "accounts:u-pcp", id, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.setSaved(ctx, "accounts:u-pcp", "child-03", false); err != nil {
			t.Fatal(err)
		}
		saved, _ := l.saved(ctx, "accounts:u-pcp")
		other, _ := l.saved(ctx, "accounts:staff-1")
		if strings.Join(saved, ",") != "child-05,child-01" || len(other) != 0 {
			t.Errorf("saved %v, staff's %v", saved, other)
		}
		for i := 0; i < 12; i++ {
			_ = l.viewed(ctx, "u", "child-0"+string(rune('0'+i%10)))
		}
		_ = l.viewed(ctx, "u", "child-05")
		recent, _ := l.recent(ctx, "u")
		if len(recent) != recentMax || recent[0] != "child-05" || strings.Count(strings.Join(recent, ","), "child-05") != 1 {
			t.Errorf("recent %v", recent)
		}
	})
}
