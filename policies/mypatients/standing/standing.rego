# METADATA
# title: Account standing
# description: |
#   Whether the principal's relationships count at all: the user's own account must be in
#   good standing and, for a sponsored staff user, the staff account and the sponsor's account
#   too. The gateway reads these facts fresh on every request, so a suspension holds at once.
#   The gateway also asks this package alone (its decision) before it lists the patients a
#   search may reach.
# scope: package
package mypatients.standing

# METADATA
# title: Standing decision
# description: |
#   Whether the principal's relationships count, with the basis, or the reason they do not.
#   The gateway asks it before it confines a search to the patients a clinician may plausibly
#   see; the access decision asks the same rules.
# entrypoint: true
# scope: document
decision := {"in_good_standing": true, "basis": basis} if in_good_standing

decision := {"in_good_standing": false, "reason": denial} if not in_good_standing

default user_suspended := false

# The support team suspended the user's own account.
user_suspended if input.user.standing == "suspended"

# METADATA
# title: The user's own account is active
# description: |
#   The user is not sponsored staff and their account is not suspended: the principal is the
#   user.
# scope: document
# custom:
#   basis: own_account
default own_account_active := false

own_account_active if {
	not user_suspended
	not input.sponsorship
}

# METADATA
# title: The staff account and its sponsor are active
# description: |
#   The user is sponsored staff; their own account is not suspended, the sponsor has not
#   suspended or removed the staff account, the sponsor's own account is active, and the
#   principal the gateway put in the input is the sponsor.
# scope: document
# custom:
#   basis: sponsored_staff
default sponsorship_active := false

sponsorship_active if {
	not user_suspended
	input.sponsorship.status == "active"
	input.sponsorship.sponsor_standing == "active"
	input.principal.id == input.sponsorship.sponsor
}

# The basis on which the principal's relationships count.
basis := "own_account" if own_account_active

basis := "sponsored_staff" if sponsorship_active

# METADATA
# title: The principal's relationships count
# description: The user's own account is active, or the staff account and its sponsor are.
# scope: document
default in_good_standing := false

in_good_standing if own_account_active

in_good_standing if sponsorship_active

# Why the principal's relationships do not count; the first that applies, undefined while
# they do.
denial := account_suspended if {
	user_suspended
} else := staff_suspended if {
	input.sponsorship.status != "active"
} else := sponsor_suspended if {
	not in_good_standing
}

# METADATA
# title: The user's account is suspended
# description: The support team suspended the user's own account.
# custom:
#   code: account_suspended
account_suspended := {
	"code": "account_suspended",
	"message": "Your account is suspended. Contact the MyPatients support team.",
}

# METADATA
# title: The staff account was suspended or removed by the sponsor
# description: The sponsored staff user's account is not active.
# custom:
#   code: staff_suspended
staff_suspended := {
	"code": "staff_suspended",
	"message": "Your staff account is suspended or was removed by your sponsoring provider.",
}

# METADATA
# title: The staff user's sponsor is suspended
# description: |
#   The sponsored staff user's sponsor is suspended, so the staff user's access is suspended
#   with theirs. (Also given when the principal is not the sponsor, which the gateway never
#   does.)
# custom:
#   code: sponsor_suspended
sponsor_suspended := {
	"code": "sponsor_suspended",
	"message": concat(" ", [
		"The account of the provider who sponsors you is suspended, so your access is suspended too.",
		"Contact your sponsoring provider.",
	]),
}
