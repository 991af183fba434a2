package mypatients.access_test

import data.mypatients.access
import data.mypatients.relationships

# ---------------------------------------------------------------------------------------------
# The demo world, as the gateway would describe it: Dr Patel (user "pcp") and Dr Okafor (user
# "colleague") practise at Maple Street Pediatrics; Dr Moreau (user "specialist") at Lakeside
# Cardiology; Rosa Garcia (user "staff") has no Practitioner record.
# ---------------------------------------------------------------------------------------------

maple_members := ["Practitioner/dr-okafor", "Practitioner/dr-patel"]

patel := {
	"id": "accounts:u-pcp",
	"practitioner": "Practitioner/dr-patel",
	"practices": ["Organization/practice-maple"],
	"practice_members": maple_members,
}

okafor := {
	"id": "accounts:u-colleague",
	"practitioner": "Practitioner/dr-okafor",
	"practices": ["Organization/practice-maple"],
	"practice_members": maple_members,
}

moreau := {
	"id": "accounts:u-specialist",
	"practitioner": "Practitioner/dr-moreau",
	"practices": ["Organization/practice-lakeside"],
	"practice_members": ["Practitioner/dr-moreau"],
}

staff := {"id": "accounts:u-staff", "practices": [], "practice_members": []}

# Primary care providers of a few demo patients, normalised as the gateway does.
facts := {"pcp_of": {
	# child-01: Patient.generalPractitioner = Practitioner/dr-patel
	"child-01": {"practitioners": ["Practitioner/dr-patel"], "organizations": []},
	# child-05: PractitionerRole/role-patel-maple, resolved to its practitioner and practice
	"child-05": {"practitioners": ["Practitioner/dr-patel"], "organizations": ["Organization/practice-maple"]},
	# child-06: the practice itself, Organization/practice-maple
	"child-06": {"practitioners": [], "organizations": ["Organization/practice-maple"]},
	# child-07: Practitioner/dr-okafor
	"child-07": {"practitioners": ["Practitioner/dr-okafor"], "organizations": []},
	# child-10: Practitioner/dr-lindqvist, at Harbor Family Medicine
	"child-10": {"practitioners": ["Practitioner/dr-lindqvist"], "organizations": []},
	# child-15: Organization/practice-harbor
	"child-15": {"practitioners": [], "organizations": ["Organization/practice-harbor"]},
	# child-23: no generalPractitioner at all
	"child-23": {"practitioners": [], "organizations": []},
}}

read_all_scope := {"context": "user", "resource": "*", "perms": ["r", "s"]}

# request builds the input for principal asking interaction on resource_type for patients,
# with a token that may read everything.
input_for(principal, interaction, resource_type, patients) := {
	"user": {"id": principal.id, "username": "demo", "idp": "accounts"},
	"principal": principal,
	"request": {"interaction": interaction, "resource_type": resource_type, "patients": patients},
	"token": {"client_id": "demo-app", "scopes": [read_all_scope]},
	"facts": facts,
}

read_patient(principal, patient_id) := input_for(principal, "read", "Patient", [patient_id])

# with_scopes replaces the token's scopes of an input.
with_scopes(inp, scopes) := json.patch(inp, [{"op": "replace", "path": "/token/scopes", "value": scopes}])

allowed(basis) := {"allowed": true, "basis": basis}

refused(reason) := {"allowed": false, "reason": reason}

# ---------------------------------------------------------------------------------------------
# Rule 3, basis "pcp": the principal is the listed primary care provider.
# ---------------------------------------------------------------------------------------------

test_pcp_listed_as_practitioner_is_allowed if {
	access.decision == {
		"allow": true,
		"patients": {"child-01": allowed("pcp")},
		"reasons": [],
	} with input as read_patient(patel, "child-01")
}

test_pcp_listed_through_practitioner_role_is_allowed if {
	access.decision.patients == {"child-05": allowed("pcp")} with input as read_patient(patel, "child-05")
	access.allow with input as read_patient(patel, "child-05")
}

# ---------------------------------------------------------------------------------------------
# Rule 3, basis "pcp_practice": someone in the principal's practice, or the practice, is listed.
# ---------------------------------------------------------------------------------------------

test_practice_colleague_of_listed_pcp_is_allowed if {
	access.decision == {
		"allow": true,
		"patients": {"child-01": allowed("pcp_practice")},
		"reasons": [],
	} with input as read_patient(okafor, "child-01")
}

test_practice_colleague_of_pcp_listed_through_role_is_allowed if {
	access.decision.patients == {"child-05": allowed("pcp_practice")} with input as read_patient(okafor, "child-05")
}

test_pcp_sees_colleagues_patient_on_practice_basis if {
	access.decision.patients == {"child-07": allowed("pcp_practice")} with input as read_patient(patel, "child-07")
}

test_practice_organization_listed_is_allowed_for_every_member if {
	access.decision.patients == {"child-06": allowed("pcp_practice")} with input as read_patient(patel, "child-06")
	access.decision.patients == {"child-06": allowed("pcp_practice")} with input as read_patient(okafor, "child-06")
}

test_pcp_basis_wins_over_practice_basis if {
	# child-05 lists both Dr Patel and her practice; the more specific basis is reported.
	access.decision.patients["child-05"].basis == "pcp" with input as read_patient(patel, "child-05")
}

# ---------------------------------------------------------------------------------------------
# Rule 3 refusals: not_pcp.
# ---------------------------------------------------------------------------------------------

test_patient_of_another_practice_is_refused if {
	access.decision == {
		"allow": false,
		"patients": {"child-10": refused(relationships.not_pcp)},
		"reasons": [relationships.not_pcp],
	} with input as read_patient(patel, "child-10")
}

test_other_practice_organization_listed_is_refused if {
	access.decision.patients == {"child-15": refused(relationships.not_pcp)} with input as read_patient(patel, "child-15")
}

test_specialist_with_no_relationship_is_refused if {
	not access.allow with input as read_patient(moreau, "child-01")
	access.decision.reasons == [relationships.not_pcp] with input as read_patient(moreau, "child-01")
}

test_principal_without_practitioner_is_refused if {
	access.decision == {
		"allow": false,
		"patients": {"child-01": refused(relationships.not_pcp)},
		"reasons": [relationships.not_pcp],
	} with input as read_patient(staff, "child-01")
}

test_empty_practitioner_never_matches_an_empty_listing if {
	odd := object.union(staff, {"practitioner": ""})
	inp := json.patch(read_patient(odd, "child-01"), [{
		"op": "replace", "path": "/facts/pcp_of/child-01/practitioners", "value": [""],
	}])
	not access.allow with input as inp
}

test_patient_without_primary_care_provider_is_refused if {
	access.decision.patients == {"child-23": refused(relationships.not_pcp)} with input as read_patient(patel, "child-23")
}

test_patient_unknown_to_the_facts_is_refused_like_any_other if {
	# A patient the hospital does not know gets no facts; the answer must not differ.
	access.decision == {
		"allow": false,
		"patients": {"child-99": refused(relationships.not_pcp)},
		"reasons": [relationships.not_pcp],
	} with input as read_patient(patel, "child-99")
}

test_empty_facts_refuse if {
	inp := json.patch(read_patient(patel, "child-01"), [{"op": "replace", "path": "/facts", "value": {}}])
	access.decision.patients == {"child-01": refused(relationships.not_pcp)} with input as inp
}

test_missing_facts_refuse if {
	inp := object.remove(read_patient(patel, "child-01"), ["facts"])
	access.decision.patients == {"child-01": refused(relationships.not_pcp)} with input as inp
}

test_missing_principal_refuses if {
	inp := object.remove(read_patient(patel, "child-01"), ["principal"])
	not access.allow with input as inp
	access.decision.reasons == [relationships.not_pcp] with input as inp
}
