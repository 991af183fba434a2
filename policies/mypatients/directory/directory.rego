# METADATA
# title: The clinician directory
# description: |
#   Reads and searches of the hospital's staff, places and medicines, which are in no
#   patient's record: any clinician may see them, through an app permitted to, while their
#   account is in good standing. A directory resource that names a patient is not decided
#   here but like any record.
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
#   A directory request that only reads, by a clinician, through an app whose scopes cover the
#   type and interaction, while the account is in good standing.
# scope: document
# custom:
#   basis: clinician_directory
default allow := false

allow if {
	applies
	request.read_only
	user_is_practitioner
	scope_permits
	standing.in_good_standing
}

# Why a directory request is refused; the first that applies, undefined when it is allowed.
denial := request.not_read_only if {
	not request.read_only
} else := not_clinician if {
	not user_is_practitioner
} else := request.scope_not_permitted if {
	not scope_permits
} else := standing.denial if {
	not standing.in_good_standing
}

# METADATA
# title: A directory request by a user whose own FHIR resource is not a Practitioner
# description: Only clinicians may read the hospital directory.
# custom:
#   code: not_clinician
not_clinician := {
	"code": "not_clinician",
	"message": "Only clinicians may read the hospital directory.",
}
