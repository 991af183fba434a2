package smart

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore"
)

// pending is an authorization between login and the app's code: the patient picker and
// the consent screen work on it. It is stored under the hash of its id, which the pages
// carry, and bound to the browser by the login cookie.
type pending struct {
	Req      authRequest      `json:"req"`
	User     loggedInUser     `json:"user"`
	AuthTime time.Time        `json:"auth_time"`
	Patients []PatientSummary `json:"patients,omitempty"`
	Patient  string           `json:"patient,omitempty"`
}

// afterLogin continues an authorization once the IdP vouched for the user. An account that is
// not in good standing goes no further; a sign-in is recorded ("signin") before anything is
// issued. Then comes the patient picker when a standalone launch needs a patient, then the
// consent screen (first-party clients skip it). A staff user's sponsor is captured here, once,
// for every token of the grant.
func (s *Server) afterLogin(w http.ResponseWriter, r *http.Request, req authRequest, user loggedInUser, binding string) {
	if req.Launch != nil && req.Launch.User != "" && req.Launch.User != user.Subject {
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errAccessDenied, description: "the EHR launched this app for another user"})
		return
	}
	unavailable := &oauthError{code: errTemporarilyUnavailable, description: "try again later"}
	var err error
	if user.Sponsor, err = s.sponsorOf(r.Context(), user.Subject); err != nil {
		s.log.ErrorContext(r.Context(), "look up the sponsor of a signed-in user", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, unavailable)
		return
	}
	if err := s.standing(r.Context(), user.Subject); err != nil {
		refusal := standingRefusal(err, "")
		if !errors.Is(err, gateway.ErrForbidden) {
			s.log.ErrorContext(r.Context(), "read the standing of a signed-in user", "err", err)
			refusal = unavailable
		} else if s.signinEvent(r, req, user, "account_inactive") != nil {
			refusal = unavailable
		}
		redirectError(w, r, req.RedirectURI, req.State, refusal)
		return
	}
	if !s.signedIn(w, r, req, user) {
		return
	}
	if s.signinEvent(r, req, user, "") != nil {
		redirectError(w, r, req.RedirectURI, req.State, unavailable)
		return
	}
	if user.FHIRUser == "" {
		// SMART's fhirUser scope promises the user's FHIR resource; without one it is not granted.
		req.Scopes = slices.DeleteFunc(req.Scopes, func(sc string) bool { return sc == "fhirUser" })
	}
	p := pending{Req: req, User: user, AuthTime: s.now()}
	if req.NeedPicker {
		pts, err := s.listPatients(r.Context(), s.pickerCaller(req, user))
		if err != nil {
			s.log.ErrorContext(r.Context(), "list patients for the picker", "err", err)
			redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errTemporarilyUnavailable, description: "the patient list is not available"})
			return
		}
		if len(pts) == 0 {
			redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errAccessDenied, description: "there is no patient you may open"})
			return
		}
		p.Patients = pts
	}
	s.proceed(w, r, newSecret(), binding, p, false)
}

// proceed shows what an authorization needs next: the picker while a patient must be chosen,
// then the consent screen, or for a first-party client the code at once with every offered
// scope. saved says whether p is stored already under id.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, id, binding string, p pending, saved bool) {
	firstParty := s.clients[p.Req.ClientID].FirstParty
	if firstParty && !(p.Req.NeedPicker && p.Patient == "") {
		if saved {
			if err := s.rdb.Del(r.Context(), s.pendingKey(id)).Err(); err != nil {
				s.loginStoreError(w, r, err)
				return
			}
		}
		s.grantAndIssue(w, r, p, p.Req.Scopes)
		return
	}
	if !s.savePending(w, r, id, p) {
		return
	}
	if p.Req.NeedPicker && p.Patient == "" {
		s.showPicker(w, id, binding, p)
		return
	}
	s.showConsent(w, id, binding, p)
}

// grantAndIssue issues the code of p for scopes. A patient/ scope is never granted without a
// patient: a standalone launch that needed the picker must have been through it.
func (s *Server) grantAndIssue(w http.ResponseWriter, r *http.Request, p pending, scopes []string) {
	req := p.Req
	g := grant{ClientID: req.ClientID, Scopes: scopes, User: p.User, Nonce: req.Nonce, AuthTime: p.AuthTime}
	switch {
	case req.Launch != nil:
		g.Context = &launchContext{Patient: req.Launch.Patient, Encounter: req.Launch.Encounter,
			FHIRContext: req.Launch.FHIRContext, NeedPatientBanner: req.Launch.NeedPatientBanner}
	case p.Patient != "":
		g.Context = &launchContext{Patient: p.Patient, NeedPatientBanner: true}
	}
	if (req.NeedPicker && p.Patient == "") || (hasPatientScope(scopes) && (g.Context == nil || g.Context.Patient == "")) {
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errAccessDenied, description: "no patient was chosen"})
		return
	}
	s.issueCode(w, r, req, g)
}

// pickerCaller is the user as a caller of the FHIR API, for the picker's patient search:
// the same user, the same app, only the right to search patients.
func (s *Server) pickerCaller(req authRequest, user loggedInUser) gateway.Caller {
	return gateway.Caller{Subject: user.Subject, Username: user.Username, IdP: user.IdP, FHIRUser: user.FHIRUser,
		Sponsor: user.Sponsor, ClientID: req.ClientID, Scopes: []string{"user/Patient.rs"}, TokenID: "picker-" + newSecret()[:12]}
}

// handlePickPatient takes the picker's choice, which must be one of the patients offered.
func (s *Server) handlePickPatient(w http.ResponseWriter, r *http.Request) {
	id, binding, p, ok := s.loadPending(w, r, false)
	if !ok {
		return
	}
	choice := r.PostForm.Get("patient")
	if !slices.ContainsFunc(p.Patients, func(ps PatientSummary) bool { return ps.ID == choice }) {
		s.showPicker(w, id, binding, p)
		return
	}
	p.Patient = choice
	s.proceed(w, r, id, binding, p, true)
}

// handleConsent takes the clinician's decision. Only scopes that were offered and are still
// ticked are granted; "deny" is access_denied (RFC 6749 §4.1.2.1).
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	_, _, p, ok := s.loadPending(w, r, true)
	if !ok {
		return
	}
	req := p.Req
	if r.PostForm.Get("decision") != "allow" {
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errAccessDenied, description: "the user declined"})
		return
	}
	var granted []string
	for _, sc := range req.Scopes {
		if slices.Contains(r.PostForm["scope"], sc) {
			granted = append(granted, sc)
		}
	}
	if !grantable(granted) {
		redirectError(w, r, req.RedirectURI, req.State, &oauthError{code: errAccessDenied, description: "the user granted no access to data"})
		return
	}
	s.grantAndIssue(w, r, p, granted)
}

// loadPending reads the pending authorization a page posted back, checking that the form
// comes from the browser that logged in: the login cookie and the CSRF token derived from it.
func (s *Server) loadPending(w http.ResponseWriter, r *http.Request, take bool) (string, string, pending, bool) {
	var p pending
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		showError(w, http.StatusBadRequest, "The form could not be read.")
		return "", "", p, false
	}
	id := r.PostForm.Get("pending")
	cookie, err := r.Cookie(bindingCookie)
	if id == "" || err != nil || !equalHashes(csrfToken(id, cookie.Value), r.PostForm.Get("csrf")) {
		showError(w, http.StatusForbidden, "This form was not sent from the browser that signed in, or it has expired.")
		return "", "", p, false
	}
	get := redisstore.GetJSON
	if take {
		get = redisstore.TakeJSON
	}
	if err := get(r.Context(), s.rdb, s.pendingKey(id), &p); err != nil {
		s.loginStoreError(w, r, err)
		return "", "", p, false
	}
	if !equalHashes(hashSecret(cookie.Value), p.Req.Binding) {
		showError(w, http.StatusForbidden, "This form was not sent from the browser that signed in.")
		return "", "", p, false
	}
	return id, cookie.Value, p, true
}

func (s *Server) savePending(w http.ResponseWriter, r *http.Request, id string, p pending) bool {
	if err := redisstore.PutJSON(r.Context(), s.rdb, s.pendingKey(id), p, s.opts.LoginTTL); err != nil {
		s.loginStoreError(w, r, err)
		return false
	}
	return true
}

// csrfToken binds a page's form to the browser's login cookie (RFC 9700 §4.7).
func csrfToken(pendingID, binding string) string {
	return hashSecret("csrf\x00" + pendingID + "\x00" + binding)
}
