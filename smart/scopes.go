package smart

import (
	"slices"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/smart/scope"
)

// offerScopes returns the scopes the gateway may grant for an authorization request, which
// the consent screen then offers to the clinician (granted ⊆ requested ∩ user's choice ∩
// policy: scopes-and-launch-context.md). Resource scopes are reduced to read (r, s): the
// gateway never grants create, update or delete. system/ scopes belong to backend services.
// The first-party scopes (gateway.FirstPartyScopes) are offered to first-party clients only; a
// third-party app that asks for them, or for any other "mypatients/" scope, has them dropped
// like any scope it may not have, without an error that would reveal them. Anything not
// offered is dropped, and the token response's scope shows the narrowing.
func (s *Server) offerScopes(client Client, requested []string, ehrLaunch bool) []string {
	var offer []string
	add := func(sc string) {
		if !slices.Contains(offer, sc) {
			offer = append(offer, sc)
		}
	}
	for _, sc := range requested {
		if len(client.Scopes) > 0 && !slices.Contains(client.Scopes, sc) {
			continue
		}
		switch sc {
		case "openid", "fhirUser":
			add(sc)
		case "launch":
			if ehrLaunch {
				add(sc)
			}
		case "launch/patient":
			// Standalone: the picker establishes the patient. In an EHR launch the EHR did.
			if !ehrLaunch {
				add(sc)
			}
		case "offline_access":
			if client.allowsGrant(grantRefreshToken) {
				add(sc)
			}
		case gateway.ScopeAccessManage, gateway.ScopeStaffManage:
			if client.FirstParty {
				add(sc)
			}
		default:
			r, ok, err := scope.ParseResource(sc)
			if !ok || err != nil || (r.Context != "user" && r.Context != "patient") {
				continue
			}
			if ro, ok := r.ReadOnly(); ok {
				add(ro.String())
			}
		}
	}
	return offer
}

// grantable reports whether scopes give access to something: data (a patient/ or user/
// resource scope) or the gateway's own API (a first-party scope).
func grantable(scopes []string) bool {
	return hasResourceScope(scopes) || slices.ContainsFunc(scopes, func(sc string) bool {
		return slices.Contains(gateway.FirstPartyScopes, sc)
	})
}

// hasResourceScope reports whether scopes hold a patient/ or user/ resource scope.
func hasResourceScope(scopes []string) bool {
	return slices.ContainsFunc(scopes, func(sc string) bool {
		r, ok, err := scope.ParseResource(sc)
		return ok && err == nil && r.Context != "system"
	})
}

// hasPatientScope reports whether scopes hold a patient/ resource scope, which establishes a
// patient context (scopes-and-launch-context.md: granting one SHALL).
func hasPatientScope(scopes []string) bool {
	return slices.ContainsFunc(scopes, func(sc string) bool {
		r, ok, err := scope.ParseResource(sc)
		return ok && err == nil && r.Context == "patient"
	})
}
