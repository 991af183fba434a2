package mypatients.request_test

import data.mypatients.request

# Unit tests of rules 1 and 2. The decision tests in ../access/scopes_test.rego show the same
# rules through the access decision.

scope(context, resource, perms) := {"context": context, "resource": resource, "perms": perms}

# asking is a request for patients through a token of scopes, launched for launch ("" for
# none).
asking(interaction, resource_type, patients, scopes, launch) := {
	"request": {"interaction": interaction, "resource_type": resource_type, "patients": patients},
	"token": {"client_id": "demo-app", "scopes": scopes, "patient": launch},
}

read_all := [scope("user", "*", ["r", "s"])]

test_patients_are_named_once if {
	request.patients == {"child-01", "child-05"} with input as asking(
		"search",
		"Observation",
		["child-05", "child-01", "child-05"],
		read_all,
		"",
	)
	count(request.patients) == 0 with input as {}
}

test_each_read_interaction_needs_its_letter if {
	request.permission_letter == {"read": "r", "vread": "r", "search": "s"}
}

test_read_only_is_read_vread_or_search if {
	every interaction in ["read", "vread", "search"] {
		request.read_only with input as asking(interaction, "Patient", ["child-01"], read_all, "")
	}
	every interaction in ["create", "update", "patch", "delete", "history", "", "READ"] {
		not request.read_only with input as asking(interaction, "Patient", ["child-01"], read_all, "")
	}
	not request.read_only with input as {}
}

test_scope_covers_its_type_and_letter if {
	request.scope_covers(scope("user", "Observation", ["r"]), "Observation", "r")
	request.scope_covers(scope("patient", "*", ["s"]), "Encounter", "s")
	not request.scope_covers(scope("user", "Observation", ["r"]), "Observation", "s")
	not request.scope_covers(scope("user", "Observation", ["r", "s"]), "Patient", "r")
}

test_no_scope_covers_a_write if {
	count(request.covering_scopes) == 0 with input as asking(
		"update",
		"Patient",
		["child-01"],
		[scope("user", "*", ["c", "r", "u", "d", "s"])],
		"",
	)
}

test_covering_scopes_are_those_of_any_context_that_cover if {
	scopes := [scope("user", "Patient", ["r"]), scope("system", "*", ["r"]), scope("patient", "Observation", ["r"])]
	request.covering_scopes == {scope("user", "Patient", ["r"]), scope("system", "*", ["r"])} with input as asking(
		"read",
		"Patient",
		["child-01"],
		scopes,
		"",
	)
}

test_user_scope_permits if {
	request.scope_permits with input as asking("read", "Patient", ["child-01", "child-05"], read_all, "")
}

test_system_scope_does_not_permit if {
	not request.scope_permits with input as asking("read", "Patient", ["child-01"], [scope("system", "*", ["r", "s"])], "")
}

test_patient_scope_permits_within_the_launch_patient_only if {
	scopes := [scope("patient", "*", ["r", "s"])]
	request.scope_permits with input as asking("read", "Patient", ["child-01"], scopes, "child-01")
	not request.scope_permits with input as asking("read", "Patient", ["child-05"], scopes, "child-01")
	not request.scope_permits with input as asking("read", "Patient", ["child-01"], scopes, "")
}

test_within_launch_patient_needs_a_patient_and_no_other if {
	request.within_launch_patient with input as asking("search", "Observation", ["child-01", "child-01"], [], "child-01")
	not request.within_launch_patient with input as asking(
		"search",
		"Observation",
		["child-01", "child-05"],
		[],
		"child-01",
	)
	not request.within_launch_patient with input as asking("search", "Observation", [], [], "child-01")
	not request.within_launch_patient with input as asking("search", "Observation", ["child-01"], [], "")
}

test_permitted_needs_both_rules if {
	request.permitted with input as asking("read", "Patient", ["child-01"], read_all, "")
	not request.permitted with input as asking("delete", "Patient", ["child-01"], read_all, "")
	not request.permitted with input as asking("read", "Patient", ["child-01"], [], "")
}

test_denial_gives_the_first_rule_that_fails if {
	request.denial == request.not_read_only with input as asking("delete", "Patient", ["child-01"], [], "")
	request.denial == request.scope_not_permitted with input as asking("read", "Patient", ["child-01"], [], "")
	not request.denial with input as asking("read", "Patient", ["child-01"], read_all, "")
}

test_reasons_carry_their_codes if {
	request.not_read_only.code == "not_read_only"
	request.scope_not_permitted.code == "scope_not_permitted"
}
