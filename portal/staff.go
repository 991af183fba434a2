package portal

import (
	"net/http"
	"net/url"
	"strings"
)

// staffMember is one row of the sponsor's staff page.
type staffMember struct {
	ID, Name, Role, Email, Status string
}

// staffPage is the sponsor's staff: create, re-send a set-up link, suspend, reinstate, remove.
func (p *Portal) staffPage(w http.ResponseWriter, r request) {
	p.showStaff(w, r, http.StatusOK, "", "")
}

func (p *Portal) showStaff(w http.ResponseWriter, r request, status int, done, problem string) {
	if !r.me().CanSponsor {
		p.message(w, r.Request, r.sess, http.StatusForbidden, "Staff accounts", "Only providers can sponsor staff; staff cannot sponsor.")
		return
	}
	var out struct {
		Staff []staffMember `json:"staff"`
	}
	st, err := p.api(r.Context(), r, http.MethodGet, "/api/staff", nil, &out)
	if err == nil && st != http.StatusOK {
		err = errRefused
	}
	if err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, status, "staff", map[string]any{"Staff": out.Staff, "Done": done, "Problem": problem})
}

func (p *Portal) createStaff(w http.ResponseWriter, r request) {
	in := map[string]string{"name": strings.TrimSpace(r.PostForm.Get("name")), "role": strings.TrimSpace(r.PostForm.Get("role")),
		"email": strings.TrimSpace(r.PostForm.Get("email"))}
	var out struct{ Message string }
	status, err := p.api(r.Context(), r, http.MethodPost, "/api/staff", in, &out)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if status != http.StatusCreated {
		p.showStaff(w, r, status, "", out.Message)
		return
	}
	p.showStaff(w, r, http.StatusOK, in["name"]+" was added and emailed a link to set up their login.", "")
}

// staffAction re-sends a set-up link, suspends, reinstates or removes one staff member.
func (p *Portal) staffAction(w http.ResponseWriter, r request) {
	id, action := r.PathValue("sid"), r.PathValue("action")
	done := map[string]string{"resend": "A new set-up link was emailed.", "suspend": "The account is suspended.",
		"reinstate": "The account is reinstated.", "remove": "The account is removed."}[action]
	if done == "" {
		p.message(w, r.Request, r.sess, http.StatusNotFound, "Unknown action", "Go back to your staff page.")
		return
	}
	if action == "remove" && r.PostForm.Get("confirm") != "yes" {
		p.confirmRemove(w, r)
		return
	}
	var out struct{ Message string }
	status, err := p.api(r.Context(), r, http.MethodPost, "/api/staff/"+url.PathEscape(id)+"/"+action, map[string]string{}, &out)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if status != http.StatusOK {
		p.showStaff(w, r, status, "", out.Message)
		return
	}
	p.showStaff(w, r, http.StatusOK, done, "")
}

// confirmRemove asks before removing a staff member: removal cannot be undone.
func (p *Portal) confirmRemove(w http.ResponseWriter, r request) {
	var out struct {
		Staff []staffMember `json:"staff"`
	}
	if _, err := p.api(r.Context(), r, http.MethodGet, "/api/staff", nil, &out); err != nil {
		p.failed(w, r, err)
		return
	}
	for _, s := range out.Staff {
		if s.ID == r.PathValue("sid") {
			p.render(w, r.Request, r.sess, http.StatusOK, "staff-remove", s)
			return
		}
	}
	p.message(w, r.Request, r.sess, http.StatusNotFound, "No such staff member", "Go back to your staff page.")
}
