package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The sponsored-staff page: a provider lists, creates, suspends, reinstates and removes the
// staff accounts they sponsor, through the gateway's /api/staff with the session's token.

var staffPage = page("staff.html")

type staffMember struct {
	ID, Name, Role, Email, Status string
}

type staffView struct {
	Staff            []staffMember
	Message, Problem string
}

func (a *app) registerStaff(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff", func(w http.ResponseWriter, r *http.Request) { a.showStaff(w, r, "") })
	mux.HandleFunc("POST /staff", a.handleCreateStaff)
	mux.HandleFunc("POST /staff/action", a.handleStaffAction)
}

func (a *app) showStaff(w http.ResponseWriter, r *http.Request, message string) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	v := staffView{Message: message}
	var list struct {
		Staff   []staffMember `json:"staff"`
		Message string        `json:"message"`
	}
	status, err := a.apiGet(r.Context(), sess.Token, "/api/staff", &list)
	switch {
	case err != nil:
		v.Problem = "The gateway could not be reached: " + err.Error()
	case status != http.StatusOK:
		v.Problem = list.Message
	default:
		v.Staff = list.Staff
	}
	a.render(w, http.StatusOK, staffPage, v)
}

func (a *app) handleCreateStaff(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	body := map[string]string{}
	for _, f := range []string{"name", "role", "email"} {
		body[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	status, out, err := a.apiPost(r.Context(), sess.Token, "/api/staff", body)
	msg := "Staff account created; " + body["email"] + " was emailed a link to set up their login."
	if err != nil || status != http.StatusCreated {
		msg = fmt.Sprintf("Not created: %s %v", out["message"], err)
	}
	a.showStaff(w, r, msg)
}

func (a *app) handleStaffAction(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	action := r.PostFormValue("action")
	if action != "suspend" && action != "reinstate" && action != "remove" {
		a.showMessage(w, http.StatusBadRequest, "Unknown action", "Use suspend, reinstate or remove.")
		return
	}
	status, out, err := a.apiPost(r.Context(), sess.Token, "/api/staff/"+url.PathEscape(r.PostFormValue("id"))+"/"+action, nil)
	msg := "Done: " + action + "."
	if err != nil || status != http.StatusOK {
		msg = fmt.Sprintf("Not done: %s %v", out["message"], err)
	}
	a.showStaff(w, r, msg)
}

// apiGet GETs a gateway API path with the bearer token and decodes the JSON answer into out.
func (a *app) apiGet(ctx context.Context, token, path string, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.opts.GatewayBase, "/")+path, nil)
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("decode the answer of %s: %w", path, err)
	}
	return resp.StatusCode, nil
}
