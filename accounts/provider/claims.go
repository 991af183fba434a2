package provider

import (
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// setUserinfo fills the claims the granted scopes allow (OIDC Core §5.4): profile gives
// preferred_username, name and groups, email gives email, fhirUser gives fhirUser (SMART App
// Launch 2.0), when the user has one.
func setUserinfo(info *oidc.UserInfo, u User, scopes []string) {
	info.Subject = u.Subject
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeProfile:
			info.PreferredUsername = u.Username
			info.Name = u.Name
			if len(u.Groups) > 0 {
				info.AppendClaims(groupsClaim, u.Groups)
			}
		case oidc.ScopeEmail:
			info.Email = u.Email
		case fhirUserScope:
			if u.FHIRUser != "" {
				info.AppendClaims(fhirUserClaim, u.FHIRUser)
			}
		}
	}
}
