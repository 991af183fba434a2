package auditevent

import (
	"net"
	"strings"

	"github.com/mypatients/gateway/audit"
)

// classify returns the event's type, its standard subtypes and its action: BALP's RESTful
// patterns for FHIR requests, the DICOM event types for the rest.
func classify(r audit.Record, event string) (Coding, []Coding, string) {
	switch {
	case strings.HasPrefix(event, "fhir."):
		typ := Coding{System: EventTypeSystem, Code: "rest", Display: "Restful Operation"}
		switch r.Interaction {
		case "read", "vread":
			return typ, []Coding{{System: RESTSystem, Code: r.Interaction, Display: r.Interaction}}, "R"
		case "search":
			return typ, []Coding{{System: RESTSystem, Code: "search-type", Display: "search-type"}}, "E"
		}
		return typ, nil, "E"
	case event == "signin" || strings.HasPrefix(event, "signin."):
		return Coding{System: DCM, Code: "110114", Display: "User Authentication"},
			[]Coding{{System: DCM, Code: "110122", Display: "Login"}}, "E"
	case event == "signout":
		return Coding{System: DCM, Code: "110114", Display: "User Authentication"},
			[]Coding{{System: DCM, Code: "110123", Display: "Logout"}}, "E"
	case strings.HasPrefix(event, "audit."):
		return Coding{System: DCM, Code: "110101", Display: "Audit Log Used"}, nil, "R"
	case strings.HasPrefix(event, "account.") || strings.HasPrefix(event, "staff."):
		return Coding{System: DCM, Code: "110137", Display: "User Security Attributes Changed"}, nil, crud(event)
	case strings.HasPrefix(event, "access_request.") || strings.HasPrefix(event, "invitation.") || strings.HasPrefix(event, "grant."):
		return Coding{System: DCM, Code: "110136", Display: "Security Roles Changed"}, nil, crud(event)
	}
	return Coding{System: EventSystem, Code: event}, nil, "E"
}

// crud is the action of an account or access event, from the last part of its name.
func crud(event string) string {
	switch event[strings.LastIndex(event, ".")+1:] {
	case "register", "create", "file", "issue":
		return "C"
	case "remove", "revoke":
		return "D"
	case "redeem", "redeem_failure", "use":
		return "E"
	}
	return "U"
}

// agents are who took part: the person who asked or acted, the sponsor they act for, the app
// and the gateway.
func (m *Mapper) agents(r audit.Record, event string) []Agent {
	fhir := strings.HasPrefix(event, "fhir.")
	var out []Agent
	if h := human(r, fhir); h != nil {
		out = append(out, *h)
	}
	if r.Sponsor != "" {
		// R4 AuditEvent has no onBehalfOf: the sponsor is the responsible party the staff
		// member acts for.
		out = append(out, Agent{Type: concept(ParticipationType, "RESP", "responsible party"),
			Who: &Reference{Identifier: &Identifier{System: UserSystem, Value: r.Sponsor}}})
	}
	return append(out, client(r, event, len(out) == 0), m.server(event))
}

// human is the person behind the event, if one is known: BALP's user for a FHIR request (the
// information recipient, with the token's jti as policy), the actor of anything else.
func human(r audit.Record, fhir bool) *Agent {
	actor := r.Acting()
	if actor == "" {
		return nil
	}
	if by, ok := strings.CutPrefix(actor, "portal:"); ok {
		return &Agent{Type: concept(SNOMED, "429577009", "Patient advocate"), Requestor: true,
			Who: &Reference{Identifier: &Identifier{System: PortalUserSystem, Value: by}}}
	}
	if id, ok := strings.CutPrefix(actor, "support:"); ok {
		return &Agent{Type: concept(SecurityRoleSystem, "humanuser", "human user"), Requestor: true,
			Who: &Reference{Identifier: &Identifier{System: SupportSystem, Value: id}}}
	}
	a := &Agent{Type: concept(SecurityRoleSystem, "humanuser", "human user"), Requestor: true,
		Who: &Reference{Identifier: &Identifier{System: UserSystem, Value: actor}}}
	if actor == r.User {
		a.Who.Reference, a.Who.Display, a.Name = r.FHIRUser, r.Username, r.Username
	}
	if fhir {
		a.Type = concept(ParticipationType, "IRCP", "information recipient")
		if r.TokenID != "" {
			a.Policy = []string{JTIPrefix + r.TokenID}
		}
	}
	return a
}

// client is the app: the destination of a read's data, the source of a query (BALP follows
// DICOM there), or simply the application of anything else.
func client(r audit.Record, event string, requestor bool) Agent {
	typ := concept(DCM, "110150", "Application")
	switch {
	case event == "fhir.read" || event == "fhir.vread":
		typ = concept(DCM, "110152", "Destination Role ID")
	case strings.HasPrefix(event, "fhir."):
		typ = concept(DCM, "110153", "Source Role ID")
	}
	a := Agent{Type: typ, Requestor: requestor, Who: &Reference{Display: "unauthenticated client"}}
	if r.Client != "" {
		a.Who = &Reference{Identifier: &Identifier{System: ClientSystem, Value: r.Client}, Display: r.Client}
	}
	if r.Source != "" {
		kind := "1" // machine name
		if net.ParseIP(r.Source) != nil {
			kind = "2" // IP address
		}
		a.Network = &Network{Address: r.Source, Type: kind}
	}
	return a
}

// server is the gateway: the source of a read's data, the destination of a query, the
// authorization server of anything else.
func (m *Mapper) server(event string) Agent {
	typ, addr := concept(SecurityRoleSystem, "authserver", "authorization server"), m.base
	switch {
	case event == "fhir.read" || event == "fhir.vread":
		typ, addr = concept(DCM, "110153", "Source Role ID"), m.fhirBase
	case strings.HasPrefix(event, "fhir."):
		typ, addr = concept(DCM, "110152", "Destination Role ID"), m.fhirBase
	}
	return Agent{Type: typ, Who: &Reference{Identifier: &Identifier{System: URISystem, Value: addr}, Display: "MyPatients gateway"},
		Network: &Network{Address: addr, Type: "5"}}
}
