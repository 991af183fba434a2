package fhirproxy

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mypatients/gateway/upstream"
)

// refusal.go holds every refusal the proxy makes itself and the reason codes they carry;
// answer.go writes them as an OperationOutcome.

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

// The reason codes of the refusals the proxy makes itself, for what the policy never sees:
// authentication, the request's form, the upstream's answer, faults of the parts it depends
// on. This is the one table of them; every other code in the audit trail is the policy's
// (policies/README.md), such as "not_pcp" or "not_clinician".
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
	reasonPageToken       = "page_link_not_yours"
	reasonAuthnError      = "authn_unavailable"
	reasonFormat          = "not_acceptable"
	reasonCircuit         = "upstream_circuit_open"
	reasonBusy            = "too_many_concurrent"
)

// busy refuses a request of a caller who already has as many requests in flight as one
// caller may (upstream.ErrBusy): 429, and the upstream never sees it.
func busy(err error) *refusal {
	return &refusal{Status: http.StatusTooManyRequests, Code: codeTransient, Reason: reasonBusy, Err: err,
		Diagnostics: "You have too many requests in progress at once; wait for them to finish, then try again."}
}

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
	// request-pcp-access); shown as the details so that an app can offer them.
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

// authzFailed is a decision that could not be made. When the cause is the EHR (its facts could
// not be read), the answer is the EHR's fault, 502 or 504, and says so; otherwise 503.
func authzFailed(err error) *refusal {
	switch {
	case errors.Is(err, upstream.ErrTimeout):
		return &refusal{Status: http.StatusGatewayTimeout, Code: codeTimeout, Reason: reasonTimeout, Err: err,
			Diagnostics: "The hospital's FHIR server did not answer in time, so access could not be checked; no data was released."}
	case errors.Is(err, upstream.ErrUnavailable):
		return &refusal{Status: http.StatusBadGateway, Code: codeProcessing, Reason: reasonUpstream, Err: err,
			Diagnostics: "The hospital's FHIR server did not give a usable answer, so access could not be checked; no data was released."}
	}
	return &refusal{Status: http.StatusServiceUnavailable, Code: codeTransient, Reason: reasonAuthzError,
		Diagnostics: "Access could not be checked right now; no data was released.", Err: err}
}
