// Package ehrcheck probes an EHR for what the gateway relies on (README "What your EHR must
// provide"): a FHIR R4 CapabilityStatement, every search the FHIR API forwards, the Patient
// fields and references the facts are read from, PractitionerRoles that tie clinicians to
// practices, the identifiers clinicians are matched by, and Binary's securityContext. It reads
// with the gateway's own credential and changes nothing. It is the `mypatients ehr check`
// command's engine; it decides nothing about access.
package ehrcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/upstream"
)

// Statuses of a finding.
const (
	OK      = "ok"
	Missing = "missing" // the gateway relies on it: some access rule or page cannot work
	Warn    = "warn"    // worth knowing; nothing breaks
)

// Finding is one item of the contract and what the EHR showed of it.
type Finding struct {
	Status, Item, Detail string
}

// Options says what to probe.
type Options struct {
	Upstream *upstream.Client
	// Served are the types and search parameters the FHIR API forwards (fhirproxy.Served).
	Served map[string][]fhirproxy.SearchParam
	// MRNSystem is the identifier system of medical record numbers; PortalExtension the URL
	// of the Patient extension saying whether the family has a patient-portal account.
	MRNSystem, PortalExtension string
	// IdentifierSystems are the Practitioner identifier systems clinicians are matched by,
	// keyed by identity provider id.
	IdentifierSystems map[string]string
}

// Run probes the EHR and returns what it found, in the contract's order. It fails only when
// the EHR cannot be reached at all.
func Run(ctx context.Context, opts Options) ([]Finding, error) {
	c := &checker{Options: opts}
	if err := c.metadata(ctx); err != nil {
		return nil, err
	}
	c.searches(ctx)
	c.data(ctx)
	return c.found, nil
}

// AnyMissing reports whether any finding is Missing.
func AnyMissing(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Status == Missing })
}

type checker struct {
	Options
	found []Finding
}

func (c *checker) add(status, item, format string, args ...any) {
	c.found = append(c.found, Finding{Status: status, Item: item, Detail: fmt.Sprintf(format, args...)})
}

// metadata requires a FHIR R4 CapabilityStatement; an EHR that cannot be reached or refuses
// the gateway's credential ends the check.
func (c *checker) metadata(ctx context.Context) error {
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
	}
	err := c.Upstream.GetJSON(ctx, "metadata", nil, &cs)
	switch {
	case errors.Is(err, upstream.ErrUnavailable) || errors.Is(err, upstream.ErrCircuitOpen):
		return fmt.Errorf("ehr check: %s: %w", c.Upstream.Base(), err)
	case err != nil:
		c.add(Missing, "metadata", "GET metadata failed: %v", err)
	case cs.ResourceType != "CapabilityStatement" || !strings.HasPrefix(cs.FHIRVersion, "4.0"):
		c.add(Missing, "metadata", "want a FHIR R4 (4.0.x) CapabilityStatement, got %s %q", cs.ResourceType, cs.FHIRVersion)
	default:
		c.add(OK, "metadata", "FHIR %s CapabilityStatement", cs.FHIRVersion)
	}
	// The credential is tried on a search too: some servers serve metadata to anyone.
	var b bundle
	if err := c.Upstream.GetJSON(ctx, "Patient", url.Values{"_count": {"1"}}, &b); errors.Is(err, upstream.ErrUnavailable) {
		return fmt.Errorf("ehr check: %s: %w", c.Upstream.Base(), err)
	}
	return nil
}

// searches asks every forwarded search once, under "Prefer: handling=strict": a server that
// does not know a parameter must refuse it rather than ignore it (and return everything).
func (c *checker) searches(ctx context.Context) {
	types := make([]string, 0, len(c.Served))
	for t := range c.Served {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, typ := range types {
		params := c.Served[typ]
		if len(params) == 0 {
			continue
		}
		var refused []string
		for _, p := range params {
			var b bundle
			err := c.Upstream.GetJSON(ctx, typ, url.Values{p.Name: {probeValue(p)}, "_count": {"1"}}, &b)
			if err != nil || b.ResourceType != "Bundle" {
				refused = append(refused, p.Name)
			}
		}
		if len(refused) > 0 {
			c.add(Missing, typ+" search", "parameters refused or not answered with a Bundle: %s", strings.Join(refused, ", "))
			continue
		}
		c.add(OK, typ+" search", "%d parameters", len(params))
	}
}

// probeValue is a well-formed value of p's type that matches nothing in particular.
func probeValue(p fhirproxy.SearchParam) string {
	switch p.Type {
	case "date":
		return "2000-01-01"
	case "reference":
		return p.Target + "/ehr-check-probe"
	case "number":
		return "1"
	}
	return "ehr-check-probe"
}
