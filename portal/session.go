package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mypatients/gateway/web"
)

// sessionData is what a signed-in session keeps: the gateway's tokens and who the clinician
// is. Pending holds a sign-in in progress.
type sessionData struct {
	Tokens  tokens   `json:"tokens"`
	Profile profile  `json:"profile"`
	Pending *pending `json:"pending,omitempty"`
}

// pending is an authorization request the portal sent the browser with: its state, PKCE
// verifier and where to go after.
type pending struct {
	State, Verifier, Next string
	Started               time.Time
}

// profile is the signed-in clinician, as the header and the access pages show them.
type profile struct {
	User, Name, Username, Email, Phone string
	Practitioner                       string
	// Role is "provider" or "staff"; StaffRole a staff member's job; Sponsor their provider.
	Role, StaffRole, Sponsor string
	CanSponsor               bool
	// Practice and the directory facts that say why a patient is visible: the clinician's
	// PractitionerRoles, practices and their members.
	Practices []string
	RoleIDs   []string
	OrgIDs    []string
	Members   map[string]string
	IdP       string
}

type session = web.Session[sessionData]

// request is one signed-in page request: the session and the clinician.
type request struct {
	*http.Request
	sess *session
}

func (r request) me() profile { return r.sess.Data.Profile }

// signedIn admits requests of a live, signed-in session; others go to the sign-in page (a
// GET comes back to where it was). POSTs must carry the session's CSRF token.
func (p *Portal) signedIn(h func(http.ResponseWriter, request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := p.sessions.Load(r)
		switch {
		case errors.Is(err, web.ErrNoSession) || (err == nil && sess.Data.Tokens.Access == ""):
			p.toSignin(w, r, "expired")
			return
		case err != nil:
			p.fault(r, "load session", err)
			p.message(w, r, nil, http.StatusServiceUnavailable, "MyPatients is not available", "Your session could not be read. Try again in a minute.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
			if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r) {
				p.message(w, r, sess, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
				return
			}
		}
		// Refreshed here, once, so that the page's reads (some of them concurrent) only read
		// the session's token.
		if _, err := p.bearer(r.Context(), sess); err != nil {
			p.failed(w, request{Request: r, sess: sess}, fmt.Errorf("%w: %w", errExpired, err))
			return
		}
		h(w, request{Request: r, sess: sess})
	}
}

// toSignin sends the browser to the sign-in page, with why; a GET returns there afterwards.
func (p *Portal) toSignin(w http.ResponseWriter, r *http.Request, why string) {
	q := url.Values{"m": {why}}
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		q.Set("next", r.URL.RequestURI())
	}
	http.Redirect(w, r, "/portal/signin?"+q.Encode(), http.StatusSeeOther)
}

// bearer returns the session's access token, refreshed when it is about to expire.
func (p *Portal) bearer(ctx context.Context, sess *session) (string, error) {
	t := sess.Data.Tokens
	if time.Until(t.Expires) > time.Minute || t.Refresh == "" {
		return t.Access, nil
	}
	fresh, err := p.gw.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.Refresh}})
	if err != nil {
		return "", err
	}
	if fresh.Refresh == "" {
		fresh.Refresh = t.Refresh
	}
	sess.Data.Tokens = fresh
	if err := p.sessions.Save(ctx, sess); err != nil {
		return "", err
	}
	return fresh.Access, nil
}
