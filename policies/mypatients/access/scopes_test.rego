package mypatients.access_test

import data.mypatients.access
import data.mypatients.relationships
import data.mypatients.request

# Tests of rules 1 and 2 (interaction and scopes) and of requests naming several or no
# patients. The demo world and the helpers are in access_test.rego.

# ---------------------------------------------------------------------------------------------
# Rule 1: read interactions only.
# ---------------------------------------------------------------------------------------------

test_read_vread_and_search_are_allowed if {
	every interaction in ["read", "vread", "search"] {
		access.allow with input as input_for(patel, interaction, "Observation", ["child-01"])
	}
}

test_writes_and_other_interactions_are_refused if {
	every interaction in ["create", "update", "patch", "delete", "history", "batch", "operation", "", "READ"] {
		access.decision == {
			"allow": false,
			"patients": {"child-01": refused(request.not_read_only)},
			"reasons": [request.not_read_only],
		} with input as input_for(patel, interaction, "Patient", ["child-01"])
	}
}

test_missing_interaction_is_refused if {
	inp := object.remove(read_patient(patel, "child-01"), ["request"])
	not access.allow with input as inp
	request.not_read_only in access.decision.reasons with input as inp
}

test_write_is_refused_even_with_write_scope if {
	inp := with_scopes(
		input_for(patel, "update", "Patient", ["child-01"]),
		[{"context": "user", "resource": "*", "perms": ["c", "r", "u", "d", "s"]}],
	)
	access.decision.reasons == [request.not_read_only] with input as inp
}

# ---------------------------------------------------------------------------------------------
# Rule 2: the token's scopes.
# ---------------------------------------------------------------------------------------------

scope(context, resource, perms) := {"context": context, "resource": resource, "perms": perms}

# scoped is Dr Patel's request for child-01 through a token holding exactly scopes.
scoped(scopes, interaction, resource_type) := with_scopes(
	input_for(patel, interaction, resource_type, ["child-01"]),
	scopes,
)

test_v1_read_scope_permits_read_vread_and_search if {
	# user/*.read and user/Observation.read become perms ["r", "s"].
	every interaction in ["read", "vread", "search"] {
		access.allow with input as scoped([scope("user", "*", ["r", "s"])], interaction, "Observation")
		access.allow with input as scoped([scope("user", "Observation", ["r", "s"])], interaction, "Observation")
	}
}

test_v2_read_letter_permits_read_and_vread_not_search if {
	access.allow with input as scoped([scope("user", "Observation", ["r"])], "read", "Observation")
	access.allow with input as scoped([scope("user", "Observation", ["r"])], "vread", "Observation")
	not access.allow with input as scoped([scope("user", "Observation", ["r"])], "search", "Observation")
}

test_v2_search_letter_permits_search_not_read if {
	access.allow with input as scoped([scope("user", "Observation", ["s"])], "search", "Observation")
	not access.allow with input as scoped([scope("user", "Observation", ["s"])], "read", "Observation")
	not access.allow with input as scoped([scope("user", "Observation", ["s"])], "vread", "Observation")
}

test_scope_for_another_resource_type_does_not_permit if {
	not access.allow with input as scoped([scope("user", "Observation", ["r", "s"])], "read", "Patient")
	not access.allow with input as scoped([scope("user", "observation", ["r", "s"])], "read", "Observation")
}

test_wildcard_resource_permits_every_type if {
	every resource_type in ["Patient", "Encounter", "MedicationRequest", "Observation"] {
		access.allow with input as scoped([scope("user", "*", ["r", "s"])], "search", resource_type)
	}
}

test_system_context_does_not_permit_a_clinician if {
	not access.allow with input as scoped([scope("system", "*", ["r", "s"])], "read", "Patient")
}

test_write_only_scope_does_not_permit_reading if {
	not access.allow with input as scoped([scope("user", "*", ["c", "u", "d"])], "read", "Patient")
}

test_scope_with_query_constraint_counts_for_its_type if {
	# The proxy holds the results to the query; the policy decides the type.
	narrowed := object.union(scope("user", "Observation", ["r", "s"]), {"query": "category=laboratory"})
	access.allow with input as scoped([narrowed], "search", "Observation")
	not access.allow with input as scoped([narrowed], "search", "Condition")
}

# patient_token is a token of patient-context scopes launched with patient launch.
patient_token(inp, launch) := json.patch(inp, [
	{"op": "replace", "path": "/token/scopes", "value": [scope("patient", "*", ["r", "s"])]},
	{"op": "add", "path": "/token/patient", "value": launch},
])

test_patient_scope_permits_the_launch_patient if {
	access.allow with input as patient_token(read_patient(patel, "child-01"), "child-01")
	access.allow with input as patient_token(input_for(patel, "search", "Observation", ["child-01"]), "child-01")
}

test_patient_scope_refuses_another_patient if {
	# child-05 is Dr Patel's too, but the token is confined to child-01.
	inp := patient_token(read_patient(patel, "child-05"), "child-01")
	access.decision.reasons == [request.scope_not_permitted] with input as inp
}

test_patient_scope_refuses_a_request_naming_others_too if {
	inp := patient_token(input_for(patel, "search", "Observation", ["child-01", "child-05"]), "child-01")
	not access.allow with input as inp
}

test_patient_scope_without_launch_patient_refuses if {
	inp := with_scopes(read_patient(patel, "child-01"), [scope("patient", "*", ["r", "s"])])
	not access.allow with input as inp
	not access.allow with input as patient_token(read_patient(patel, "child-01"), "")
}

test_patient_scope_still_needs_the_relationship if {
	# The launch patient must be one the clinician may see: child-10 is not Dr Patel's.
	inp := patient_token(read_patient(patel, "child-10"), "child-10")
	not access.allow with input as inp
	access.decision.patients["child-10"].reason == relationships.not_pcp with input as inp
}

test_patient_scope_with_user_scope_reaches_others_through_the_user_scope if {
	inp := json.patch(patient_token(read_patient(patel, "child-05"), "child-01"), [
		{"op": "add", "path": "/token/scopes/-", "value": scope("user", "Patient", ["r"])},
	])
	access.allow with input as inp
}

test_one_permitting_scope_among_others_is_enough if {
	access.allow with input as scoped(
		[scope("user", "Patient", ["r"]), scope("user", "Observation", ["s"]), scope("system", "*", ["r", "s"])],
		"search", "Observation",
	)
}

test_no_scopes_refuse if {
	inp := with_scopes(read_patient(patel, "child-01"), [])
	access.decision == {
		"allow": false,
		"patients": {"child-01": refused(request.scope_not_permitted)},
		"reasons": [request.scope_not_permitted],
	} with input as inp
}

test_missing_token_refuses if {
	inp := object.remove(read_patient(patel, "child-01"), ["token"])
	access.decision.reasons == [request.scope_not_permitted] with input as inp
}

test_scope_refusal_is_reported_instead_of_relationship if {
	# Not Dr Patel's patient either, but the scope is the reason given for the request.
	inp := with_scopes(read_patient(patel, "child-10"), [scope("user", "Observation", ["r", "s"])])
	access.decision.reasons == [request.scope_not_permitted] with input as inp
}

# ---------------------------------------------------------------------------------------------
# Several patients, or none.
# ---------------------------------------------------------------------------------------------

test_every_named_patient_allowed_allows if {
	access.decision == {
		"allow": true,
		"patients": {
			"child-01": allowed("pcp"),
			"child-06": allowed("pcp_practice"),
			"child-07": allowed("pcp_practice"),
		},
		"reasons": [],
	} with input as input_for(patel, "search", "Observation", ["child-01", "child-06", "child-07"])
}

test_one_unallowed_patient_refuses_the_whole_request if {
	access.decision == {
		"allow": false,
		"patients": {
			"child-01": allowed("pcp"),
			"child-10": refused(relationships.not_pcp),
		},
		"reasons": [relationships.not_pcp],
	} with input as input_for(patel, "search", "Observation", ["child-01", "child-10"])
}

test_repeated_patient_is_decided_once if {
	access.decision == {
		"allow": true,
		"patients": {"child-01": allowed("pcp")},
		"reasons": [],
	} with input as input_for(patel, "search", "Observation", ["child-01", "child-01"])
}

test_no_patient_named_is_refused if {
	access.decision == {
		"allow": false,
		"patients": {},
		"reasons": [access.no_patient_named],
	} with input as input_for(patel, "search", "Patient", [])
}

test_missing_patient_list_is_refused if {
	inp := json.patch(input_for(patel, "search", "Patient", []), [{"op": "remove", "path": "/request/patients"}])
	access.decision == {
		"allow": false,
		"patients": {},
		"reasons": [access.no_patient_named],
	} with input as inp
}

test_every_reason_is_listed_once if {
	inp := input_for(patel, "delete", "Patient", [])
	access.decision.reasons == [access.no_patient_named, request.not_read_only] with input as inp
}

test_refusal_always_carries_a_reason if {
	every inp in [
		read_patient(staff, "child-01"),
		input_for(patel, "create", "Patient", ["child-01"]),
		with_scopes(read_patient(patel, "child-01"), []),
		input_for(patel, "search", "Patient", []),
	] {
		not access.decision.allow with input as inp
		count(access.decision.reasons) > 0 with input as inp
	}
}
