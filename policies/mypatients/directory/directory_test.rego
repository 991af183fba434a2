package mypatients.directory_test

import data.mypatients.directory
import data.mypatients.request

# Unit tests of the clinician directory. The decision tests in
# ../access/directory_decision_test.rego show the same rule through the access decision.

# asking is a clinician's request naming patients, through a token that may read everything.
asking(interaction, resource_type, patients) := {
	"user": {"id": "accounts:u-pcp", "username": "pcp", "idp": "accounts", "practitioner": "Practitioner/dr-patel"},
	"principal": {"id": "accounts:u-pcp"},
	"request": {"interaction": interaction, "resource_type": resource_type, "patients": patients},
	"token": {"client_id": "demo-app", "scopes": [{"context": "user", "resource": "*", "perms": ["r", "s"]}]},
}

test_directory_types if {
	directory.types == {"Location", "Medication", "Organization", "Practitioner", "PractitionerRole"}
}

test_applies_to_directory_types_naming_no_patient if {
	directory.applies with input as asking("read", "Practitioner", [])
	not directory.applies with input as asking("read", "Practitioner", ["child-01"])
	not directory.applies with input as asking("search", "Observation", [])
}

test_user_is_practitioner_from_their_own_resource if {
	directory.user_is_practitioner with input as asking("read", "Location", [])
	not directory.user_is_practitioner with input as object.remove(asking("read", "Location", []), ["user"])
	not directory.user_is_practitioner with input as json.patch(asking("read", "Location", []), [
		{"op": "replace", "path": "/user/practitioner", "value": "RelatedPerson/mum"},
	])
}

test_scope_permits_in_user_or_patient_context if {
	every context in ["user", "patient"] {
		directory.scope_permits with input as json.patch(asking("search", "Organization", []), [
			{"op": "replace", "path": "/token/scopes/0/context", "value": context},
		])
	}
	not directory.scope_permits with input as json.patch(asking("search", "Organization", []), [
		{"op": "replace", "path": "/token/scopes/0/context", "value": "system"},
	])
}

test_allow_and_denial if {
	directory.allow with input as asking("search", "Medication", [])
	not directory.denial with input as asking("search", "Medication", [])
	not directory.allow with input as asking("update", "Medication", [])
	directory.denial == request.not_read_only with input as asking("update", "Medication", [])
	directory.denial == directory.not_clinician with input as object.remove(asking("read", "Medication", []), ["user"])
	directory.denial == request.scope_not_permitted with input as json.patch(asking("read", "Medication", []), [
		{"op": "replace", "path": "/token/scopes", "value": []},
	])
}

test_suspended_clinician_gets_the_standings_reason if {
	inp := json.patch(asking("read", "Location", []), [{"op": "add", "path": "/user/standing", "value": "suspended"}])
	not directory.allow with input as inp
	directory.denial.code == "account_suspended" with input as inp
}

test_reason_carries_its_code if {
	directory.not_clinician.code == "not_clinician"
}
