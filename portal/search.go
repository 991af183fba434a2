package portal

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mypatients/gateway/portal/record"
	"github.com/mypatients/gateway/sharing"
)

// searchView is the search page: the form, the allowed matches, or the notice for an exact
// match the clinician may not see.
type searchView struct {
	MRN, Family, Given, BirthDate string
	Searched, Exact               bool
	Rows                          []row
	Notice                        *sharing.LookupResult
	Problem                       string
}

// search finds patients by MRN (with or without its prefix) or by name and date of birth.
// Allowed matches come from the FHIR API, which shows only patients the clinician may see.
// When none is allowed and the query is exact, the gateway's lookup says whether exactly one
// patient matches and why it is not shown; an inexact query reveals nothing more.
func (p *Portal) searchPage(w http.ResponseWriter, r request) {
	q := r.URL.Query()
	v := searchView{MRN: strings.TrimSpace(q.Get("mrn")), Family: strings.TrimSpace(q.Get("family")),
		Given: strings.TrimSpace(q.Get("given")), BirthDate: strings.TrimSpace(q.Get("birthdate"))}
	fq, ok := v.fhirQuery()
	if !ok {
		if v.MRN != "" || v.Family != "" || v.Given != "" || v.BirthDate != "" {
			v.Problem = "Search by MRN, or by family name (with given name and date of birth to find a patient who is not on your list)."
		}
		p.render(w, r.Request, r.sess, http.StatusOK, "search", v)
		return
	}
	v.Searched = true
	pts, _, err := listing(p, r, "Patient", fq, record.DecodePatients)
	if err == nil {
		v.Rows, err = p.rows(r.Context(), r, pts, false)
	}
	if err != nil {
		p.failed(w, r, err)
		return
	}
	v.Exact = v.MRN != "" || (v.Family != "" && v.Given != "" && v.BirthDate != "")
	if len(v.Rows) == 0 && v.Exact {
		if err := p.notice(r, &v); err != nil {
			p.failed(w, r, err)
			return
		}
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "search", v)
}

// notice asks the gateway's exact-match lookup about an exact query that found no patient the
// clinician may see, and puts its answer on the page: the notice, or a problem with the query.
func (p *Portal) notice(r request, v *searchView) error {
	var res sharing.LookupResult
	status, err := p.api(r.Context(), r, http.MethodPost, "/api/patients/lookup",
		sharing.LookupQuery{MRN: v.MRN, Family: v.Family, Given: v.Given, BirthDate: v.BirthDate}, &res)
	switch {
	case err != nil:
		return err
	case status == http.StatusOK && res.Found && !res.Visible:
		v.Notice = &res
	case status == http.StatusBadRequest:
		v.Problem = "Check the MRN or the date of birth (YYYY-MM-DD) and try again."
	case status == http.StatusTooManyRequests:
		v.Problem = "You have searched for many patients who are not on your list. Try again in an hour."
	}
	return nil
}

// fhirQuery is the FHIR search of the form: an MRN (the hospital's identifier system, the
// prefix added when typed without), or a family name with the given name and birth date.
func (v searchView) fhirQuery() (url.Values, bool) {
	if v.MRN != "" {
		m := strings.ToUpper(strings.Join(strings.Fields(v.MRN), ""))
		if !strings.HasPrefix(m, "MRN") {
			m = "MRN" + m
		}
		return url.Values{"identifier": {record.MRNSystem + "|" + m}}, true
	}
	if v.Family == "" {
		return nil, false
	}
	q := url.Values{"family": {v.Family}}
	if v.Given != "" {
		q.Set("given", v.Given)
	}
	if v.BirthDate != "" {
		q.Set("birthdate", v.BirthDate)
	}
	return q, true
}

// requestAccess files "Request PCP access" or "Request Non-PCP access" for the patient of a
// lookup, with the signed-in clinician's own name and work contact: nothing is typed.
func (p *Portal) requestAccess(w http.ResponseWriter, r request) {
	kind := map[string]string{"pcp": "pcp", "family": "family"}[r.PostForm.Get("kind")]
	ref := r.PostForm.Get("ref")
	me := r.me()
	if kind == "" || ref == "" {
		p.message(w, r.Request, r.sess, http.StatusBadRequest, "Nothing to request", "Search for the patient again.")
		return
	}
	in := map[string]string{"lookup": ref, "kind": kind, "name": me.Name, "email": me.Email, "phone": me.Phone,
		"practice": strings.Join(me.Practices, ", ")}
	if me.Role == "staff" {
		in["note"] = "Requested by " + me.Name + " (" + me.StaffRole + ") for " + me.Sponsor
	}
	var out struct{ Request, Status, Message, Error string }
	status, err := p.api(r.Context(), r, http.MethodPost, "/api/access-requests", in, &out)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if status != http.StatusCreated && status != http.StatusOK { // 200: the same request was pending
		msg := out.Message
		if msg == "" {
			msg = "The request could not be sent. Try again later."
		}
		p.message(w, r.Request, r.sess, status, "Request not sent", msg)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "requested", map[string]any{"Kind": kind, "Message": out.Message})
}
