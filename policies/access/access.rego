# METADATA
# title: MyPatients access policy
# description: |
#   Decides whether a clinician may read the FHIR data of the patients one request names.
#   The gateway computes every fact in Go (who the principal is, which practices they belong
#   to, who each patient's primary care providers are) and passes them in the input document;
#   this policy only compares them. Anything it does not positively allow is denied.
# scope: package
package mypatients.access

# METADATA
# title: Access decision
# description: |
#   The one answer the gateway asks for. "allow" is true only when the interaction is a read,
#   the app's scopes permit it, at least one patient is named and every named patient is
#   allowed. "patients" holds the answer for each named patient, with the basis that allowed
#   it or the reason it was refused. "reasons" lists every reason for refusing, once each.
# entrypoint: true
decision := {
	"allow": allow,
	"patients": patient_decisions,
	"reasons": sort(deny_reasons),
}

default allow := false

allow if {
	request_permitted
	count(requested_patients) > 0
	every patient_id in requested_patients {
		patient_decisions[patient_id].allowed
	}
}

# The patients the request names, once each.
requested_patients contains patient_id if {
	some patient_id in input.request.patients
}

# ---------------------------------------------------------------------------------------------
# Rule 1 and rule 2: what the request asks to do, and whether the app's token permits it.
# ---------------------------------------------------------------------------------------------

# The interactions that only read, and the SMART permission letter each one needs
# ("r" to read a resource by id or version, "s" to search).
read_permission := {
	"read": "r",
	"vread": "r",
	"search": "s",
}

default read_only := false

read_only if input.request.interaction in object.keys(read_permission)

default scope_permits := false

# A scope permits the request when it is about the user's or the patient's data, names the
# resource type (or "*"), grants the interaction's letter and carries no query constraint.
# Patient-context scopes count like user-context scopes for now: confining a patient-context
# token to its launch patient comes with the SMART launch context in a later issue.
# A v2 scope narrowed by a query (for example "?category=laboratory") does not count yet:
# the gateway cannot yet hold results to the narrowing, so it refuses rather than over-grants.
scope_permits if {
	some scope in input.token.scopes
	scope.context in {"user", "patient"}
	scope.resource in {"*", input.request.resource_type}
	read_permission[input.request.interaction] in scope.perms
	object.get(scope, "query", "") == ""
}

default request_permitted := false

request_permitted if {
	read_only
	scope_permits
}

# Why the request as a whole is refused, whatever the patients; the first that applies.
request_denial := not_read_only if {
	not read_only
} else := scope_not_permitted if {
	not scope_permits
}

# ---------------------------------------------------------------------------------------------
# Rule 3: the principal's relationship to each patient.
# ---------------------------------------------------------------------------------------------

# METADATA
# title: Relationship basis
# description: |
#   The rule under which principal may see a patient whose primary care providers are pcp
#   (one entry of input.facts.pcp_of), checked in order; undefined when none holds.
#   "pcp": the principal is a listed primary care provider (directly, or through a
#   PractitionerRole the gateway resolved). "pcp_practice": a member of one of the
#   principal's practices is listed, or one of those practices is itself listed.
#   Later rules (patient-granted access) are added here as further "else" branches.
relationship_basis(principal, pcp) := "pcp" if {
	principal.practitioner != ""
	principal.practitioner in pcp.practitioners
} else := "pcp_practice" if {
	some member in principal.practice_members
	member in pcp.practitioners
} else := "pcp_practice" if {
	some practice in principal.practices
	practice in pcp.organizations
}

# The basis for each named patient that some rule allows. A patient the gateway knows nothing
# about (no entry in facts.pcp_of) has no basis.
patient_basis[patient_id] := relationship_basis(input.principal, pcp) if {
	some patient_id in requested_patients
	pcp := object.get(input, ["facts", "pcp_of", patient_id], {})
}

# ---------------------------------------------------------------------------------------------
# The answer for each patient, and every reason for refusing.
# ---------------------------------------------------------------------------------------------

patient_decisions[patient_id] := {"allowed": true, "basis": basis} if {
	request_permitted
	some patient_id, basis in patient_basis
}

patient_decisions[patient_id] := {"allowed": false, "reason": request_denial} if {
	not request_permitted
	some patient_id in requested_patients
}

patient_decisions[patient_id] := {"allowed": false, "reason": not_pcp} if {
	request_permitted
	some patient_id in requested_patients
	not patient_basis[patient_id]
}

deny_reasons contains request_denial

deny_reasons contains no_patient_named if count(requested_patients) == 0

deny_reasons contains patient.reason if {
	some patient in patient_decisions
	not patient.allowed
}

# ---------------------------------------------------------------------------------------------
# The reasons for refusing, each with its code and the sentence shown to the clinician.
# ---------------------------------------------------------------------------------------------

# METADATA
# title: Not a read
# description: The interaction is not read, vread or search; the gateway never changes records.
# custom:
#   code: not_read_only
not_read_only := {
	"code": "not_read_only",
	"message": "This service only reads records; it cannot create, change or delete anything.",
}

# METADATA
# title: Scope does not permit
# description: No scope of the app's token permits this interaction on this resource type.
# custom:
#   code: scope_not_permitted
scope_not_permitted := {
	"code": "scope_not_permitted",
	"message": "The app you are using was not granted permission to read this kind of record.",
}

# METADATA
# title: No patient named
# description: The request names no patient, so there is no one whose access could be checked.
# custom:
#   code: no_patient_named
no_patient_named := {
	"code": "no_patient_named",
	"message": "The request does not name a patient.",
}

# METADATA
# title: Not the primary care provider
# description: |
#   Neither the principal nor anyone in the principal's practice (nor the practice itself) is
#   listed as the patient's primary care provider. The same answer is given for a patient the
#   hospital does not know, so that a refusal never reveals whether a patient exists.
# custom:
#   code: not_pcp
not_pcp := {
	"code": "not_pcp",
	"message": "You are not this patient's primary care provider, and no one in your practice is.",
}
