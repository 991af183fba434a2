package smart

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mypatients/gateway/redisstore"
)

// launchContext is what a token's app is launched with (SMART scopes-and-launch-context.md
// §"Launch context arrives with your access_token").
type launchContext struct {
	Patient   string `json:"patient,omitempty"`
	Encounter string `json:"encounter,omitempty"`
	// FHIRContext holds further context objects: relative references with a role other than
	// "launch" for Patient and Encounter.
	FHIRContext       []fhirContextItem `json:"fhirContext,omitempty"`
	NeedPatientBanner bool              `json:"need_patient_banner"`
}

type fhirContextItem struct {
	Reference string `json:"reference"`
	Role      string `json:"role,omitempty"`
}

// grant is what an authorization code or refresh token stands for: a user's (or, for
// backend services, no user's) permission to a client, with its launch context.
type grant struct {
	ClientID string         `json:"client_id"`
	Scopes   []string       `json:"scopes"`
	User     loggedInUser   `json:"user"`
	Context  *launchContext `json:"context,omitempty"`
	// Nonce is the app's OpenID Connect nonce, echoed in the id_token.
	Nonce    string    `json:"nonce,omitempty"`
	AuthTime time.Time `json:"auth_time"`
	// Backend marks a client_credentials grant: no user, system/ scopes.
	Backend bool `json:"backend,omitempty"`
}

func (g grant) has(scope string) bool { return slices.Contains(g.Scopes, scope) }

// issued is an access token with its store record.
type issued struct {
	token string
	jti   string
	ttl   time.Duration
}

// issueAccessToken signs an access token for g with scopes and records it; family ties it
// to its refresh-token family, whose deletion revokes it too.
func (s *Server) issueAccessToken(ctx context.Context, g grant, scopes []string, family string, ttl time.Duration) (issued, error) {
	now := s.now()
	jti := newSecret()
	exp := now.Add(ttl)
	sub := g.User.Subject
	if g.Backend {
		sub = g.ClientID // RFC 9068 §2.2: sub is the client for client_credentials
	}
	c := accessClaims{
		Claims: jwt.Claims{
			Subject: sub, ID: jti,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
		},
		ClientID: g.ClientID, Scope: strings.Join(scopes, " "),
		FHIRUser: g.User.FHIRUser, IdP: g.User.IdP, Username: g.User.Username, Backend: g.Backend,
	}
	if family != "" {
		c.Family = hashSecret(family)
	}
	if g.Context != nil {
		c.Patient, c.Encounter = g.Context.Patient, g.Context.Encounter
	}
	token, err := s.signer.sign(c)
	if err != nil {
		return issued{}, err
	}
	rec := tokenRecord{Subject: sub, ClientID: g.ClientID, Expires: exp, IssuedAt: now, Family: family, Scopes: scopes,
		Context: g.Context, FHIRUser: g.User.FHIRUser, Backend: g.Backend, Sponsor: g.User.Sponsor}
	if err := redisstore.PutJSON(ctx, s.rdb, s.tokenKey(jti), rec, ttl); err != nil {
		return issued{}, fmt.Errorf("record access token: %w", err)
	}
	return issued{token: token, jti: jti, ttl: ttl}, nil
}

// tokenResponse is the body of a successful token response (RFC 6749 §5.1, SMART
// app-launch.md §"Response", scopes-and-launch-context.md for the context fields).
func (s *Server) tokenResponse(at issued, scopes []string, ctx *launchContext) map[string]any {
	body := map[string]any{
		"access_token": at.token,
		"token_type":   "Bearer",
		"expires_in":   int(at.ttl / time.Second),
		"scope":        strings.Join(scopes, " "),
	}
	if ctx != nil {
		s.addContext(body, ctx)
	}
	return body
}

// addContext adds launch context fields to a token or introspection response.
func (s *Server) addContext(body map[string]any, ctx *launchContext) {
	if ctx.Patient != "" {
		body["patient"] = ctx.Patient
	}
	if ctx.Encounter != "" {
		body["encounter"] = ctx.Encounter
	}
	fc := ctx.FHIRContext
	if fc == nil {
		fc = []fhirContextItem{}
	}
	body["fhirContext"] = fc
	body["need_patient_banner"] = ctx.NeedPatientBanner
	body["smart_style_url"] = s.style.url(s.baseURL)
}
