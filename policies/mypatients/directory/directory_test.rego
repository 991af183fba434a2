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

# staff_asking is Rosa Garcia (staff), sponsored by Dr Patel, asking through Dr Patel's
# principal; she has no Practitioner of her own.
staff_asking(interaction, resource_type) := json.patch(asking(interaction, resource_type, []), [
	{"op": "replace", "path": "/user", "value": {"id": "accounts:u-staff", "username": "staff", "idp": "accounts"}},
	{"op": "add", "path": "/principal/practitioner", "value": "Practitioner/dr-patel"},
	{
		"op": "add", "path": "/sponsorship",
		"value": {"sponsor": "accounts:u-pcp", "status": "active", "sponsor_standing": "active"},
	},
])

test_user_is_staff_of_practitioner_when_the_principal_is_their_practitioner_sponsor if {
	directory.user_is_staff_of_practitioner with input as staff_asking("read", "PractitionerRole")
	not directory.user_is_practitioner with input as staff_asking("read", "PractitionerRole")
	not directory.user_is_staff_of_practitioner with input as asking("read", "PractitionerRole", [])
	not directory.user_is_staff_of_practitioner with input as json.patch(staff_asking("read", "Location"), [
		{"op": "remove", "path": "/principal/practitioner"},
	])
	not directory.user_is_staff_of_practitioner with input as json.patch(staff_asking("read", "Location"), [
		{"op": "replace", "path": "/principal/practitioner", "value": "RelatedPerson/mum"},
	])
	not directory.user_is_staff_of_practitioner with input as json.patch(staff_asking("read", "Location"), [
		{"op": "replace", "path": "/sponsorship/sponsor", "value": "accounts:u-colleague"},
	])
}

test_user_is_clinical_as_clinician_or_their_staff if {
	directory.user_is_clinical with input as asking("read", "Location", [])
	directory.user_is_clinical with input as staff_asking("read", "Location")
	not directory.user_is_clinical with input as object.remove(asking("read", "Location", []), ["user"])
}

test_staff_allowed_and_refused_as_their_standing_says if {
	directory.allow with input as staff_asking("search", "Practitioner")
	inp := json.patch(staff_asking("search", "Practitioner"), [
		{"op": "replace", "path": "/sponsorship/sponsor_standing", "value": "suspended"},
	])
	not directory.allow with input as inp
	directory.denial.code == "sponsor_suspended" with input as inp
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
