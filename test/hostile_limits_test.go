package test

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countStatuses runs n concurrent calls and counts their statuses.
func countStatuses(n int, call func(i int) int) map[int]int {
	var mu sync.Mutex
	out := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := call(i)
			mu.Lock()
			out[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// TestLimitsBehindAProxy (finding 6): behind a reverse proxy listed in trusted_proxies, each
// client has a budget of its own: one flooding the sign-in form does not lock out a colleague,
// cannot pass as someone else with a forged X-Forwarded-For, and a direct caller's forged
// header is ignored. The limits count before they check: concurrent guesses never all get
// through, per address and per account.
func TestLimitsBehindAProxy(t *testing.T) {
	t.Parallel()
	w := startAccessWorldWith(t, []string{"MYPATIENTS_LIMITS_SIGNIN_ADDRESS=10"}, "trusted_proxies: [127.0.0.1/32]\n")
	f := w.openIdPForm(t)
	idp, _ := url.Parse(f.action)
	idp.Path = ""
	proxy := startHTTP(t, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(idp)
		r.SetXForwarded() // appends the connecting client's address, as a load balancer does
	}})

	attacker, colleague := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	got := countStatuses(15, func(i int) int {
		return f.post(t, attacker, proxy, fmt.Sprintf("guess-%d", i), "wrong password")
	})
	// Guesses turned away by the hash bound (503) were not checked and do not count; the
	// attacker keeps going, now claiming another address, until the limit answers.
	checked := got[http.StatusUnauthorized]
	if got[http.StatusTooManyRequests] < 5 || checked > 10 {
		t.Errorf("15 concurrent guesses against an address limit of 10: %v", got)
	}
	for i := 0; checked <= 10; i++ {
		s := f.post(t, attacker, proxy, fmt.Sprintf("more-%d", i), "wrong", "X-Forwarded-For", "127.0.0.9")
		if s == http.StatusTooManyRequests {
			break
		}
		if s == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > 10 {
		t.Errorf("%d guesses from one client were checked, over its limit of 10", checked)
	}
	if s := f.post(t, colleague, proxy, "colleague", w.password); s != http.StatusSeeOther {
		t.Errorf("a colleague behind the same proxy with the right password: %d, want 303", s)
	}
	f = w.openIdPForm(t) // the colleague's sign-in used the form up
	if s := f.post(t, clientFrom("127.0.0.4"), "", "guess-y", "wrong", "X-Forwarded-For", "127.0.0.3"); s != http.StatusUnauthorized {
		t.Errorf("a direct caller forging X-Forwarded-For: %d, want 401 on its own budget", s)
	}
	// Ten concurrent guesses at one account against its limit of five.
	got = countStatuses(10, func(int) int { return f.post(t, clientFrom("127.0.0.5"), proxy, "pcp2", "wrong password") })
	checked = got[http.StatusUnauthorized]
	if got[http.StatusTooManyRequests] < 5 || checked > 5 {
		t.Errorf("10 concurrent guesses against an account limit of 5: %v", got)
	}
	for checked < 5 { // those the hash bound turned away (503) did not count
		if s := f.post(t, clientFrom("127.0.0.5"), proxy, "pcp2", "wrong password"); s == http.StatusUnauthorized {
			checked++
		} else if s == http.StatusTooManyRequests {
			t.Fatalf("the account was limited after %d checked guesses, before its limit of 5", checked)
		}
	}
	if s := f.post(t, clientFrom("127.0.0.6"), proxy, "pcp2", w.password); s != http.StatusTooManyRequests {
		t.Errorf("the guessed account right after, from elsewhere: %d, want 429", s)
	}
	sources := map[any]int{}
	for _, r := range eventsNamed(readEvents(t, w.gateway), "signin.failure") {
		sources[r["source"]]++
	}
	if sources["127.0.0.2"] < 11 || sources["127.0.0.4"] != 1 || sources["127.0.0.5"] < 10 || sources["127.0.0.9"] != 0 || sources["127.0.0.1"] != 0 {
		t.Errorf("sign-in failures by source %v: want the real client of each", sources)
	}
}

// TestRequestAndInvitationLimits (finding 6): access requests are limited per clinician, also
// when forty arrive at once, and one patient is asked once; another clinician's wrong guesses
// at an invitation only slow its MRN down, so the invited specialist still gets in.
func TestRequestAndInvitationLimits(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "specialist", "colleague")
	got := countStatuses(40, func(i int) int {
		status, _ := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], map[string]string{
			"patient": fmt.Sprintf("patient-%02d", i), "kind": "pcp", "name": "Dr. Claire Moreau", "email": specialistEmail})
		return status
	})
	if got[http.StatusCreated] != 10 || got[http.StatusTooManyRequests] != 30 {
		t.Errorf("40 concurrent access requests: %v, want 10 filed and 30 refused", got)
	}
	time.Sleep(2 * time.Second) // the outbox delivers
	if n := len(w.smtp.Messages()); n != 10 {
		t.Errorf("%d emails to support, want 10", n)
	}
	ask := map[string]string{"patient": "child-20", "kind": "family", "name": "Dr. Okafor", "email": "chidi.okafor@maple-pediatrics.example.org"}
	_, first := w.api(t, "POST", "/api/access-requests", w.tokens["colleague"], ask)
	status, again := w.api(t, "POST", "/api/access-requests", w.tokens["colleague"], ask)
	if status != http.StatusOK || again["request"] != first["request"] || again["duplicate"] != true {
		t.Errorf("the same request twice: %d %v, first %v", status, again, first)
	}

	_, inv := w.api(t, "POST", "/api/portal/patients/child-19/invitations", w.portalToken(t), map[string]string{"mrn": "MRN100019", "by": "guardian-19"})
	var limited atomic.Int32
	got = countStatuses(15, func(int) int {
		status, out := w.api(t, "POST", "/api/invitations/redeem", w.tokens["colleague"], map[string]string{"token": "WRONGWRONGWRONGWRONGWRONG2", "mrn": "MRN100019"})
		if out["error"] == "rate_limited" {
			limited.Add(1)
		}
		return status
	})
	if got[http.StatusBadRequest] != 10 || limited.Load() != 5 {
		t.Errorf("15 concurrent bogus redemptions by one clinician: %v (%d rate limited), want 10 tried", got, limited.Load())
	}
	if status, out := w.api(t, "POST", "/api/invitations/redeem", w.tokens["specialist"], map[string]string{"token": inv["token"].(string), "mrn": "MRN100019"}); status != http.StatusOK {
		t.Errorf("the invited specialist after another's bogus attempts: %d %v", status, out)
	}
}

// TestSupportEmailCannotBeForged (finding 7): a typed field is one line, or refused; the note,
// which may have lines, arrives as one quoted line, so no "Patient MRN:" or "NOTE FROM
// SUPPORT" line can be made up.
func TestSupportEmailCannotBeForged(t *testing.T) {
	t.Parallel()
	w := startAccessWorld(t, "specialist")
	forged := "\nPatient MRN: MRN100001\nNOTE FROM SUPPORT: verified, grant at once"
	for _, name := range []string{"Dr. Eve" + forged, "Dr. Eve\r\nPatient MRN: MRN100001", "Dr. Eve\rX", "Dr. Eve\u2028Patient MRN: MRN100001", "Dr. Eve\u0085X"} {
		status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], map[string]string{"patient": "child-23", "kind": "pcp", "name": name, "email": specialistEmail})
		if status != http.StatusBadRequest {
			t.Errorf("name %q: %d %v, want 400", name, status, out)
		}
	}
	if status, _ := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], map[string]string{"patient": "child-23", "kind": "pcp",
		"name": "Dr. Claire Moreau", "email": "x@example.org\nBcc: eve@example.org"}); status != http.StatusBadRequest {
		t.Errorf("an email with a header in it: %d", status)
	}
	status, out := w.api(t, "POST", "/api/access-requests", w.tokens["specialist"], map[string]string{"patient": "child-23", "kind": "pcp",
		"name": "Dr. Claire Moreau", "email": specialistEmail, "note": "Please hurry." + forged + "\u202e\r\n  Requester: someone else"})
	if status != http.StatusCreated {
		t.Fatalf("request with a multi-line note: %d %v", status, out)
	}
	m := w.waitMail(t, "support@test.example.org", "PCP access request")
	mrnLines := 0
	for _, line := range strings.Split(m.Body, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "Patient MRN:") {
			mrnLines++
		}
		if strings.HasPrefix(line, "NOTE FROM SUPPORT") || strings.HasPrefix(line, "Requester:") {
			t.Errorf("forged line %q in the support email", line)
		}
	}
	if mrnLines != 1 || !strings.Contains(m.Body, `Note:        "Please hurry. Patient MRN: MRN100001 NOTE FROM SUPPORT`) || strings.Contains(m.Body, "\u202e") {
		t.Errorf("support email:\n%s", m.Body)
	}
}
