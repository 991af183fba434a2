package app

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAccessPages: "Validate a Token" and "Request access" post to the gateway's clinician API
// with the session's bearer token and show the gateway's words, escaped.
func TestAccessPages(t *testing.T) {
	t.Parallel()
	var got []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization")+" "+body["mrn"]+body["kind"])
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/invitations/redeem" && body["mrn"] == "MRN100019":
			_ = json.NewEncoder(w).Encode(map[string]any{"granted": true, "patient": "child-19", "message": "Access granted."})
		case r.URL.Path == "/api/invitations/redeem":
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_invitation", "message": "<b>no match</b>"})
		default:
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"request": "R1", "message": "No portal account.",
				"portal_account": false, "signup_instructions": "/api/access-requests/signup-instructions"})
		}
	}))
	t.Cleanup(api.Close)
	a := &app{opts: Options{GatewayBase: api.URL}, http: api.Client(), sessions: newSessions(time.Now)}
	a.log = slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	a.registerAccess(mux)
	rec := httptest.NewRecorder()
	a.sessions.put(rec, "", session{Token: "tok-1", Expiry: time.Now().Add(time.Hour)}, false)
	cookie := rec.Result().Cookies()[0]
	post := func(path string, form url.Values) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w.Body.String()
	}
	if body := post("/validate", url.Values{"token": {"ABCD"}, "mrn": {"MRN100018"}}); !strings.Contains(body, "&lt;b&gt;no match") {
		t.Errorf("refused token page: %.400s", body)
	}
	if body := post("/validate", url.Values{"token": {"ABCD"}, "mrn": {"MRN100019"}}); !strings.Contains(body, "Access granted.") {
		t.Errorf("granted token page: %.400s", body)
	}
	body := post("/request", url.Values{"patient": {"child-21"}, "kind": {"family"}, "name": {"Dr. M"}, "email": {"m@example.org"}})
	if !strings.Contains(body, "No portal account.") || !strings.Contains(body, api.URL+"/api/access-requests/signup-instructions") {
		t.Errorf("request page: %.600s", body)
	}
	want := []string{"/api/invitations/redeem Bearer tok-1 MRN100018", "/api/invitations/redeem Bearer tok-1 MRN100019",
		"/api/access-requests Bearer tok-1 family"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("gateway calls = %q, want %q", got, want)
	}
}

// TestStaffPage lists the sponsor's staff from the gateway and escapes what it shows.
func TestStaffPage(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "sign in"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"staff": []map[string]string{
			{"id": "accounts:u-staff", "name": "Rosa <i>Garcia</i>", "role": "RN", "email": "rosa@example.org", "status": "active"}}})
	}))
	t.Cleanup(api.Close)
	a := &app{opts: Options{GatewayBase: api.URL}, http: api.Client(), sessions: newSessions(time.Now),
		log: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	a.registerAccess(mux)
	rec := httptest.NewRecorder()
	a.sessions.put(rec, "", session{Token: "tok-1", Expiry: time.Now().Add(time.Hour)}, false)
	r := httptest.NewRequest(http.MethodGet, "/staff", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	body := w.Body.String()
	if !strings.Contains(body, "Rosa &lt;i&gt;Garcia&lt;/i&gt;") || !strings.Contains(body, `value="suspend"`) {
		t.Errorf("staff page: %.600s", body)
	}
}
