package fhirproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Issue codes (FHIR R4 IssueType) the gateway uses.
const (
	codeSecurity     = "security"
	codeForbidden    = "forbidden"
	codeNotSupported = "not-supported"
	codeInvalid      = "invalid"
	codeProcessing   = "processing"
	codeLogin        = "login"
	codeTimeout      = "timeout"
	codeTransient    = "transient"
)

// Audit reason codes for refusals the proxy makes itself (the authorizer supplies its own,
// such as "not_pcp").
const (
	reasonUnauthenticated = "unauthenticated"
	reasonInvalidToken    = "invalid_token"
	reasonMethod          = "method_not_allowed"
	reasonOverride        = "method_override"
	reasonInvalid         = "invalid_request"
	reasonUnsupported     = "not_supported"
	reasonNoPatient       = "no_patient_named"
	reasonNotFound        = "not_found"
	reasonUnexpected      = "unexpected_resource"
	reasonAuthzError      = "authz_error"
	reasonUpstream        = "upstream_error"
	reasonTimeout         = "upstream_timeout"
	reasonAudit           = "audit_unavailable"
	reasonScopeQuery      = "outside_scope_query"
	reasonScope           = "scope_not_permitted"
	reasonNotClinician    = "not_clinician"
	reasonPageToken       = "page_link_not_yours"
	reasonAuthnError      = "authn_unavailable"
	reasonFormat          = "not_acceptable"
	reasonCircuit         = "upstream_circuit_open"
)

// hiddenDenial is the one text for "this resource does not exist" and "you may not see it" on a
// read, so that the answer does not reveal whether a resource exists.
const hiddenDenial = "Access denied: the resource does not exist or belongs to a patient you may not see."

// refusal is the proxy's outward error: everything needed to answer with an OperationOutcome
// and to audit why. Internal errors are wrapped with %w; they become a refusal in exactly one
// place per kind (see the constructors below) and nothing of their text reaches the caller.
type refusal struct {
	Status      int
	Code        string // OperationOutcome issue code
	Diagnostics string // shown to the caller; never upstream or internal detail
	Reason      string // audit reason code
	Err         error  // internal cause, logged only
	// NextSteps are codes of what the clinician can do about a policy denial (for example
	// request-pcp-access); shown as the issue's details so that an app can offer them.
	NextSteps []string
}

func (r *refusal) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%d %s: %v", r.Status, r.Reason, r.Err)
	}
	return fmt.Sprintf("%d %s", r.Status, r.Reason)
}

func (r *refusal) Unwrap() error { return r.Err }

func badRequest(format string, args ...any) *refusal {
	return &refusal{Status: http.StatusBadRequest, Code: codeInvalid, Reason: reasonInvalid,
		Diagnostics: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *refusal {
	return &refusal{Status: http.StatusForbidden, Code: codeNotSupported, Reason: reasonUnsupported,
		Diagnostics: fmt.Sprintf(format, args...)}
}

func forbidden(reason, diagnostics string) *refusal {
	return &refusal{Status: http.StatusForbidden, Code: codeForbidden, Reason: reason, Diagnostics: diagnostics}
}

// hidden is the denial of a read that must look the same whether or not the resource exists.
func hidden(reason string, err error) *refusal {
	return &refusal{Status: http.StatusForbidden, Code: codeForbidden, Reason: reason,
		Diagnostics: hiddenDenial, Err: err}
}

// notAcceptable refuses any representation but JSON, without parsing the request further.
func notAcceptable() *refusal {
	return &refusal{Status: http.StatusNotAcceptable, Code: codeNotSupported, Reason: reasonFormat,
		Diagnostics: "Only JSON (application/fhir+json) is supported."}
}

func upstreamFailed(err error) *refusal {
	return &refusal{Status: http.StatusBadGateway, Code: codeProcessing, Reason: reasonUpstream,
		Diagnostics: "The hospital's FHIR server did not give a usable answer.", Err: err}
}

func upstreamTimeout(err error) *refusal {
	return &refusal{Status: http.StatusGatewayTimeout, Code: codeTimeout, Reason: reasonTimeout,
		Diagnostics: "The hospital's FHIR server did not answer in time.", Err: err}
}

func authzFailed(err error) *refusal {
	return &refusal{Status: http.StatusServiceUnavailable, Code: codeTransient, Reason: reasonAuthzError,
		Diagnostics: "Access could not be checked right now; no data was released.", Err: err}
}

// operationOutcome is the FHIR R4 OperationOutcome the proxy writes, with one issue.
type operationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

type outcomeIssue struct {
	Severity    string          `json:"severity"`
	Code        string          `json:"code"`
	Details     *outcomeDetails `json:"details,omitempty"`
	Diagnostics string          `json:"diagnostics,omitempty"`
}

// outcomeDetails carries the next steps of a denial as codings an app can act on.
type outcomeDetails struct {
	Coding []outcomeCoding `json:"coding"`
	Text   string          `json:"text,omitempty"`
}

type outcomeCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// NextStepSystem is the code system of the next steps a denial offers.
const NextStepSystem = "https://mypatients.example.org/fhir/CodeSystem/next-step"

// outcomeJSON renders an OperationOutcome with one error issue, and the next steps as its
// details when there are any.
func outcomeJSON(code, diagnostics string, nextSteps ...string) []byte {
	issue := outcomeIssue{Severity: "error", Code: code, Diagnostics: diagnostics}
	if len(nextSteps) > 0 {
		issue.Details = &outcomeDetails{Text: "Ask for access with POST /api/access-requests."}
		for _, s := range nextSteps {
			issue.Details.Coding = append(issue.Details.Coding, outcomeCoding{System: NextStepSystem, Code: s})
		}
	}
	b, err := json.Marshal(operationOutcome{ResourceType: "OperationOutcome", Issue: []outcomeIssue{issue}})
	if err != nil { // cannot happen for these string fields
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}`)
	}
	return b
}

// setCommonHeaders sets the headers every /fhir answer carries.
func setCommonHeaders(h http.Header, requestID string) {
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if requestID != "" {
		h.Set("X-Request-Id", requestID)
	}
}

// writeRefusal writes rf as an OperationOutcome; 401 and 405 carry the headers RFC 6750 and
// RFC 9110 require.
func writeRefusal(w http.ResponseWriter, requestID string, rf *refusal) {
	h := w.Header()
	setCommonHeaders(h, requestID)
	switch rf.Status {
	case http.StatusUnauthorized:
		// RFC 6750 §3: no error code when the request carried no token at all.
		if rf.Reason == reasonInvalidToken {
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		} else {
			h.Set("WWW-Authenticate", "Bearer")
		}
	case http.StatusMethodNotAllowed:
		h.Set("Allow", "GET")
	}
	w.WriteHeader(rf.Status)
	_, _ = w.Write(outcomeJSON(rf.Code, rf.Diagnostics, rf.NextSteps...))
}
