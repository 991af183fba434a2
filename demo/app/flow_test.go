package app

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query func(state string) url.Values
		fresh bool // a browser that started no sign-in
		want  string
	}{
		{"wrong state", func(string) url.Values { return url.Values{"code": {"c"}, "state": {"forged"}} }, false, "did not carry the state"},
		{"missing state", func(string) url.Values { return url.Values{"code": {"c"}} }, false, "did not carry the state"},
		{"repeated state", func(s string) url.Values { return url.Values{"code": {"c"}, "state": {s, s}} }, false, "did not carry the state"},
		{"error with wrong state", func(string) url.Values {
			return url.Values{"error": {"access_denied"}, "error_description": {"call 555"}, "state": {"forged"}}
		}, false, "did not carry the state"},
		{"no sign-in started", func(s string) url.Values { return url.Values{"code": {"c"}, "state": {s}} }, true, "no sign-in in progress"},
		{"neither code nor error", func(s string) url.Values { return url.Values{"state": {s}} }, false, "neither a code nor an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := browser(t, false)
			state := e.startLogin(t, c).Query().Get("state")
			if tt.fresh {
				c = browser(t, false)
			}
			resp, body := e.get(t, c, "/callback?"+tt.query(state).Encode())
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, want 400 saying %q; body: %s", resp.StatusCode, tt.want, body)
			}
			if strings.Contains(body, "555") {
				t.Error("text from an unsolicited response was shown")
			}
			if _, tokenCalls, _ := e.gw.snapshot(); tokenCalls != 0 {
				t.Errorf("token endpoint called %d times for a refused callback", tokenCalls)
			}
			// The state is single-use: even the right one is refused now.
			if resp, _ := e.get(t, c, "/callback?"+url.Values{"code": {"c"}, "state": {state}}.Encode()); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("retry with the right state after a refusal: status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestCallbackReplayIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, resp, _ := e.signIn(t)
	// The callback URL the browser went through, sent again.
	cb := resp.Request.Response.Request.URL
	if cb.Path != "/callback" {
		t.Fatalf("previous hop was %s, want the callback", cb)
	}
	again, body := e.get(t, c, cb.RequestURI())
	if again.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: status %d, want 400: %s", again.StatusCode, body)
	}
}

func TestCallbackShowsGatewayError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t, false)
	state := e.startLogin(t, c).Query().Get("state")
	q := url.Values{"error": {"access_denied"}, "error_description": {"<b>You cancelled</b>"}, "state": {state}}
	resp, body := e.get(t, c, "/callback?"+q.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(body, "access_denied: &lt;b&gt;You cancelled&lt;/b&gt;") {
		t.Errorf("error not shown plainly and escaped: %s", body)
	}
}

func TestTokenExchangeFailureIsShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := browser(t, false)
	state := e.startLogin(t, c).Query().Get("state")
	// A code the gateway never issued: the gateway's invalid_grant must reach the page.
	resp, body := e.get(t, c, "/callback?"+url.Values{"code": {"made-up"}, "state": {state}}.Encode())
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "invalid_grant: bad code or verifier") {
		t.Errorf("status %d, want 502 with the OAuth error: %s", resp.StatusCode, body)
	}
}

func TestPatientPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _, _ := e.signIn(t)
	tests := []struct {
		path    string
		status  int
		want    []string
		notWant []string
	}{
		{"/patients/child-01", http.StatusOK, []string{
			"Ada Lovelace", "MRN100001",
			"ambulatory", "Well-child visit", "2024-03-01T09:00:00Z – 2024-03-01T09:30:00Z", "Routine check-up",
			"Hemoglobin A1c", "5.4 %", "2024-03-01",
			"Amoxicillin 250 mg", "active", "250 mg twice daily",
			"Raw JSON: Patient read (200)",
		}, []string{"Access denied"}},
		{"/patients/" + deniedID, http.StatusOK, []string{
			"Access denied: " + notPCPMessage, "Raw JSON: Patient read (403)",
			"Refused too, for the same reason.", "Raw JSON: Encounters (403)",
		}, []string{"None returned"}},
		{"/patients/child-99", http.StatusOK, []string{"Not found: not found"}, nil},
		{"/patients/a%2Fb", http.StatusBadRequest, []string{"Not a patient id"}, nil},
		{"/patients/" + strings.Repeat("x", 65), http.StatusBadRequest, []string{"Not a patient id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := e.get(t, c, tt.path)
			text := html.UnescapeString(body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("page shows %q", w)
				}
			}
		})
	}
	_, _, fhir := e.gw.snapshot()
	for _, want := range []string{
		"/fhir/Patient/child-01", "/fhir/Encounter?patient=child-01",
		"/fhir/Observation?_count=50&patient=child-01", "/fhir/MedicationRequest?patient=child-01",
	} {
		if !slices.Contains(fhir, want) {
			t.Errorf("the gateway never saw %s; calls: %q", want, fhir)
		}
	}
	for _, call := range fhir {
		if strings.Contains(call, "a%2F") || strings.Contains(call, "_format") || strings.Contains(call, "xxxx") {
			t.Errorf("an invalid id reached the gateway: %s", call)
		}
	}
}
