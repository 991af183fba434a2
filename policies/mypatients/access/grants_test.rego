package mypatients.access_test

import data.mypatients.access
import data.mypatients.relationships
import data.mypatients.standing

# ---------------------------------------------------------------------------------------------
# Path 3, patient-granted access, and the principal of a sponsored staff user.
# ---------------------------------------------------------------------------------------------

now := "2026-11-24T12:00:00Z"

# A grant of child-20 (whose PCP is Dr Outside, a non-user) to Dr Moreau, the specialist.
moreau_grant := {
	"clinician": "accounts:u-specialist",
	"how": "request",
	"when": "2026-11-01T09:00:00Z",
	"by": "portal:guardian-20",
}

# with_grants builds a request of principal for patient_id, at now, with the given grants.
with_grants(principal, patient_id, grants) := json.patch(read_patient(principal, patient_id), [
	{"op": "add", "path": "/now", "value": now},
	{"op": "add", "path": "/facts/grants", "value": grants},
	{
		"op": "add", "path": "/facts/pcp_of/child-20",
		"value": {"practitioners": ["Practitioner/dr-outside"], "organizations": []},
	},
])

# as_staff_of makes the input's user Rosa Garcia (staff), sponsored by sponsor (the
# principal), with the given staff status and sponsor standing.
as_staff_of(inp, status, sponsor_standing) := json.patch(inp, [
	{
		"op": "replace", "path": "/user",
		"value": {"id": "accounts:u-staff", "username": "staff", "idp": "accounts", "standing": "active"},
	},
	{
		"op": "add", "path": "/sponsorship",
		"value": {"sponsor": inp.principal.id, "status": status, "sponsor_standing": sponsor_standing},
	},
])

test_patient_granted_is_allowed if {
	access.decision == {
		"allow": true,
		"patients": {"child-20": allowed("patient_grant")},
		"reasons": [],
	} with input as with_grants(moreau, "child-20", {"child-20": moreau_grant})
}

test_grant_to_someone_else_does_not_count if {
	access.decision.patients == {"child-20": refused(relationships.not_pcp)} with input as with_grants(
		patel,
		"child-20",
		{"child-20": moreau_grant},
	)
}

test_grant_for_another_patient_does_not_count if {
	not access.allow with input as with_grants(moreau, "child-20", {"child-21": moreau_grant})
}

test_revoked_grant_is_refused if {
	revoked := object.union(moreau_grant, {"revoked_at": "2026-11-20T10:00:00Z"})
	access.decision.patients == {"child-20": refused(relationships.not_pcp)} with input as with_grants(
		moreau,
		"child-20",
		{"child-20": revoked},
	)
}

test_grant_before_its_end_is_allowed if {
	ending := object.union(moreau_grant, {"expires_at": "2026-12-01T00:00:00Z"})
	access.allow with input as with_grants(moreau, "child-20", {"child-20": ending})
}

test_expired_grant_is_refused_and_says_so if {
	ended := object.union(moreau_grant, {"expires_at": "2026-11-24T12:00:00Z"})
	access.decision == {
		"allow": false,
		"patients": {"child-20": refused(relationships.grant_expired)},
		"reasons": [relationships.grant_expired],
	} with input as with_grants(moreau, "child-20", {"child-20": ended})
}

test_pcp_basis_is_reported_before_a_grant if {
	patel_grant := object.union(moreau_grant, {"clinician": "accounts:u-pcp"})
	access.decision.patients == {"child-01": allowed("pcp")} with input as with_grants(
		patel,
		"child-01",
		{"child-01": patel_grant},
	)
}

test_refusal_offers_both_next_steps if {
	inp := read_patient(moreau, "child-01")
	access.decision.reasons[0].next_steps == "request-pcp-access request-family-access" with input as inp
}

# PCP change in the EHR: the same principal is refused once the facts name another PCP.
test_pcp_change_in_the_ehr_takes_access_away if {
	access.allow with input as read_patient(patel, "child-01")
	changed := json.patch(read_patient(patel, "child-01"), [{
		"op": "replace", "path": "/facts/pcp_of/child-01",
		"value": {"practitioners": ["Practitioner/dr-lindqvist"], "organizations": []},
	}])
	access.decision.patients == {"child-01": refused(relationships.not_pcp)} with input as changed
}

# ---------------------------------------------------------------------------------------------
# Sponsored staff: the principal is the sponsor; staff see exactly what the sponsor sees.
# ---------------------------------------------------------------------------------------------

test_staff_sees_sponsors_patients_on_the_sponsors_basis if {
	access.decision.patients == {"child-01": allowed("pcp")} with input as as_staff_of(
		read_patient(patel, "child-01"),
		"active",
		"active",
	)
	access.decision.patients == {"child-07": allowed("pcp_practice")} with input as as_staff_of(
		read_patient(patel, "child-07"),
		"active",
		"active",
	)
}

test_staff_sees_no_more_than_the_sponsor if {
	access.decision.patients == {"child-10": refused(relationships.not_pcp)} with input as as_staff_of(
		read_patient(patel, "child-10"),
		"active",
		"active",
	)
}

test_staff_redeeming_a_token_uses_the_grant_to_the_sponsor if {
	# The invitation redeemed by staff made a grant to the sponsor, Dr Moreau here.
	inp := as_staff_of(with_grants(moreau, "child-20", {"child-20": moreau_grant}), "active", "active")
	access.decision.patients == {"child-20": allowed("patient_grant")} with input as inp
}

test_suspended_sponsor_suspends_staff if {
	access.decision == {
		"allow": false,
		"patients": {"child-01": refused(standing.sponsor_suspended)},
		"reasons": [standing.sponsor_suspended],
	} with input as as_staff_of(read_patient(patel, "child-01"), "active", "suspended")
}

test_suspended_or_removed_staff_is_refused if {
	some status in ["suspended", "removed"]
	access.decision.patients == {"child-01": refused(standing.staff_suspended)} with input as as_staff_of(
		read_patient(patel, "child-01"),
		status,
		"active",
	)
}

test_staff_whose_principal_is_not_the_sponsor_is_refused if {
	# The gateway must put the sponsor in input.principal; anything else is refused.
	inp := json.patch(as_staff_of(read_patient(patel, "child-01"), "active", "active"), [
		{"op": "replace", "path": "/sponsorship/sponsor", "value": "accounts:u-pcp2"},
	])
	not access.allow with input as inp
}

test_suspended_user_is_refused if {
	inp := json.patch(read_patient(patel, "child-01"), [{"op": "add", "path": "/user/standing", "value": "suspended"}])
	access.decision.patients == {"child-01": refused(standing.account_suspended)} with input as inp
}

test_grant_with_an_end_needs_the_time_of_the_request if {
	ending := object.union(moreau_grant, {"expires_at": "2026-12-01T00:00:00Z"})
	inp := json.remove(with_grants(moreau, "child-20", {"child-20": ending}), ["now"])
	not access.allow with input as inp
}
