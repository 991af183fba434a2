package mypatients.relationships_test

import data.mypatients.relationships

# Unit tests of rule 3's paths, as functions of one patient's facts. The decision tests in
# ../access/access_test.rego and ../access/grants_test.rego show them through the access
# decision.

patel := {
	"id": "accounts:u-pcp",
	"practitioner": "Practitioner/dr-patel",
	"practices": ["Organization/practice-maple"],
	"practice_members": ["Practitioner/dr-okafor", "Practitioner/dr-patel"],
}

listing(practitioners, organizations) := {"practitioners": practitioners, "organizations": organizations}

now := "2026-11-24T12:00:00Z"

grant_to(clinician, extra) := object.union(
	{"clinician": clinician, "how": "request", "when": "2026-11-01T09:00:00Z", "by": "portal:g"},
	extra,
)

test_is_pcp_when_listed if {
	relationships.is_pcp(patel, listing(["Practitioner/dr-patel"], []))
	not relationships.is_pcp(patel, listing(["Practitioner/dr-okafor"], []))
	not relationships.is_pcp(object.union(patel, {"practitioner": ""}), listing([""], []))
}

test_in_pcp_practice_through_a_member_or_the_practice if {
	relationships.in_pcp_practice(patel, listing(["Practitioner/dr-okafor"], []))
	relationships.in_pcp_practice(patel, listing([], ["Organization/practice-maple"]))
	not relationships.in_pcp_practice(patel, listing(["Practitioner/dr-lindqvist"], ["Organization/practice-harbor"]))
}

test_patient_granted_while_in_time_and_not_revoked if {
	relationships.patient_granted(patel, grant_to(patel.id, {}), now)
	relationships.patient_granted(patel, grant_to(patel.id, {"expires_at": "2026-12-01T00:00:00Z"}), now)
	not relationships.patient_granted(patel, grant_to("accounts:u-specialist", {}), now)
	not relationships.patient_granted(patel, grant_to(patel.id, {"revoked_at": "2026-11-20T00:00:00Z"}), now)
	not relationships.patient_granted(patel, grant_to(patel.id, {"expires_at": now}), now)
	not relationships.patient_granted(patel, {}, now)
}

test_grant_in_time_needs_the_time_only_for_an_end if {
	relationships.grant_in_time(grant_to(patel.id, {}), "")
	not relationships.grant_in_time(grant_to(patel.id, {"expires_at": "2026-12-01T00:00:00Z"}), "")
}

test_grant_ended_only_for_the_principals_unrevoked_grant if {
	ended := grant_to(patel.id, {"expires_at": "2026-11-01T00:00:00Z"})
	relationships.grant_ended(patel, ended, now)
	not relationships.grant_ended(patel, grant_to(patel.id, {}), now)
	not relationships.grant_ended(patel, object.union(ended, {"revoked_at": "2026-11-02T00:00:00Z"}), now)
	not relationships.grant_ended(patel, object.union(ended, {"clinician": "accounts:u-specialist"}), now)
}

test_basis_in_order if {
	both := listing(["Practitioner/dr-patel"], ["Organization/practice-maple"])
	relationships.basis(patel, both, grant_to(patel.id, {}), now) == "pcp"
	relationships.basis(patel, listing([], ["Organization/practice-maple"]), grant_to(patel.id, {}), now) == "pcp_practice"
	relationships.basis(patel, listing([], []), grant_to(patel.id, {}), now) == "patient_grant"
	not relationships.basis(patel, listing([], []), {}, now)
	not relationships.basis(patel, {}, {}, now)
}

test_reasons_carry_their_codes_and_next_steps if {
	relationships.not_pcp.code == "not_pcp"
	relationships.not_pcp.next_steps == "request-pcp-access request-family-access"
	relationships.grant_expired.code == "grant_expired"
	relationships.grant_expired.next_steps == "request-family-access"
}
