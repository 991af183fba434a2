package mypatients.standing_test

import data.mypatients.standing

# Unit tests of account standing. The decision tests in ../access/grants_test.rego show the
# same rules through the access decision.

clinician(standing_of_user) := {
	"user": {"id": "accounts:u-pcp", "username": "pcp", "idp": "accounts", "standing": standing_of_user},
	"principal": {"id": "accounts:u-pcp"},
}

# staff is Rosa Garcia, sponsored by Dr Patel, with the given standings.
staff(standing_of_user, status, sponsor_standing) := {
	"user": {"id": "accounts:u-staff", "username": "staff", "idp": "accounts", "standing": standing_of_user},
	"principal": {"id": "accounts:u-pcp"},
	"sponsorship": {"sponsor": "accounts:u-pcp", "status": status, "sponsor_standing": sponsor_standing},
}

test_active_clinician_stands_on_own_account if {
	standing.decision == {"in_good_standing": true, "basis": "own_account"} with input as clinician("active")
	standing.own_account_active with input as clinician("active")
	not standing.sponsorship_active with input as clinician("active")
}

test_missing_standing_counts_as_active if {
	# The gateway always says; without a sponsorship store it says nothing, as before.
	standing.in_good_standing with input as object.remove(clinician("active"), ["user"])
}

test_suspended_clinician_is_not_in_good_standing if {
	standing.user_suspended with input as clinician("suspended")
	refused := {"in_good_standing": false, "reason": standing.account_suspended}
	standing.decision == refused with input as clinician("suspended")
}

test_active_staff_stand_on_the_sponsorship if {
	standing.decision == {"in_good_standing": true, "basis": "sponsored_staff"} with input as staff(
		"active",
		"active",
		"active",
	)
	not standing.own_account_active with input as staff("active", "active", "active")
	standing.basis == "sponsored_staff" with input as staff("active", "active", "active")
}

test_staff_suspended_or_removed_by_the_sponsor if {
	every status in ["suspended", "removed"] {
		standing.denial == standing.staff_suspended with input as staff("active", status, "active")
	}
}

test_suspended_sponsor_suspends_staff if {
	standing.denial == standing.sponsor_suspended with input as staff("active", "active", "suspended")
}

test_suspended_staff_user_is_suspended_first if {
	standing.denial == standing.account_suspended with input as staff("suspended", "removed", "suspended")
}

test_principal_other_than_the_sponsor_does_not_count if {
	inp := json.patch(
		staff("active", "active", "active"),
		[{"op": "replace", "path": "/principal/id", "value": "accounts:u-pcp2"}],
	)
	not standing.in_good_standing with input as inp
	standing.decision.reason == standing.sponsor_suspended with input as inp
}

test_no_denial_in_good_standing if {
	not standing.denial with input as clinician("active")
	not standing.denial with input as staff("active", "active", "active")
}

test_reasons_carry_their_codes if {
	standing.account_suspended.code == "account_suspended"
	standing.staff_suspended.code == "staff_suspended"
	standing.sponsor_suspended.code == "sponsor_suspended"
}
