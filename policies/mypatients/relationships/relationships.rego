# METADATA
# title: Rule 3, the principal's relationship to a patient
# description: |
#   The paths by which a principal may see one patient, and why they may not. Every rule here
#   is a function of the facts the gateway gathered for that patient: the principal (the user,
#   or a sponsored staff user's sponsor), the patient's primary care providers, the family's
#   grant to the principal, and the time of the request. Whether the principal's
#   relationships count at all is the standing package's question.
# scope: package
package mypatients.relationships

# METADATA
# title: Path 1, PCP
# description: |
#   The principal is listed as the patient's primary care provider (directly, or through a
#   PractitionerRole the gateway resolved to its practitioner).
# custom:
#   basis: pcp
is_pcp(principal, pcp) if {
	principal.practitioner != ""
	principal.practitioner in pcp.practitioners
}

# METADATA
# title: Path 2, PCP practice
# description: |
#   A member of one of the principal's practices is listed as the patient's primary care
#   provider, or one of those practices is itself listed. Only the practice named in the
#   listing counts: organisation hierarchies are not climbed.
# scope: document
# custom:
#   basis: pcp_practice
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
#   revoked nor past its end at now, the time of the request.
# custom:
#   basis: patient_grant
patient_granted(principal, grant, now) if {
	grant.clinician == principal.id
	not grant.revoked_at
	grant_in_time(grant, now)
}

# A grant without an end holds until revoked; one with an end holds only while now is before
# it, so a missing time ("") never keeps an ended grant alive.
grant_in_time(grant, _) if not grant.expires_at

grant_in_time(grant, now) if {
	now != ""
	time.parse_rfc3339_ns(now) < time.parse_rfc3339_ns(grant.expires_at)
}

# The grant to principal, not revoked, has reached its end by now: the refusal is then
# grant_expired rather than not_pcp.
grant_ended(principal, grant, now) if {
	grant.clinician == principal.id
	not grant.revoked_at
	grant.expires_at
	not grant_in_time(grant, now)
}

# METADATA
# title: Relationship basis
# description: |
#   The path under which principal may see a patient whose primary care providers are pcp
#   and whose family's grant to the principal is grant ({} for none), checked in order: a
#   PCP relationship first, then the family's grant. Undefined when none holds.
basis(principal, pcp, grant, now) := "pcp" if {
	is_pcp(principal, pcp)
} else := "pcp_practice" if {
	in_pcp_practice(principal, pcp)
} else := "patient_grant" if {
	patient_granted(principal, grant, now)
}

# METADATA
# title: Neither the clinician nor their practice is the PCP, and the family has granted no access
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
	"message": concat(" ", [
		"You are not this patient's primary care provider, no one in your practice is,",
		"and the family has not granted you access.",
		"If you are the PCP, request PCP access; otherwise ask the family to grant you access.",
	]),
	"next_steps": "request-pcp-access request-family-access",
}

# METADATA
# title: The family's grant has reached its end
# description: The family's grant to the principal is past its end date and was not revoked.
# custom:
#   code: grant_expired
grant_expired := {
	"code": "grant_expired",
	"message": "The family's grant of access to this patient has ended. Ask the family to grant you access again.",
	"next_steps": "request-family-access",
}
