package portal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway/portal/record"
)

// Why a patient is on the clinician's list, in their words. The gateway's policy decides who
// is visible; these labels only explain it, from the same facts: the patient's listed PCPs,
// the clinician's practice (the directory) and the families' grants.

// loadPractice reads, from the directory, the clinician's PractitionerRoles, practices and the
// practices' members.
func (p *Portal) loadPractice(ctx context.Context, r request, prof *profile) error {
	id := strings.TrimPrefix(prof.Practitioner, "Practitioner/")
	roles, _, err := p.search(ctx, r, "PractitionerRole", url.Values{"practitioner": {id}, "_include": {"PractitionerRole:organization"}}, 100)
	if err != nil {
		return err
	}
	for _, raw := range roles {
		var res struct {
			ResourceType, ID, Name string
			Organization           struct{ Reference string } `json:"organization"`
		}
		if json.Unmarshal(raw, &res) != nil {
			continue
		}
		switch res.ResourceType {
		case "PractitionerRole":
			prof.RoleIDs = append(prof.RoleIDs, res.ID)
			if org, ok := strings.CutPrefix(res.Organization.Reference, "Organization/"); ok && !slices.Contains(prof.OrgIDs, org) {
				prof.OrgIDs = append(prof.OrgIDs, org)
			}
		case "Organization":
			prof.Practices = append(prof.Practices, res.Name)
		}
	}
	return p.loadMembers(ctx, r, prof)
}

// loadMembers reads who practises in the clinician's practices, by practitioner and by role.
func (p *Portal) loadMembers(ctx context.Context, r request, prof *profile) error {
	prof.Members = map[string]string{}
	if len(prof.OrgIDs) == 0 {
		return nil
	}
	members, _, err := p.search(ctx, r, "PractitionerRole", url.Values{"organization": {strings.Join(prof.OrgIDs, ",")}}, 500)
	if err != nil {
		return err
	}
	for _, raw := range members {
		var m struct {
			ID           string                              `json:"id"`
			Practitioner struct{ Reference, Display string } `json:"practitioner"`
		}
		if json.Unmarshal(raw, &m) == nil {
			if pid, ok := strings.CutPrefix(m.Practitioner.Reference, "Practitioner/"); ok {
				prof.Members[pid] = m.Practitioner.Display
				prof.Members["role:"+m.ID] = m.Practitioner.Display
			}
		}
	}
	return nil
}

// Reason codes of the patients list, for sorting and the filter.
const (
	reasonPCP      = "pcp"
	reasonPractice = "practice"
	reasonGranted  = "granted"
	reasonSponsor  = "sponsor"
)

// reason is why one patient is visible.
type reason struct{ Code, Text string }

// reasonFor explains why me sees patient pt; granted holds the families' grants to me.
func reasonFor(me profile, pt record.Patient, granted map[string]string) reason {
	if me.Role == "staff" {
		return reason{reasonSponsor, "Patient of your sponsor, " + me.Sponsor}
	}
	self := strings.TrimPrefix(me.Practitioner, "Practitioner/")
	for _, ref := range pt.PCPRefs {
		typ, id, _ := strings.Cut(ref, "/")
		switch {
		case typ == "Practitioner" && id == self, typ == "PractitionerRole" && slices.Contains(me.RoleIDs, id):
			return reason{reasonPCP, "You are the PCP"}
		case typ == "Organization" && slices.Contains(me.OrgIDs, id):
			return reason{reasonPractice, "Your practice is the PCP"}
		case typ == "Practitioner" && me.Members[id] != "":
			return reason{reasonPractice, "Practice: " + me.Members[id] + " is the PCP"}
		case typ == "PractitionerRole" && me.Members["role:"+id] != "":
			return reason{reasonPractice, "Practice: " + me.Members["role:"+id] + " is the PCP"}
		}
	}
	if when, ok := granted[pt.ID]; ok {
		return reason{reasonGranted, "Granted by the family " + when}
	}
	if len(pt.PCPRefs) > 0 {
		return reason{reasonPractice, "Practice: " + pt.PCP + " is the PCP"}
	}
	return reason{reasonGranted, "Granted by the family"}
}

// grantsOf returns the families' grants to the clinician: patient id → when, as a date.
func (p *Portal) grantsOf(ctx context.Context, r request) (map[string]string, error) {
	var out struct {
		Grants []struct{ Patient, When string } `json:"grants"`
	}
	status, err := p.api(ctx, r, http.MethodGet, "/api/grants", nil, &out)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, errRefused
	}
	m := map[string]string{}
	for _, g := range out.Grants {
		when := g.When
		if t, err := time.Parse(time.RFC3339, g.When); err == nil {
			when = "on " + t.In(p.opts.Location).Format("Jan 2, 2006")
		}
		m[g.Patient] = when
	}
	return m, nil
}
