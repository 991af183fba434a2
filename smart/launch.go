package smart

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/redisstore"
)

// launchRecord is an EHR launch context, created by the EHR before it opens the app and
// redeemed once by the app's authorization request (SMART app-launch.md §"EHR Launch": the
// launch parameter is opaque to the app; its creation API is the server's own).
type launchRecord struct {
	Patient   string `json:"patient"`
	Encounter string `json:"encounter,omitempty"`
	// User, when set, is the gateway user id the login must end with.
	User string `json:"user,omitempty"`
	// ClientID, when set, is the only app that may redeem the launch.
	ClientID          string            `json:"client_id,omitempty"`
	NeedPatientBanner bool              `json:"need_patient_banner"`
	FHIRContext       []fhirContextItem `json:"fhir_context,omitempty"`
}

// launchRequest is the body of POST /smart/launch.
type launchRequest struct {
	Patient           string            `json:"patient"`
	Encounter         string            `json:"encounter"`
	User              string            `json:"user"`
	ClientID          string            `json:"client_id"`
	NeedPatientBanner *bool             `json:"need_patient_banner"`
	FHIRContext       []fhirContextItem `json:"fhir_context"`
}

// typeName is a FHIR resource type's name, for the references of fhirContext.
var typeName = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// handleCreateLaunch lets a registered EHR (a confidential client with launch_creator)
// create a launch context: Parse → Validate → Create → Respond 201 {"launch", "expires_in"}.
// The launch value is 256 random bits, stored only as its hash, single-use, short-lived.
func (s *Server) handleCreateLaunch(w http.ResponseWriter, r *http.Request) {
	noStore(w.Header())
	if _, ok := s.launchCreator(r); !ok {
		writeTokenError(w, &oauthError{status: http.StatusUnauthorized, code: errInvalidClient, description: "authenticate as a registered launch creator with HTTP Basic"})
		return
	}
	var req launchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: "the body must be a JSON launch object: " + err.Error()})
		return
	}
	rec, msg := s.validateLaunch(req)
	if msg != "" {
		writeTokenError(w, &oauthError{status: http.StatusBadRequest, code: errInvalidRequest, description: msg})
		return
	}
	launch := newSecret()
	if err := redisstore.PutJSON(r.Context(), s.rdb, s.launchKey(launch), rec, s.opts.LaunchTTL); err != nil {
		s.storeFault(w, r, "store launch", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"launch": launch, "expires_in": int(s.opts.LaunchTTL.Seconds())})
}

// validateLaunch checks a launch request and returns its record, or a message.
func (s *Server) validateLaunch(req launchRequest) (launchRecord, string) {
	if !gateway.ValidID(req.Patient) {
		return launchRecord{}, "patient must be a FHIR id"
	}
	if req.Encounter != "" && !gateway.ValidID(req.Encounter) {
		return launchRecord{}, "encounter must be a FHIR id"
	}
	if req.ClientID != "" {
		if _, ok := s.clients[req.ClientID]; !ok {
			return launchRecord{}, "client_id is not a registered app"
		}
	}
	for _, fc := range req.FHIRContext {
		// scopes-and-launch-context.md §fhirContext: relative references; Patient and
		// Encounter only with a role other than "launch" (those go in patient/encounter).
		t, id, _ := strings.Cut(fc.Reference, "/")
		if !typeName.MatchString(t) || !gateway.ValidID(id) {
			return launchRecord{}, "fhir_context references must be relative, Type/id"
		}
		if (t == "Patient" || t == "Encounter") && (fc.Role == "" || fc.Role == "launch") {
			return launchRecord{}, "fhir_context may hold Patient or Encounter only with a role other than launch"
		}
	}
	banner := true
	if req.NeedPatientBanner != nil {
		banner = *req.NeedPatientBanner
	}
	return launchRecord{Patient: req.Patient, Encounter: req.Encounter, User: req.User, ClientID: req.ClientID,
		NeedPatientBanner: banner, FHIRContext: req.FHIRContext}, ""
}

// launchCreator authenticates the EHR with HTTP Basic.
func (s *Server) launchCreator(r *http.Request) (Client, bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return Client{}, false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	c, found := s.clients[id]
	if !found || !c.LaunchCreator || c.SecretSHA256 == "" {
		return Client{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	return c, subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.SecretSHA256)) == 1
}
