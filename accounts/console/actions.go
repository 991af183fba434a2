package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/registration"
	"github.com/mypatients/gateway/accounts/uploads"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/sharing/grants"
)

// DeclineReasons are the codes of a declined PCP-access request, with what the clinician is told.
var DeclineReasons = map[string]string{
	"not_pcp":         "The hospital's records and the family do not confirm that you are the patient's primary care provider.",
	"patient_unknown": "We could not find the patient the request names.",
	"other":           "See the note below.",
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, s supporter) {
	ctx := r.Context()
	regs, err1 := c.cfg.Registrations.Store.Queue(ctx)
	reqs, err2 := c.cfg.Requests.RequestsOfKind(ctx, grants.KindPCP, grants.Pending)
	if err := errors.Join(err1, err2); err != nil {
		c.unavailable(w, r, err)
		return
	}
	render(w, http.StatusOK, "home", page{"Title": "Queues", "Who": s.Name, "CSRF": s.csrf, "Registrations": regs, "Requests": reqs,
		"DeclineReasons": DeclineReasons, "Notice": r.URL.Query().Get("notice")})
}

func (c *Console) showRegistration(w http.ResponseWriter, r *http.Request, s supporter) {
	c.registrationPage(w, r, s, http.StatusOK, "", r.URL.Query().Get("notice"))
}

func (c *Console) registrationPage(w http.ResponseWriter, r *http.Request, s supporter, status int, problem, notice string) {
	reg, err := c.cfg.Registrations.Store.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, registration.ErrNotFound) {
		message(w, http.StatusNotFound, "Not found", "There is no such registration.", Path, "Back to the queues")
		return
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	matches, err := c.cfg.EHR.ByNPI(r.Context(), reg.NPI)
	if err != nil {
		c.log.WarnContext(r.Context(), "NPI look-up in the EHR", "err", err)
		problem = strings.TrimSpace(problem + " The EHR could not be searched right now.")
	}
	render(w, status, "registration", page{"Title": "Registration of " + reg.Name, "Who": s.Name, "CSRF": s.csrf, "R": reg,
		"Matches": matches, "RejectReasons": registration.RejectReasons, "Error": problem, "Notice": notice})
}

// document serves one uploaded document, decrypted, as an attachment the browser does not
// run: its type is the one sniffed at upload, and a sandbox CSP applies if it is opened.
func (c *Console) document(w http.ResponseWriter, r *http.Request, s supporter) {
	ctx := r.Context()
	reg, err := c.cfg.Registrations.Store.Get(ctx, r.PathValue("id"))
	if err != nil {
		message(w, http.StatusNotFound, "Not found", "There is no such document.")
		return
	}
	for _, d := range reg.Documents {
		if d.ID != r.PathValue("doc") {
			continue
		}
		data, err := c.cfg.Uploads.Get(ctx, d.ID)
		if err != nil && !errors.Is(err, uploads.ErrNotFound) {
			c.unavailable(w, r, err)
			return
		}
		if err == nil {
			_ = audit.WriteAction(ctx, c.cfg.Audit, audit.Action{Event: "registration.document.view", Actor: "support:" + s.ID,
				Subject: "registration:" + reg.ID, Outcome: audit.Success, Reason: d.Kind, Client: "accounts-console", Source: c.cfg.Proxies.Addr(r)})
			h := w.Header()
			h.Set("Content-Type", d.ContentType)
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s%s"`, d.Kind, reg.ID[:8], ext(d.ContentType)))
			h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			_, _ = w.Write(data)
			return
		}
	}
	message(w, http.StatusNotFound, "Not found", "There is no such document.")
}

func ext(contentType string) string {
	return map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[contentType]
}

// decideRegistration links a Practitioner, approves or rejects a registration.
func (c *Console) decideRegistration(w http.ResponseWriter, r *http.Request, s supporter) {
	ctx, id, f := r.Context(), r.PathValue("id"), r.PostForm
	by := registration.Decision{Support: s.ID, Source: c.cfg.Proxies.Addr(r)}
	var notice string
	var err error
	switch r.PathValue("action") {
	case "link":
		_, err = c.cfg.Registrations.Link(ctx, id, f.Get("practitioner"))
		notice = "Linked " + f.Get("practitioner") + "."
	case "approve":
		_, err = c.cfg.Registrations.Approve(ctx, id, f.Get("sponsor") == "yes", by)
		notice = "Approved: the clinician was emailed a set-up link."
	case "reject":
		_, err = c.cfg.Registrations.Reject(ctx, id, f.Get("reason"), clip(f.Get("note"), 500), by)
		notice = "Rejected: the registrant was emailed the reason."
	default:
		message(w, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	switch {
	case errors.Is(err, registration.ErrDecided):
		c.registrationPage(w, r, s, http.StatusConflict, "This registration was decided already.", "")
	case errors.Is(err, accounts.ErrUsernameTaken):
		c.registrationPage(w, r, s, http.StatusConflict, "An account already uses this email address.", "")
	case err != nil && strings.HasPrefix(err.Error(), "link the registrant"):
		c.registrationPage(w, r, s, http.StatusBadRequest, "Link the registrant's Practitioner before approving.", "")
	case err != nil:
		c.unavailable(w, r, err)
	case r.PathValue("action") == "link":
		http.Redirect(w, r, Path+"registrations/"+id+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
	default:
		http.Redirect(w, r, Path+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
	}
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

// decideRequest answers a "Request PCP access" request: done (the EHR now lists the
// clinician as PCP) or declined with a reason; the clinician is told by email.
func (c *Console) decideRequest(w http.ResponseWriter, r *http.Request, s supporter) {
	ctx, f := r.Context(), r.PostForm
	req, err := c.cfg.Requests.GetRequest(ctx, r.PathValue("id"))
	if errors.Is(err, grants.ErrNotFound) || (err == nil && req.Kind != grants.KindPCP) {
		message(w, http.StatusNotFound, "Not found", "There is no such request.", Path, "Back to the queues")
		return
	}
	status, reason, event := grants.Approved, "", "access_request.approve"
	if r.PathValue("action") == "decline" {
		status, reason, event = grants.Denied, f.Get("reason"), "access_request.deny"
		if _, ok := DeclineReasons[reason]; !ok {
			message(w, http.StatusBadRequest, "Choose a reason", "Choose why the request is declined.", Path, "Back to the queues")
			return
		}
	}
	if err == nil {
		req, err = c.cfg.Requests.DecideWithReason(ctx, req.ID, status, "support:"+s.ID, reason, time.Now())
	}
	if errors.Is(err, grants.ErrDecided) {
		message(w, http.StatusConflict, "Decided already", "Someone answered this request already.", Path, "Back to the queues")
		return
	}
	if err == nil && req.Email != "" {
		err = c.cfg.Mail.Enqueue(ctx, msgPCPAnswer(req, clip(f.Get("note"), 500), c.cfg.BaseURL))
	}
	if err == nil {
		err = audit.WriteAction(ctx, c.cfg.Audit, audit.Action{Event: event, Actor: "support:" + s.ID, Subject: req.Requester,
			Patients: []string{req.PatientID}, Outcome: audit.Success, Reason: reason, Client: "accounts-console", Source: c.cfg.Proxies.Addr(r)})
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, Path+"?notice="+url.QueryEscape("Answered; the clinician was emailed."), http.StatusSeeOther)
}

func msgPCPAnswer(req grants.Request, note, baseURL string) mail.Message {
	mrn := req.MRN
	if len(mrn) > 4 {
		mrn = mrn[len(mrn)-4:]
	}
	body := fmt.Sprintf("Hello,\n\nThe hospital's records now list you as the primary care provider of the patient whose MRN ends %s.\nSign in to MyPatients to see their records:\n\n  %s\n", mrn, baseURL)
	if req.Status == grants.Denied {
		body = fmt.Sprintf("Hello,\n\nWe could not grant your request for PCP access to the patient whose MRN ends %s.\n%s\n", mrn, DeclineReasons[req.Reason])
		if note != "" {
			body += "\nNote from the support team: " + note + "\n"
		}
	}
	return mail.Message{To: req.Email, Subject: "MyPatients: your PCP access request", Body: body}
}

// findAccount shows the account whose id or email address is q.
func (c *Console) findAccount(w http.ResponseWriter, r *http.Request, s supporter) {
	c.accountPage(w, r, s, r.URL.Query().Get("q"), http.StatusOK, r.URL.Query().Get("notice"))
}

type action struct {
	Action, Label string
	Reason        bool
}

func (c *Console) accountPage(w http.ResponseWriter, r *http.Request, s supporter, q string, status int, notice string) {
	d := page{"Title": "Accounts", "Who": s.Name, "CSRF": s.csrf, "Q": q, "Notice": notice}
	if q == "" {
		render(w, status, "accounts", d)
		return
	}
	ctx := r.Context()
	prof, err := c.cfg.Accounts.Search(ctx, q)
	if errors.Is(err, accounts.ErrNotFound) {
		d["Error"] = "No account has this id or email address."
		render(w, http.StatusNotFound, "accounts", d)
		return
	}
	standing, err2 := c.cfg.Accounts.Standing(ctx, prof.ID)
	locked, err3 := c.cfg.Throttle.Locked(ctx, prof.Username)
	if err := errors.Join(err, err2, err3); err != nil {
		c.unavailable(w, r, err)
		return
	}
	acts := []action{{"suspend", "Suspend", true}}
	if standing == accounts.Suspended {
		acts = []action{{"reinstate", "Reinstate", true}}
	}
	acts = append(acts, action{"unlock", "Unlock sign-in", false})
	if prof.Kind != accounts.KindHospital {
		acts = append(acts, action{"setup-link", "Send a new set-up link", false})
	}
	d["A"], d["Standing"], d["Locked"], d["Actions"] = prof, standing, locked, acts
	render(w, status, "accounts", d)
}

// accountAction suspends, reinstates, unlocks or re-sends a set-up link.
func (c *Console) accountAction(w http.ResponseWriter, r *http.Request, s supporter) {
	ctx, f := r.Context(), r.PostForm
	prof, err := c.cfg.Accounts.Search(ctx, f.Get("id"))
	if err != nil {
		message(w, http.StatusNotFound, "Not found", "There is no such account.", Path+"accounts", "Back")
		return
	}
	actor, source := "support:"+s.ID, c.cfg.Proxies.Addr(r)
	var notice string
	switch r.PathValue("action") {
	case "suspend", "reinstate":
		reason := clip(f.Get("reason"), 500)
		if reason == "" {
			message(w, http.StatusBadRequest, "Give a reason", "A suspension or reinstatement needs a reason: it goes into the audit trail.")
			return
		}
		err = c.cfg.Accounts.ChangeStanding(ctx, c.cfg.Audit, accounts.StandingChange{Account: prof.ID,
			Suspend: r.PathValue("action") == "suspend", Reason: reason, Actor: s.ID, Client: "accounts-console"})
		notice = "Done: " + r.PathValue("action") + "."
	case "unlock":
		err = errors.Join(c.cfg.Throttle.Unlock(ctx, prof.Username), c.event(ctx, "account.unlock", actor, prof.ID, source))
		notice = "Sign-in unlocked."
	case "setup-link":
		err = c.resendSetup(ctx, prof, actor, source)
		notice = "A new set-up link was emailed; earlier links no longer work."
	default:
		message(w, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, Path+"accounts?q="+url.QueryEscape(prof.ID)+"&notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (c *Console) event(ctx context.Context, name, actor, subject, source string) error {
	return audit.WriteAction(ctx, c.cfg.Audit, audit.Action{Event: name, Actor: actor, Subject: subject, Outcome: audit.Success,
		Client: "accounts-console", Source: source})
}

// resendSetup issues a new set-up link for the account (the old one stops working) and mails it.
func (c *Console) resendSetup(ctx context.Context, prof accounts.Profile, actor, source string) error {
	token, err := c.cfg.Accounts.IssueSetup(ctx, prof.ID)
	if err != nil {
		return err
	}
	link := c.cfg.BaseURL + accounts.SetupPath + "?token=" + token
	if err := c.cfg.Mail.Enqueue(ctx, accounts.SetupLinkMail(prof.Email, prof.Name, link)); err != nil {
		return err
	}
	name := "account.setup_link.issue"
	if prof.Kind == accounts.KindStaff {
		name = "staff.setup_link.issue"
	}
	return c.event(ctx, name, actor, prof.ID, source)
}
