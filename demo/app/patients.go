package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// bundle is a searchset Bundle; entries are decoded by resource type.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Total        *int   `json:"total"`
	Entry        []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// decodeBundle returns the entries of type want, and the messages of any OperationOutcome
// entries (a server may explain there what it left out of a search).
func decodeBundle[T any](body []byte, want string) ([]T, []string, error) {
	var b bundle
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, nil, fmt.Errorf("decode Bundle: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return nil, nil, fmt.Errorf("expected a Bundle, got %q", b.ResourceType)
	}
	var out []T
	var notes []string
	for i, e := range b.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return nil, nil, fmt.Errorf("decode Bundle entry %d: %w", i, err)
		}
		switch head.ResourceType {
		case want:
			var v T
			if err := json.Unmarshal(e.Resource, &v); err != nil {
				return nil, nil, fmt.Errorf("decode %s entry %d: %w", want, i, err)
			}
			out = append(out, v)
		case "OperationOutcome":
			var oo operationOutcome
			if json.Unmarshal(e.Resource, &oo) == nil {
				notes = append(notes, oo.messages()...)
			}
		}
	}
	return out, notes, nil
}

// signedIn is what every page that calls the gateway shows about the session.
type signedIn struct {
	Scope  string
	Expiry time.Time
}

// ExpiresIn is the token's remaining lifetime, rounded for display.
func (s signedIn) ExpiresIn() string {
	if s.Expiry.IsZero() {
		return "unknown"
	}
	return time.Until(s.Expiry).Round(time.Second).String()
}

// requireToken returns the session's token, or answers the request itself: the home page for
// a browser that is not signed in, a note for one whose token has expired.
func (a *app) requireToken(w http.ResponseWriter, r *http.Request) (session, bool) {
	id, sess, ok := a.sessions.get(r)
	if !ok || sess.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return session{}, false
	}
	if !sess.Expiry.IsZero() && time.Now().After(sess.Expiry) {
		a.sessions.forget(w, id, a.secure)
		a.showMessage(w, http.StatusUnauthorized, "Signed out", "Your access token has expired. Sign in again from the home page.")
		return session{}, false
	}
	return sess, true
}

type patientsView struct {
	SignedIn signedIn
	Call     call
	Patients []patient
	Notes    []string
}

// handlePatients lists the patients a search returns: the gateway decides which those are.
func (a *app) handlePatients(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	v := patientsView{SignedIn: signedIn{sess.Scope, sess.Expiry}}
	v.Call = a.fhirGet(r.Context(), sess.Token, "Patient search", url.Values{"_count": {"50"}}, "Patient")
	if v.Call.Problem == "" {
		var err error
		if v.Patients, v.Notes, err = decodeBundle[patient](v.Call.Body, "Patient"); err != nil {
			v.Call.Problem = "The gateway's answer could not be read: " + err.Error()
		}
	}
	a.render(w, http.StatusOK, patientsPage, v)
}

func validID(id string) bool {
	return idPattern.MatchString(id) && strings.Trim(id, ".") != ""
}

type patientView struct {
	SignedIn    signedIn
	ID          string
	Patient     *patient
	PatientCall call
	Encounters  []encounter
	EncCall     call
	Labs        []observation
	LabCall     call
	Meds        []medicationRequest
	MedCall     call
	Notes       []string
}

// handlePatient shows one patient: the four reads run at once, and each shows its own result,
// so a refusal on any of them is visible as the gateway worded it.
func (a *app) handlePatient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		a.showMessage(w, http.StatusBadRequest, "Not a patient id",
			"A FHIR id is 1 to 64 letters, digits, '-' and '.', for example child-01.")
		return
	}
	sess, ok := a.requireToken(w, r)
	if !ok {
		return
	}
	v := patientView{SignedIn: signedIn{sess.Scope, sess.Expiry}, ID: id}
	ctx, tok := r.Context(), sess.Token
	var wg sync.WaitGroup
	wg.Go(func() { v.PatientCall = a.fhirGet(ctx, tok, "Patient read", nil, "Patient", id) })
	wg.Go(func() {
		v.EncCall = a.fhirGet(ctx, tok, "Encounters", url.Values{"patient": {id}}, "Encounter")
	})
	wg.Go(func() {
		v.LabCall = a.fhirGet(ctx, tok, "Observations", url.Values{"patient": {id}, "_count": {"50"}}, "Observation")
	})
	wg.Go(func() {
		v.MedCall = a.fhirGet(ctx, tok, "Medication requests", url.Values{"patient": {id}}, "MedicationRequest")
	})
	wg.Wait()

	if v.PatientCall.Problem == "" {
		var p patient
		if err := json.Unmarshal(v.PatientCall.Body, &p); err != nil || p.ResourceType != "Patient" {
			v.PatientCall.Problem = "The gateway's answer is not a Patient."
		} else {
			v.Patient = &p
		}
	}
	// One refusal is enough to read: the searches refused for the same reason say so briefly.
	if v.PatientCall.Denied {
		for _, c := range []*call{&v.EncCall, &v.LabCall, &v.MedCall} {
			if c.Denied && c.Problem == v.PatientCall.Problem {
				c.Problem = "Refused too, for the same reason."
			}
		}
	}
	v.Encounters = decodeInto[encounter](&v.EncCall, "Encounter", &v.Notes)
	v.Labs = decodeInto[observation](&v.LabCall, "Observation", &v.Notes)
	v.Meds = decodeInto[medicationRequest](&v.MedCall, "MedicationRequest", &v.Notes)
	a.render(w, http.StatusOK, patientPage, v)
}

// decodeInto decodes a successful search call, recording a decoding failure as its problem.
func decodeInto[T any](c *call, want string, notes *[]string) []T {
	if c.Problem != "" {
		return nil
	}
	out, n, err := decodeBundle[T](c.Body, want)
	if err != nil {
		c.Problem = "The gateway's answer could not be read: " + err.Error()
		return nil
	}
	*notes = append(*notes, n...)
	return out
}
