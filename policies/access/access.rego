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
#   the app's scopes permit it, and either at least one patient is named and every named
#   patient is allowed, or no patient is named and the clinician directory rule allows the
#   request. "patients" holds the answer for each named patient, with the basis that allowed
#   it or the reason it was refused. "reasons" lists every reason for refusing, once each.
#   "basis" is present only when a request naming no patient is allowed, and names the rule.
# entrypoint: true
decision := {
	"allow": allow,
	"patients": patient_decisions,
	"reasons": sort(deny_reasons),
	"basis": "clinician_directory",
} if {
	clinician_directory
} else := {
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

allow if clinician_directory

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

# A scope permits the request when it names the resource type (or "*") and grants the
# interaction's letter. A v2 scope narrowed by a query (for example "?category=laboratory")
# counts here for its type; the FHIR proxy holds the results to the query (it adds the
# constraint to searches and checks what reads return).
scope_covers(scope) if {
	scope.resource in {"*", input.request.resource_type}
	read_permission[input.request.interaction] in scope.perms
}

# A user-context scope reaches what the user may see; rule 3 decides that per patient.
scope_permits if {
	some scope in input.token.scopes
	scope.context == "user"
	scope_covers(scope)
}

# A patient-context scope is confined to the token's launch patient (SMART
# scopes-and-launch-context.md): it permits only a request naming that patient and no other.
# Rule 3 still applies, so the user must also be allowed to see the patient.
scope_permits if {
	some scope in input.token.scopes
	scope.context == "patient"
	scope_covers(scope)
	within_launch_patient
}

default within_launch_patient := false

within_launch_patient if {
	launch_patient := object.get(input.token, "patient", "")
	launch_patient != ""
	count(requested_patients) > 0
	every patient_id in requested_patients {
		patient_id == launch_patient
	}
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
# The clinician directory: staff, places and medicines, which name no patient.
# ---------------------------------------------------------------------------------------------

# The FHIR types that describe the hospital's staff, places and medicines rather than a
# patient's record.
directory_types := {"Location", "Medication", "Organization", "Practitioner", "PractitionerRole"}

default directory_request := false

# A read or search of a directory type that names no patient. A directory resource that does
# name a patient (the gateway found one in it) is decided like any record, by rules 1 to 3.
directory_request if {
	input.request.resource_type in directory_types
	count(requested_patients) == 0
}

default user_is_practitioner := false

# The logged-in user's own FHIR resource is a Practitioner: the user is a clinician. For
# sponsored staff this is the staff member's own record, not the sponsor's.
user_is_practitioner if startswith(object.get(input, ["user", "practitioner"], ""), "Practitioner/")

default directory_scope_permits := false

# A user- or patient-context scope covering the type and the interaction. There is no patient
# to confine a patient-context scope to: directory resources are not in any patient's record.
directory_scope_permits if {
	some scope in input.token.scopes
	scope.context in {"user", "patient"}
	scope_covers(scope)
}

# METADATA
# title: Clinician directory
# description: |
#   Any clinician may read and search the hospital directory (Practitioner, PractitionerRole,
#   Organization, Location, Medication) through an app whose scopes cover the type and the
#   interaction, while their account is in good standing.
# custom:
#   basis: clinician_directory
default clinician_directory := false

clinician_directory if {
	directory_request
	read_only
	user_is_practitioner
	directory_scope_permits
	principal_in_good_standing
}

# Why a directory request is refused; the first that applies.
directory_denial := not_read_only if {
	not read_only
} else := not_clinician if {
	not user_is_practitioner
} else := scope_not_permitted if {
	not directory_scope_permits
} else := standing_denial if {
	not principal_in_good_standing
}

# ---------------------------------------------------------------------------------------------
# Rule 3: the principal's relationship to each patient.
# ---------------------------------------------------------------------------------------------

# METADATA
# title: The principal whose relationships count
# description: |
#   input.principal is the person whose relationships to patients count: the user, or for a
#   sponsored staff user (input.sponsorship present) the sponsor, whose practitioner and
#   practices the gateway put there. Those relationships count only while the user's account
#   is not suspended and, for staff, while the staff account is active (not suspended or
#   removed by the sponsor) and the sponsor's own account is active: a suspended sponsor
#   suspends their staff at once.
default principal_in_good_standing := false

principal_in_good_standing if {
	not input.user.standing == "suspended"
	not input.sponsorship
}

principal_in_good_standing if {
	not input.user.standing == "suspended"
	input.sponsorship.status == "active"
	input.sponsorship.sponsor_standing == "active"
	input.principal.id == input.sponsorship.sponsor
}

# METADATA
# title: Path 1, PCP
# description: |
#   The principal is listed as the patient's primary care provider (directly, or through a
#   PractitionerRole the gateway resolved to its practitioner).
is_pcp(principal, pcp) if {
	principal.practitioner != ""
	principal.practitioner in pcp.practitioners
}

# METADATA
# title: Path 2, PCP practice
# description: |
#   A member of one of the principal's practices is listed as the patient's primary care
#   provider, or one of those practices is itself listed.
in_pcp_practice(principal, pcp) if {
	some member in principal.practice_members
	member in pcp.practitioners
}

in_pcp_practice(principal, pcp) if {
	some practice in principal.practices
	practice in pcp.organizations
}

# METADATA
# title: Path 3, patient-granted
# description: |
#   The patient or guardian granted the principal access (an invitation token the principal,
#   or their staff, redeemed; or an approved access request), and the grant is neither
#   revoked nor past its end (input.now is the time of the request).
patient_granted(principal, grant) if {
	grant.clinician == principal.id
	not grant.revoked_at
	grant_in_time(grant)
}

# A grant without an end holds until revoked; one with an end holds only while the request's
# time (input.now) is before it, so a missing time never keeps an ended grant alive.
grant_in_time(grant) if not grant.expires_at

grant_in_time(grant) if {
	time.parse_rfc3339_ns(input.now) < time.parse_rfc3339_ns(grant.expires_at)
}

grant_expired(grant) if {
	grant.expires_at
	not grant_in_time(grant)
}

# METADATA
# title: Relationship basis
# description: |
#   The rule under which principal may see a patient whose primary care providers are pcp
#   (one entry of input.facts.pcp_of), checked in order; undefined when none holds.
relationship_basis(principal, pcp) := "pcp" if {
	is_pcp(principal, pcp)
} else := "pcp_practice" if {
	in_pcp_practice(principal, pcp)
}

# The basis for one patient: a PCP relationship first, then the family's grant
# (input.facts.grants holds, per patient, the grant to the principal, if any).
basis_for(patient_id) := basis if {
	basis := relationship_basis(input.principal, object.get(input, ["facts", "pcp_of", patient_id], {}))
} else := "patient_grant" if {
	patient_granted(input.principal, object.get(input, ["facts", "grants", patient_id], {}))
}

# The basis for each named patient that some rule allows. A patient the gateway knows nothing
# about (no entry in facts.pcp_of or facts.grants) has no basis.
patient_basis[patient_id] := basis_for(patient_id) if {
	principal_in_good_standing
	some patient_id in requested_patients
}

# Why the principal's relationships do not count; undefined while they do.
standing_denial := account_suspended if {
	input.user.standing == "suspended"
} else := staff_suspended if {
	input.sponsorship
	input.sponsorship.status != "active"
} else := sponsor_suspended if {
	not principal_in_good_standing
}

# Why no rule allowed a patient, with the next step the clinician can take.
no_basis_reason := standing_denial if {
	not principal_in_good_standing
} else := not_pcp

no_basis_reason_for(patient_id) := grant_expired_reason if {
	principal_in_good_standing
	grant := input.facts.grants[patient_id]
	grant.clinician == input.principal.id
	not grant.revoked_at
	grant_expired(grant)
} else := no_basis_reason

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

patient_decisions[patient_id] := {"allowed": false, "reason": no_basis_reason_for(patient_id)} if {
	request_permitted
	some patient_id in requested_patients
	not patient_basis[patient_id]
}

deny_reasons contains request_denial if not directory_request

deny_reasons contains directory_denial if directory_request

deny_reasons contains no_patient_named if {
	count(requested_patients) == 0
	not directory_request
}

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
# title: No relationship
# description: |
#   Neither the principal nor anyone in the principal's practice (nor the practice itself) is
#   listed as the patient's primary care provider, and the family has granted the principal no
#   access. The same answer is given for a patient the hospital does not know, so that a
#   refusal never reveals whether a patient exists. next_steps names what the clinician can
#   do: request PCP access (if they are the PCP), or ask the family for access.
# custom:
#   code: not_pcp
not_pcp := {
	"code": "not_pcp",
	"message": "You are not this patient's primary care provider, no one in your practice is, and the family has not granted you access. If you are the PCP, request PCP access; otherwise ask the family to grant you access.",
	"next_steps": "request-pcp-access request-family-access",
}

# METADATA
# title: Not a clinician
# description: |
#   The request reads the hospital directory, but the user's own FHIR resource is not a
#   Practitioner: only clinicians may read the directory.
# custom:
#   code: not_clinician
not_clinician := {
	"code": "not_clinician",
	"message": "Only clinicians may read the hospital directory.",
}

# METADATA
# title: Grant expired
# description: The family's grant to the principal has reached its end date.
# custom:
#   code: grant_expired
grant_expired_reason := {
	"code": "grant_expired",
	"message": "The family's grant of access to this patient has ended. Ask the family to grant you access again.",
	"next_steps": "request-family-access",
}

# METADATA
# title: Account suspended
# description: The user's own account is suspended.
# custom:
#   code: account_suspended
account_suspended := {
	"code": "account_suspended",
	"message": "Your account is suspended. Contact the MyPatients support team.",
}

# METADATA
# title: Staff account suspended
# description: The sponsored staff user's account was suspended or removed by the sponsor.
# custom:
#   code: staff_suspended
staff_suspended := {
	"code": "staff_suspended",
	"message": "Your staff account is suspended or was removed by your sponsoring provider.",
}

# METADATA
# title: Sponsor suspended
# description: |
#   The sponsored staff user's sponsor is suspended, so the staff user's access is suspended
#   with theirs.
# custom:
#   code: sponsor_suspended
sponsor_suspended := {
	"code": "sponsor_suspended",
	"message": "The account of the provider who sponsors you is suspended, so your access is suspended too. Contact your sponsoring provider.",
}
