package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway/access"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/scope"
	"github.com/mypatients/gateway/smart"
)

// demoLauncherID is the demo EHR's launch client (POST /smart/launch with HTTP Basic).
const demoLauncherID = "demo-ehr"

// addDemoLauncher registers demo-ehr as a launch creator in demo mode, with the secret from
// demo.launcher_secret or a generated one, which it prints.
func addDemoLauncher(cfg *config.Config, log *slog.Logger) {
	if !cfg.Demo.On() || slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == demoLauncherID }) {
		return
	}
	secret := cfg.Demo.LauncherSecret
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
		log.Info("demo EHR launcher registered; create launches with POST /smart/launch", "client_id", demoLauncherID, "secret", secret)
	}
	sum := sha256.Sum256([]byte(secret))
	cfg.Clients = append(cfg.Clients, config.Client{
		ID: demoLauncherID, Name: "Demo EHR", Type: "confidential", SecretSHA256: hex.EncodeToString(sum[:]),
		TokenEndpointAuthMethod: config.AuthClientSecretBasic, GrantTypes: []string{}, LaunchCreator: true,
	})
}

func smartClients(cs []config.Client) []smart.Client {
	var out []smart.Client
	for _, c := range cs {
		out = append(out, smart.Client{
			ID: c.ID, Name: c.Name, Public: c.Type == "public", SecretSHA256: c.SecretSHA256,
			JWKS: c.JWKSJSON(), JWKSURL: c.JWKSURL,
			RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, GrantTypes: c.GrantTypes, LaunchCreator: c.LaunchCreator,
		})
	}
	return out
}

// fhirPatients is the standalone-launch patient picker's source: it searches Patient through
// the FHIR API handler itself, in process, as the clinician. The picker so sees exactly what
// the clinician's own search would (the same narrowing, decisions and filtering), and every
// listing is in the audit trail; there is no second path to data.
type fhirPatients struct {
	api    http.Handler // set once the FHIR handler is built
	base   string
	secret string
}

// pickerAuthn lets the in-process picker search authenticate as the caller it carries; every
// other request goes to the SMART server. The secret never leaves the process.
type pickerAuthn struct {
	sm      *smart.Server
	pickers *fhirPatients
}

type pickerCallerKey struct{}

func (a pickerAuthn) Authenticate(ctx context.Context, bearer string) (access.Caller, error) {
	if subtle.ConstantTimeCompare([]byte(bearer), []byte(a.pickers.secret)) == 1 {
		if c, ok := ctx.Value(pickerCallerKey{}).(access.Caller); ok {
			return c, nil
		}
		return access.Caller{}, smart.ErrInvalidToken
	}
	c, err := a.sm.Authenticate(ctx, bearer)
	if err != nil {
		return c, err
	}
	return withFHIRUserRead(ctx, c), nil
}

func newFHIRPatients(base string) *fhirPatients {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return &fhirPatients{base: base, secret: "picker." + base64.RawURLEncoding.EncodeToString(b)}
}

func (p *fhirPatients) ListPatients(ctx context.Context, c access.Caller) ([]smart.PatientSummary, error) {
	if p.api == nil {
		return nil, errors.New("patient picker: FHIR API not wired")
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, pickerCallerKey{}, c), http.MethodGet,
		p.base+"/Patient?_count=100", nil)
	if err != nil {
		return nil, fmt.Errorf("patient picker: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+p.secret)
	req.Header.Set("Accept", "application/fhir+json")
	rec := httptest.NewRecorder()
	p.api.ServeHTTP(rec, req)
	if rec.Code == http.StatusForbidden {
		return nil, nil // nobody visible
	}
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("patient picker: search answered %d", rec.Code)
	}
	var bundle struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
				BirthDate    string `json:"birthDate"`
				Name         []struct {
					Given  []string `json:"given"`
					Family string   `json:"family"`
				} `json:"name"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &bundle); err != nil {
		return nil, fmt.Errorf("patient picker: read bundle: %w", err)
	}
	var out []smart.PatientSummary
	for _, e := range bundle.Entry {
		r := e.Resource
		if r.ResourceType != "Patient" || r.ID == "" {
			continue
		}
		name := r.ID
		if len(r.Name) > 0 {
			name = strings.TrimSpace(strings.Join(r.Name[0].Given, " ") + " " + r.Name[0].Family)
		}
		out = append(out, smart.PatientSummary{ID: r.ID, Name: name, BirthDate: r.BirthDate})
	}
	return out, nil
}

// fhirUserTargetKey carries "Type/id" of a FHIR read to the authenticator.
type fhirUserTargetKey struct{}

// fhirUserReads notes the target of every FHIR instance read, so that the authenticator can
// let a token read its own user's resource (item 38 of the SMART checklist: the fhirUser
// resource is readable with the same access token whatever its other scopes).
func fhirUserReads(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/fhir/"); ok && strings.Count(rest, "/") == 1 {
				r = r.WithContext(context.WithValue(r.Context(), fhirUserTargetKey{}, rest))
			}
		}
		h.ServeHTTP(w, r)
	})
}

// withFHIRUserRead adds, for this one request only, the read permission on the caller's own
// fhirUser resource when the token holds the fhirUser scope and the request reads exactly it.
func withFHIRUserRead(ctx context.Context, c access.Caller) access.Caller {
	target, _ := ctx.Value(fhirUserTargetKey{}).(string)
	typ, _, _ := strings.Cut(c.FHIRUser, "/")
	if target == "" || target != c.FHIRUser || !slices.Contains(c.Scopes, "fhirUser") {
		return c
	}
	c.Scopes = append(slices.Clip(c.Scopes), "user/"+typ+".r")
	return c
}

// launchConfined narrows a search that names no patient, made with a token whose patient/
// scopes alone permit the type, to the token's launch patient (SMART
// scopes-and-launch-context.md: patient/ scopes reach the launch patient's data only). The
// clinician's own narrowing stays: FHIR ANDs the parameters, so this only narrows further,
// and every returned entry is still decided by the policy.
type launchConfined struct{ narrowing }

func (n launchConfined) Narrow(ctx context.Context, c access.Caller, resourceType string) (url.Values, bool, error) {
	v, ok, err := n.narrowing.Narrow(ctx, c, resourceType)
	if err != nil || !ok || c.Patient == "" || userScopeSearches(c.Scopes, resourceType) {
		return v, ok, err
	}
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	out.Add("_id", c.Patient)
	return out, true, nil
}

// userScopeSearches reports whether a user/ scope lets the token search resourceType.
func userScopeSearches(scopes []string, resourceType string) bool {
	return slices.ContainsFunc(scopes, func(s string) bool {
		r, ok, err := scope.ParseResource(s)
		return ok && err == nil && r.Context == "user" && (r.Type == "*" || r.Type == resourceType) && strings.Contains(r.Perms, "s")
	})
}
