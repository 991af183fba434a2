package mypatients.access_test

import data.mypatients.access
import data.mypatients.directory
import data.mypatients.relationships
import data.mypatients.request
import data.mypatients.standing

# Tests of the clinician directory: reads and searches of staff, places and medicines that
# name no patient. The demo world and the helpers are in access_test.rego and scopes_test.rego.

# directory builds the input for principal, logged in with their own Practitioner as
# fhirUser, asking interaction on resource_type naming no patient.
directory_input(principal, interaction, resource_type) := json.patch(
	input_for(principal, interaction, resource_type, []),
	[{"op": "add", "path": "/user/practitioner", "value": principal.practitioner}],
)

allowed_directory := {"allow": true, "patients": {}, "reasons": [], "basis": "clinician_directory"}

refused_directory(reason) := {"allow": false, "patients": {}, "reasons": [reason]}

test_clinician_reads_and_searches_every_directory_type if {
	every resource_type in ["Practitioner", "PractitionerRole", "Organization", "Location", "Medication"] {
		every interaction in ["read", "vread", "search"] {
			access.decision == allowed_directory with input as directory_input(patel, interaction, resource_type)
		}
	}
}

test_any_clinician_reads_the_directory_whatever_their_patients if {
	access.decision == allowed_directory with input as directory_input(moreau, "search", "Practitioner")
}

test_directory_needs_no_relationship_facts if {
	inp := object.remove(directory_input(patel, "read", "Organization"), ["facts"])
	access.decision == allowed_directory with input as inp
}

test_user_without_practitioner_is_refused_the_directory if {
	inp := input_for(patel, "read", "Practitioner", [])
	access.decision == refused_directory(directory.not_clinician) with input as inp
}

test_user_whose_fhir_user_is_not_a_practitioner_is_refused_the_directory if {
	inp := json.patch(input_for(patel, "read", "Practitioner", []), [
		{"op": "add", "path": "/user/practitioner", "value": "RelatedPerson/mum"},
	])
	access.decision == refused_directory(directory.not_clinician) with input as inp
}

test_staff_read_the_directory_through_their_clinician_sponsor if {
	# The user has no Practitioner of their own; the principal, their sponsor, does.
	inp := as_staff_of(input_for(patel, "search", "Location", []), "active", "active")
	every resource_type in ["Practitioner", "PractitionerRole", "Organization", "Location"] {
		access.decision == allowed_directory with input as json.patch(inp, [
			{"op": "replace", "path": "/request/resource_type", "value": resource_type},
		])
	}
}

test_staff_are_refused_the_directory_with_their_standings_reason if {
	inp := as_staff_of(input_for(patel, "read", "PractitionerRole", []), "active", "active")
	access.decision == refused_directory(standing.sponsor_suspended) with input as json.patch(inp, [
		{"op": "replace", "path": "/sponsorship/sponsor_standing", "value": "suspended"},
	])
	every status in ["suspended", "removed"] {
		access.decision == refused_directory(standing.staff_suspended) with input as json.patch(inp, [
			{"op": "replace", "path": "/sponsorship/status", "value": status},
		])
	}
	access.decision == refused_directory(standing.account_suspended) with input as json.patch(inp, [
		{"op": "replace", "path": "/user/standing", "value": "suspended"},
	])
}

test_staff_of_a_sponsor_without_a_practitioner_are_refused_the_directory if {
	inp := as_staff_of(input_for(staff_sponsor_without_practitioner, "read", "Practitioner", []), "active", "active")
	access.decision == refused_directory(directory.not_clinician) with input as inp
}

test_staff_whose_principal_is_not_the_sponsor_are_refused_the_directory if {
	# The gateway never does this; the policy does not take its word for it either.
	inp := json.patch(as_staff_of(input_for(patel, "read", "Location", []), "active", "active"), [
		{"op": "replace", "path": "/principal", "value": okafor},
	])
	access.decision == refused_directory(directory.not_clinician) with input as inp
}

# staff_sponsor_without_practitioner is a sponsor with no record in the hospital directory.
staff_sponsor_without_practitioner := {"id": "accounts:u-manager", "practices": [], "practice_members": []}

test_directory_scope_must_cover_the_type if {
	inp := with_scopes(directory_input(patel, "read", "Practitioner"), [scope("user", "Observation", ["r", "s"])])
	access.decision == refused_directory(request.scope_not_permitted) with input as inp
}

test_directory_scope_must_grant_the_interactions_letter if {
	read_only_scope := [scope("user", "Practitioner", ["r"])]
	access.decision == allowed_directory with input as with_scopes(
		directory_input(patel, "read", "Practitioner"),
		read_only_scope,
	)
	access.decision == refused_directory(request.scope_not_permitted) with input as with_scopes(
		directory_input(patel, "search", "Practitioner"),
		read_only_scope,
	)
}

test_patient_scope_covers_the_directory_without_a_launch_patient if {
	# Directory resources are in no patient's record, so there is no patient to confine to.
	inp := with_scopes(directory_input(patel, "search", "Organization"), [scope("patient", "*", ["r", "s"])])
	access.decision == allowed_directory with input as inp
}

test_system_scope_does_not_cover_the_directory if {
	inp := with_scopes(directory_input(patel, "read", "Organization"), [scope("system", "*", ["r", "s"])])
	access.decision == refused_directory(request.scope_not_permitted) with input as inp
}

test_query_narrowed_scope_counts_for_its_directory_type if {
	narrowed := object.union(scope("user", "Medication", ["r", "s"]), {"query": "status=active"})
	access.decision == allowed_directory with input as with_scopes(
		directory_input(patel, "search", "Medication"),
		[narrowed],
	)
}

test_directory_is_read_only if {
	access.decision == refused_directory(request.not_read_only) with input as directory_input(
		patel,
		"create",
		"Organization",
	)
}

test_suspended_clinician_is_refused_the_directory if {
	inp := json.patch(
		directory_input(patel, "read", "Practitioner"),
		[{"op": "add", "path": "/user/standing", "value": "suspended"}],
	)
	access.decision == refused_directory(standing.account_suspended) with input as inp
}

test_staff_with_own_practitioner_follows_the_sponsorship if {
	inp := json.patch(as_staff_of(input_for(patel, "read", "Location", []), "active", "active"), [
		{"op": "add", "path": "/user/practitioner", "value": "Practitioner/rosa"},
	])
	access.decision == allowed_directory with input as inp
	access.decision == refused_directory(standing.sponsor_suspended) with input as json.patch(inp, [
		{"op": "replace", "path": "/sponsorship/sponsor_standing", "value": "suspended"},
	])
	access.decision == refused_directory(standing.staff_suspended) with input as json.patch(inp, [
		{"op": "replace", "path": "/sponsorship/status", "value": "removed"},
	])
}

test_practitioner_is_checked_before_scope if {
	inp := with_scopes(input_for(patel, "read", "Practitioner", []), [])
	access.decision.reasons == [directory.not_clinician] with input as inp
}

test_directory_resource_naming_a_patient_is_decided_like_a_record if {
	inp := json.patch(directory_input(patel, "read", "Practitioner"), [
		{"op": "replace", "path": "/request/patients", "value": ["child-10"]},
	])
	access.decision == {
		"allow": false,
		"patients": {"child-10": refused(relationships.not_pcp)},
		"reasons": [relationships.not_pcp],
	} with input as inp
	own := json.patch(inp, [{"op": "replace", "path": "/request/patients", "value": ["child-01"]}])
	access.decision == {
		"allow": true,
		"patients": {"child-01": allowed("pcp")},
		"reasons": [],
	} with input as own
}

test_record_type_naming_no_patient_gets_no_basis if {
	access.decision == refused_directory(access.no_patient_named) with input as directory_input(
		patel,
		"search",
		"Observation",
	)
}
