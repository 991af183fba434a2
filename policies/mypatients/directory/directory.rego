# METADATA
# title: The clinician directory
# description: |
#   Reads and searches of the hospital's staff, places and medicines, which are in no
#   patient's record: any clinician, and any clinician's sponsored staff, may see them,
#   through an app permitted to, while their accounts are in good standing. A directory
#   resource that names a patient is not decided here but like any record.
# scope: package
package mypatients.directory

import data.mypatients.request
import data.mypatients.standing

# The FHIR types that describe the hospital's staff, places and medicines rather than a
# patient's record.
types := {"Location", "Medication", "Organization", "Practitioner", "PractitionerRole"}

# METADATA
# title: A directory request
# description: A read or search of a directory type that names no patient.
# scope: document
default applies := false

applies if {
	input.request.resource_type in types
	count(request.patients) == 0
}

# METADATA
# title: The user is a clinician
# description: |
#   The logged-in user's own FHIR resource (user.practitioner) is a Practitioner. For a
#   sponsored staff user this is the staff member's own resource, never the sponsor's.
# scope: document
default user_is_practitioner := false

user_is_practitioner if startswith(object.get(input, ["user", "practitioner"], ""), "Practitioner/")

# METADATA
# title: The user is a clinician's staff
# description: |
#   The user is sponsored staff and their sponsor, the principal, is a Practitioner. Staff
#   have exactly their sponsor's access, and the care team's contact details are what a
#   referral coordinator or a nurse needs the directory for. Whether the staff account and
#   the sponsor's are in good standing is the standing's to say.
# scope: document
default user_is_staff_of_practitioner := false

user_is_staff_of_practitioner if {
	input.sponsorship.sponsor == input.principal.id
	startswith(object.get(input, ["principal", "practitioner"], ""), "Practitioner/")
}

# METADATA
# title: The user may read the directory
# description: The user is a clinician, or a clinician's sponsored staff.
# scope: document
default user_is_clinical := false

user_is_clinical if user_is_practitioner

user_is_clinical if user_is_staff_of_practitioner

# METADATA
# title: A scope covers the directory type
# description: |
#   A user- or patient-context scope of the app's token covers the type and the interaction.
#   There is no launch patient to confine a patient-context scope to: directory resources are
#   in no patient's record.
# scope: document
default scope_permits := false

scope_permits if {
	some scope in request.covering_scopes
	scope.context in {"user", "patient"}
}

# METADATA
# title: Clinician directory
# description: |
#   A directory request that only reads, by a clinician or a clinician's staff, through an app
#   whose scopes cover the type and interaction, while the accounts are in good standing.
# scope: document
# custom:
#   basis: clinician_directory
default allow := false

allow if {
	applies
	request.read_only
	user_is_clinical
	scope_permits
	standing.in_good_standing
}

# Why a directory request is refused; the first that applies, undefined when it is allowed.
denial := request.not_read_only if {
	not request.read_only
} else := not_clinician if {
	not user_is_clinical
} else := request.scope_not_permitted if {
	not scope_permits
} else := standing.denial if {
	not standing.in_good_standing
}

# METADATA
# title: A directory request by a user who is neither a clinician nor a clinician's staff
# description: |
#   Only clinicians and the staff they sponsor may read the hospital directory: the user's
#   own FHIR resource is not a Practitioner, and they are not the sponsored staff of one.
# custom:
#   code: not_clinician
not_clinician := {
	"code": "not_clinician",
	"message": "Only clinicians and the staff they sponsor may read the hospital directory.",
}
