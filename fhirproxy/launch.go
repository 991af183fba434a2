package fhirproxy

import (
	"net/url"
	"slices"

	"github.com/mypatients/gateway"
)

// Two SMART rules follow from the token's own launch context rather than from the policy.
// Each only shapes the caller or the upstream query that the policy then decides on, for one
// request; neither releases anything by itself.

// withFHIRUserRead lets a token read its own user's resource: a read of exactly the caller's
// fhirUser resource, by a token granted the fhirUser scope, gets user/<type>.r for this one
// request, whatever its other scopes (SMART App Launch 2.2 scopes-and-launch-context.md: the
// fhirUser resource is readable with the same access token; item 38 of the SMART checklist).
// The added scope is then what every check and decision of the request sees. A vread or a
// search, or any other resource, is left to the token's own scopes.
func withFHIRUserRead(c gateway.Caller, req *fhirRequest) gateway.Caller {
	if req.Interaction != gateway.Read || req.Type+"/"+req.ID != c.FHIRUser || !slices.Contains(c.Scopes, "fhirUser") {
		return c
	}
	c.Scopes = append(slices.Clip(c.Scopes), "user/"+req.Type+".r")
	return c
}

// launchConfined narrows further the authorizer's params for a search of resourceType that
// names no patient, when the token has a launch patient and no user/ scope lets it search the
// type: its patient/ scopes reach the launch patient's data only (SMART App Launch 2.2
// scopes-and-launch-context.md), so the search gets _id=<launch patient>. FHIR ANDs repeated
// parameters, so the authorizer's narrowing (the clinician's own patients) stays, and every
// returned entry is still decided by the policy. params is not modified.
func launchConfined(c gateway.Caller, resourceType string, params url.Values) url.Values {
	if c.Patient == "" || len(covering(c.Scopes, resourceType, "s", "user")) > 0 {
		return params
	}
	out := url.Values{}
	for k, vs := range params {
		out[k] = slices.Clone(vs)
	}
	out.Add("_id", c.Patient)
	return out
}
