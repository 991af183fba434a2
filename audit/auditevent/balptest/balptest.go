// Package balptest checks AuditEvents for the elements IHE BALP requires of the patterns the
// gateway claims (Read, PatientRead, Query, PatientQuery) and for what every AuditEvent of the
// gateway carries (the event code, the transaction entity, a requestor, the observer). The R4
// structure itself is checked by a FHIR validator (the Medplum one in test/js/medplum); this is
// the profile's part, written out element by element. For tests only.
package balptest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	ae "github.com/mypatients/gateway/audit/auditevent"
)

// Check returns every BALP element ev lacks, as "element: problem" strings; none when ev
// conforms.
func Check(ev ae.AuditEvent) []string {
	c := &checker{ev: ev}
	c.common()
	if ev.Meta != nil {
		for _, p := range ev.Meta.Profile {
			c.profile(p)
		}
	}
	return c.problems
}

type checker struct {
	ev       ae.AuditEvent
	problems []string
}

func (c *checker) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// common checks what every AuditEvent of the gateway has.
func (c *checker) common() {
	ev := c.ev
	if ev.ResourceType != "AuditEvent" || ev.Type.Code == "" || ev.Type.System == "" {
		c.fail("resourceType/type: want an AuditEvent with a coded type, got %q %+v", ev.ResourceType, ev.Type)
	}
	if _, err := time.Parse(time.RFC3339, ev.Recorded); err != nil {
		c.fail("recorded: %v", err)
	}
	if !slices.Contains([]string{"0", "4", "8", "12"}, ev.Outcome) {
		c.fail("outcome: %q is not an audit-event-outcome code", ev.Outcome)
	}
	// Required bindings a structure validator may not check: AuditEventAction and NetworkType.
	if !slices.Contains([]string{"C", "R", "U", "D", "E"}, ev.Action) {
		c.fail("action: %q is not an AuditEventAction code", ev.Action)
	}
	for i, a := range ev.Agent {
		if a.Network != nil && !slices.Contains([]string{"1", "2", "3", "4", "5"}, a.Network.Type) {
			c.fail("agent[%d].network.type: %q is not a network-type code", i, a.Network.Type)
		}
	}
	if !slices.ContainsFunc(ev.Subtype, func(s ae.Coding) bool { return s.System == ae.EventSystem && s.Code != "" }) {
		c.fail("subtype: no gateway event code")
	}
	if !slices.ContainsFunc(ev.Agent, func(a ae.Agent) bool { return a.Requestor && a.Who != nil }) {
		c.fail("agent: no requestor with who")
	}
	if ev.Source.Observer.Identifier == nil && ev.Source.Observer.Display == "" {
		c.fail("source.observer: missing")
	}
	tx := c.entities(ae.BALPEntityType, "XrequestId", "")
	if len(tx) != 1 || tx[0].What == nil || tx[0].What.Identifier == nil || tx[0].What.Identifier.Value == "" || tx[0].Name == "" {
		c.fail("entity[transaction]: want one XrequestId entity with what.identifier.value and name, got %+v", tx)
	}
}

// profile checks the elements of one claimed BALP profile.
func (c *checker) profile(p string) {
	switch p {
	case ae.ProfileRead, ae.ProfilePRead:
		c.rest("R", []string{"read", "vread"}, "110152", "110153")
		data := c.entities(ae.EntityTypeSystem, "2", "")
		if !slices.ContainsFunc(data, func(e ae.Entity) bool {
			return e.What != nil && e.What.Reference != "" && e.Role != nil && slices.Contains([]string{"3", "4", "20"}, e.Role.Code)
		}) {
			c.fail("entity[data]: want a System Object with a RestObjectRoles role and what")
		}
	case ae.ProfileQuery, ae.ProfilePQry:
		c.rest("E", []string{"search", "search-type", "search-system"}, "110153", "110152")
		q := c.entities(ae.EntityTypeSystem, "2", "24")
		if len(q) != 1 || q[0].What != nil || q[0].Query == "" {
			c.fail("entity[query]: want one Query entity with query and no what, got %+v", q)
		} else if _, err := base64.StdEncoding.DecodeString(q[0].Query); err != nil {
			c.fail("entity[query].query: not base64: %v", err)
		}
	default:
		c.fail("meta.profile: %q is not a profile the gateway claims", p)
		return
	}
	if p == ae.ProfilePRead || p == ae.ProfilePQry {
		pt := c.entities(ae.EntityTypeSystem, "1", "1")
		if len(pt) != 1 || pt[0].What == nil || !strings.HasPrefix(pt[0].What.Reference, "Patient/") {
			c.fail("entity[patient]: want exactly one Person/Patient entity naming Patient/…, got %+v", pt)
		}
	}
}

// rest checks the RESTful pattern: type rest, the subtype, action, success, and the client,
// server and user agents with BALP's role codes.
func (c *checker) rest(action string, subtypes []string, clientRole, serverRole string) {
	ev := c.ev
	if ev.Type.System != ae.EventTypeSystem || ev.Type.Code != "rest" {
		c.fail("type: want audit-event-type#rest, got %+v", ev.Type)
	}
	if !slices.ContainsFunc(ev.Subtype, func(s ae.Coding) bool { return s.System == ae.RESTSystem && slices.Contains(subtypes, s.Code) }) {
		c.fail("subtype: want restful-interaction %v", subtypes)
	}
	if ev.Action != action || ev.Outcome != "0" {
		c.fail("action/outcome: want %s and 0, got %q %q", action, ev.Action, ev.Outcome)
	}
	for role, what := range map[string]string{clientRole: "client", serverRole: "server"} {
		a := c.agent(ae.DCM, role)
		if a == nil || a.Who == nil || a.Network == nil || a.Network.Address == "" {
			c.fail("agent[%s]: want a DCM#%s agent with who and network", what, role)
		}
	}
	if u := c.agent(ae.ParticipationType, "IRCP"); u != nil && (!u.Requestor || u.Who == nil || u.Network != nil) {
		c.fail("agent[user]: want requestor, who and no network, got %+v", u)
	}
}

func (c *checker) agent(system, code string) *ae.Agent {
	for i, a := range c.ev.Agent {
		if a.Type != nil && len(a.Type.Coding) > 0 && a.Type.Coding[0].System == system && a.Type.Coding[0].Code == code {
			return &c.ev.Agent[i]
		}
	}
	return nil
}

// entities returns the entities of a type, with a role when role is not "".
func (c *checker) entities(system, code, role string) []ae.Entity {
	var out []ae.Entity
	for _, e := range c.ev.Entity {
		if e.Type != nil && e.Type.System == system && e.Type.Code == code && (role == "" || e.Role != nil && e.Role.Code == role) {
			out = append(out, e)
		}
	}
	return out
}
