# METADATA
# title: Rules 1 and 2, the request and the app's token
# description: |
#   What one request asks to do and whether the app's access token permits it, whatever the
#   patients: only reads (rule 1), and only what a scope of the token covers (rule 2).
# scope: package
package mypatients.request

# The patients the request names, once each.
patients contains patient_id if {
	some patient_id in input.request.patients
}

# The interactions that only read, and the SMART permission letter each one needs
# ("r" to read a resource by id or version, "s" to search).
permission_letter := {
	"read": "r",
	"vread": "r",
	"search": "s",
}

# METADATA
# title: Rule 1, read only
# description: The interaction is read, vread or search; nothing is created, changed or deleted.
# scope: document
default read_only := false

read_only if input.request.interaction in object.keys(permission_letter)

# scope_covers holds when scope names resource_type (or "*") and grants the permission
# letter. A v2 scope narrowed by a query (for example "?category=laboratory") covers its type;
# the FHIR proxy holds the results to the query (it adds the constraint to searches and
# checks what reads return).
scope_covers(scope, resource_type, letter) if {
	scope.resource in {"*", resource_type}
	letter in scope.perms
}

# The token's scopes that cover the request's resource type and interaction, in any context.
covering_scopes contains scope if {
	some scope in input.token.scopes
	scope_covers(scope, input.request.resource_type, permission_letter[input.request.interaction])
}

# METADATA
# title: Rule 2, the app is permitted
# description: |
#   A user-context scope of the app's token covers the resource type and the interaction, or
#   a patient-context scope does and the request stays within the token's launch patient.
#   System-context scopes permit a clinician nothing.
# scope: document
default scope_permits := false

# A user-context scope reaches what the user may see; rule 3 decides that per patient.
scope_permits if {
	some scope in covering_scopes
	scope.context == "user"
}

# A patient-context scope is confined to the token's launch patient (SMART
# scopes-and-launch-context.md). Rule 3 still applies: the user must also be allowed to see
# the patient.
scope_permits if {
	some scope in covering_scopes
	scope.context == "patient"
	within_launch_patient
}

# METADATA
# title: Patient-context confinement
# description: |
#   The token has a launch patient, and the request names at least one patient and no patient
#   but the launch patient.
# scope: document
default within_launch_patient := false

within_launch_patient if {
	launch_patient := object.get(input, ["token", "patient"], "")
	launch_patient != ""
	count(patients) > 0
	every patient_id in patients {
		patient_id == launch_patient
	}
}

# METADATA
# title: Rules 1 and 2 hold
# description: The request only reads and a scope of the app's token permits it.
# scope: document
default permitted := false

permitted if {
	read_only
	scope_permits
}

# Why the request as a whole is refused, whatever the patients; the first that applies.
denial := not_read_only if {
	not read_only
} else := scope_not_permitted if {
	not scope_permits
}

# METADATA
# title: The interaction is not read, vread or search
# description: The gateway never creates, changes or deletes records.
# custom:
#   code: not_read_only
not_read_only := {
	"code": "not_read_only",
	"message": "This service only reads records; it cannot create, change or delete anything.",
}

# METADATA
# title: No scope of the app permits this interaction on this kind of record
# description: |
#   No user-context scope covers the type and interaction, and no patient-context scope does
#   for a request within the token's launch patient.
# custom:
#   code: scope_not_permitted
scope_not_permitted := {
	"code": "scope_not_permitted",
	"message": "The app you are using was not granted permission to read this kind of record.",
}
