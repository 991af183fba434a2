package portal

import (
	"net/http"
	"strings"
)

// tokenPage is "Validate a Token": the family's invitation token and the child's MRN.
func (p *Portal) tokenPage(w http.ResponseWriter, r request) {
	p.render(w, r.Request, r.sess, http.StatusOK, "token", map[string]any{})
}

// redeemToken redeems an invitation through the gateway's /api; its one answer for every
// token that does not match is shown as it is.
func (p *Portal) redeemToken(w http.ResponseWriter, r request) {
	token, mrn := strings.TrimSpace(r.PostForm.Get("token")), strings.TrimSpace(r.PostForm.Get("mrn"))
	if token == "" || mrn == "" {
		p.render(w, r.Request, r.sess, http.StatusBadRequest, "token", map[string]any{"Problem": "Enter the token and the MRN.", "MRN": mrn})
		return
	}
	var out struct {
		Granted bool   `json:"granted"`
		Patient string `json:"patient"`
		Message string `json:"message"`
	}
	status, err := p.api(r.Context(), r, http.MethodPost, "/api/invitations/redeem", map[string]string{"token": token, "mrn": mrn}, &out)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if status != http.StatusOK || !out.Granted {
		p.render(w, r.Request, r.sess, status, "token", map[string]any{"Problem": out.Message, "MRN": mrn})
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "token", map[string]any{"Done": out.Message, "Patient": out.Patient})
}

// requestsPage lists the clinician's access requests and their outcome.
func (p *Portal) requestsPage(w http.ResponseWriter, r request) {
	var out struct {
		Requests []struct {
			ID, Kind, Label, Status string
			CreatedAt               string  `json:"created_at"`
			DecidedAt               *string `json:"decided_at"`
		} `json:"requests"`
	}
	status, err := p.api(r.Context(), r, http.MethodGet, "/api/access-requests", nil, &out)
	if err == nil && status != http.StatusOK {
		err = errRefused
	}
	if err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "requests", out)
}
