package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The next steps after a refusal, as the gateway's clinician API offers them: "Validate a
// Token" (redeem a family's invitation) and requesting access (from the family, or PCP access
// from the support team). Like everything in the app, they are plain calls to the gateway
// with the session's bearer token.

var accessPage = page("access.html")

type accessView struct {
	Title, Form, Patient   string
	Message, Problem, Link string
}

func (a *app) registerAccess(mux *http.ServeMux) {
	mux.HandleFunc("GET /validate", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.requireToken(w, r); ok {
			a.render(w, http.StatusOK, accessPage, accessView{Title: "Validate a Token", Form: "validate"})
		}
	})
	mux.HandleFunc("POST /validate", a.handleValidate)
	mux.HandleFunc("GET /request", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("patient")
		if _, ok := a.requireToken(w, r); ok && validID(id) {
			a.render(w, http.StatusOK, accessPage, accessView{Title: "Request access to " + id, Form: "request", Patient: id})
		} else if ok {
			a.showMessage(w, http.StatusBadRequest, "Not a patient id", "Open the request form from a patient's page.")
		}
	})
	mux.HandleFunc("POST /request", a.handleRequest)
	a.registerStaff(mux)
}

func (a *app) handleValidate(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	v := accessView{Title: "Validate a Token", Form: "validate"}
	status, out, err := a.apiPost(r.Context(), sess.Token, "/api/invitations/redeem",
		map[string]string{"token": r.PostFormValue("token"), "mrn": r.PostFormValue("mrn")})
	switch {
	case err != nil:
		v.Problem = "The gateway could not be reached: " + err.Error()
	case status == http.StatusOK:
		v.Message, v.Form = out["message"]+" Open the patient: /patients/"+out["patient"], ""
	default:
		v.Problem = out["message"]
	}
	a.render(w, http.StatusOK, accessPage, v)
}

func (a *app) handleRequest(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	id := r.PostFormValue("patient")
	v := accessView{Title: "Request access to " + id, Form: "request", Patient: id}
	body := map[string]string{"patient": id, "kind": r.PostFormValue("kind")}
	for _, f := range []string{"name", "email", "phone", "practice"} {
		body[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	status, out, err := a.apiPost(r.Context(), sess.Token, "/api/access-requests", body)
	switch {
	case err != nil:
		v.Problem = "The gateway could not be reached: " + err.Error()
	case status == http.StatusCreated:
		v.Message, v.Form = out["message"], ""
		if out["signup_instructions"] != "" {
			v.Link = strings.TrimRight(a.opts.GatewayBase, "/") + out["signup_instructions"]
		}
	default:
		v.Problem = out["message"]
	}
	a.render(w, http.StatusOK, accessPage, v)
}

// apiPost sends a JSON body to the gateway's clinician API and returns the status and the
// answer's string fields.
func (a *app) apiPost(ctx context.Context, token, path string, body any) (int, map[string]string, error) {
	if body == nil {
		body = struct{}{}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, fmt.Errorf("encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.opts.GatewayBase, "/")+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&raw); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decode the answer of %s: %w", path, err)
	}
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return resp.StatusCode, out, nil
}
