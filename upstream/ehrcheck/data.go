package ehrcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The little of FHIR resources the data checks read.
type (
	ref        struct{ Reference string }
	identifier struct{ System, Value string }
	bundle     struct {
		ResourceType string `json:"resourceType"`
		Link         []struct{ Relation, URL string }
		Entry        []struct{ Resource json.RawMessage }
	}
	patient struct {
		ID                  string
		Identifier          []identifier
		Extension           []struct{ URL string }
		GeneralPractitioner []ref
	}
	role struct {
		ID                         string
		Practitioner, Organization *ref
	}
)

// data checks the facts the gateway reads on every decision, on the EHR's first patients.
func (c *checker) data(ctx context.Context) {
	var pts []patient
	if err := c.search(ctx, "Patient", url.Values{"_count": {"50"}}, &pts); err != nil || len(pts) == 0 {
		c.add(Missing, "Patient", "no patients found (%v): there is nothing to show", err)
		return
	}
	c.patientFields(pts)
	gps := c.generalPractitioners(ctx, pts)
	practitioners := c.roles(ctx, gps)
	c.identifiers(ctx, practitioners)
	c.binaries(ctx, pts)
}

// patientFields checks the MRN and the portal-account extension.
func (c *checker) patientFields(pts []patient) {
	withMRN, withExt := 0, 0
	for _, p := range pts {
		if slices.ContainsFunc(p.Identifier, func(i identifier) bool { return i.System == c.MRNSystem }) {
			withMRN++
		}
		if slices.ContainsFunc(p.Extension, func(e struct{ URL string }) bool { return e.URL == c.PortalExtension }) {
			withExt++
		}
	}
	if withMRN == 0 {
		c.add(Missing, "Patient.identifier (MRN)", "none of %d patients has an identifier of system %s: invitations and PCP-access requests are bound to the MRN", len(pts), c.MRNSystem)
	} else {
		c.add(OK, "Patient.identifier (MRN)", "%d of %d patients", withMRN, len(pts))
	}
	if withExt == 0 {
		c.add(Warn, "Patient portal-account extension", "none of %d patients carries %s: every family is taken to have no portal account", len(pts), c.PortalExtension)
	} else {
		c.add(OK, "Patient portal-account extension", "%d of %d patients", withExt, len(pts))
	}
}

// generalPractitioners checks Patient.generalPractitioner: present, local, resolvable. It
// returns the references that resolve.
func (c *checker) generalPractitioners(ctx context.Context, pts []patient) []string {
	var local, foreign, broken []string
	for _, p := range pts {
		for _, gp := range p.GeneralPractitioner {
			rel, ok := c.Upstream.Relative(gp.Reference)
			typ, _, _ := strings.Cut(rel, "/")
			if !ok || !slices.Contains([]string{"Practitioner", "PractitionerRole", "Organization"}, typ) {
				foreign = append(foreign, gp.Reference)
				continue
			}
			local = append(local, rel)
		}
	}
	slices.Sort(local)
	local = slices.Compact(local)
	if len(local) == 0 {
		c.add(Missing, "Patient.generalPractitioner", "none of %d patients names a Practitioner, PractitionerRole or Organization of this server: no clinician is anyone's PCP", len(pts))
		return nil
	}
	var resolved []string
	for _, r := range local[:min(len(local), 10)] {
		var head struct{ ResourceType string }
		if err := c.Upstream.GetJSON(ctx, r, nil, &head); err != nil {
			broken = append(broken, r)
			continue
		}
		resolved = append(resolved, r)
	}
	switch {
	case len(broken) > 0:
		c.add(Missing, "Patient.generalPractitioner", "references that do not resolve: %s", strings.Join(broken, ", "))
	case len(foreign) > 0:
		c.add(Warn, "Patient.generalPractitioner", "%d references the gateway ignores (another server, contained or not a clinician): %s", len(foreign), strings.Join(foreign[:min(len(foreign), 3)], ", "))
	default:
		c.add(OK, "Patient.generalPractitioner", "%d distinct PCPs named, every one checked resolves", len(local))
	}
	return resolved
}

// roles checks that the PCPs' PractitionerRoles tie them to practices, searched both ways and
// paged with _count. It returns the PCP practitioners.
func (c *checker) roles(ctx context.Context, gps []string) []string {
	var practitioners []string
	for _, gp := range gps {
		switch typ, _, _ := strings.Cut(gp, "/"); typ {
		case "Practitioner":
			practitioners = append(practitioners, gp)
		case "PractitionerRole":
			var r role
			if err := c.Upstream.GetJSON(ctx, gp, nil, &r); err == nil && r.Practitioner != nil {
				if rel, ok := c.Upstream.Relative(r.Practitioner.Reference); ok {
					practitioners = append(practitioners, rel)
				}
			}
		}
	}
	if len(practitioners) == 0 {
		c.add(Warn, "PractitionerRole", "no PCP is a Practitioner; practices are then only the Organizations patients name")
		return nil
	}
	var rs []role
	if err := c.search(ctx, "PractitionerRole", url.Values{"practitioner": {practitioners[0]}, "_count": {"100"}}, &rs); err != nil {
		c.add(Missing, "PractitionerRole", "search by practitioner failed: %v", err)
		return practitioners
	}
	if len(rs) == 0 {
		c.add(Missing, "PractitionerRole", "no role for %s: the practice of a PCP cannot be found, so pcp_practice never holds", practitioners[0])
		return practitioners
	}
	org := ""
	for _, r := range rs {
		if r.Organization != nil {
			org, _ = c.Upstream.Relative(r.Organization.Reference)
		}
	}
	if org == "" {
		c.add(Missing, "PractitionerRole.organization", "the roles of %s name no organization of this server", practitioners[0])
		return practitioners
	}
	var page bundle
	err := c.Upstream.GetJSON(ctx, "PractitionerRole", url.Values{"organization": {org}, "_count": {"1"}}, &page)
	switch {
	case err != nil:
		c.add(Missing, "PractitionerRole", "search by organization %s failed: %v", org, err)
	case len(page.Entry) > 1:
		c.add(Missing, "PractitionerRole paging", "_count=1 answered %d entries: the gateway pages fact searches with _count", len(page.Entry))
	default:
		c.add(OK, "PractitionerRole", "%s has %d role(s); searched by practitioner and by organization with _count", practitioners[0], len(rs))
	}
	return practitioners
}

// search runs one search and decodes its entries into out (a pointer to a slice).
func (c *checker) search(ctx context.Context, typ string, q url.Values, out any) error {
	var b bundle
	if err := c.Upstream.GetJSON(ctx, typ, q, &b); err != nil {
		return err
	}
	if b.ResourceType != "Bundle" {
		return fmt.Errorf("%s search answered a %q", typ, b.ResourceType)
	}
	raws := make([]json.RawMessage, 0, len(b.Entry))
	for _, e := range b.Entry {
		raws = append(raws, e.Resource)
	}
	all, _ := json.Marshal(raws)
	return json.Unmarshal(all, out)
}

// identifiers checks, for each identity provider matching clinicians by identifier, that a
// PCP carries one of that system and that the search finds exactly them.
func (c *checker) identifiers(ctx context.Context, practitioners []string) {
	for _, idp := range sortedKeys(c.IdentifierSystems) {
		system := c.IdentifierSystems[idp]
		item := "Practitioner.identifier (" + idp + ")"
		value := ""
		for _, p := range practitioners {
			var pr struct{ Identifier []identifier }
			if err := c.Upstream.GetJSON(ctx, p, nil, &pr); err == nil {
				for _, i := range pr.Identifier {
					if i.System == system && value == "" {
						value = i.Value
					}
				}
			}
		}
		if value == "" {
			c.add(Missing, item, "no PCP has an identifier of system %s: clinicians signing in at %s cannot be matched", system, idp)
			continue
		}
		var found []struct{ ID string }
		err := c.search(ctx, "Practitioner", url.Values{"identifier": {system + "|" + value}, "_count": {"2"}}, &found)
		if err != nil || len(found) != 1 {
			c.add(Missing, item, "Practitioner?identifier=%s|… found %d (%v), want exactly 1", system, len(found), err)
			continue
		}
		c.add(OK, item, "Practitioner?identifier=%s|… finds the one clinician", system)
	}
}

// binaries checks that a note's Binary names its DocumentReference in securityContext, which
// is how the gateway decides who may read it.
func (c *checker) binaries(ctx context.Context, pts []patient) {
	for _, p := range pts[:min(len(pts), 10)] {
		var docs []struct {
			ID      string
			Content []struct{ Attachment struct{ URL string } }
		}
		if err := c.search(ctx, "DocumentReference", url.Values{"patient": {"Patient/" + p.ID}, "_count": {"5"}}, &docs); err != nil {
			continue
		}
		for _, d := range docs {
			for _, ct := range d.Content {
				rel, ok := c.Upstream.Relative(ct.Attachment.URL)
				if !ok || !strings.HasPrefix(rel, "Binary/") {
					continue
				}
				var bin struct{ SecurityContext *ref }
				err := c.Upstream.GetJSON(ctx, rel, nil, &bin)
				if err != nil || bin.SecurityContext == nil {
					c.add(Missing, "Binary.securityContext", "%s, the attachment of DocumentReference/%s, cannot be read or names no securityContext (%v): the note cannot be released", rel, d.ID, err)
					return
				}
				c.add(OK, "Binary.securityContext", "%s names %s", rel, bin.SecurityContext.Reference)
				return
			}
		}
	}
	c.add(Warn, "DocumentReference / Binary", "no note with a Binary attachment among the first patients: notes cannot be shown")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
