# METADATA
# title: MyPatients access policy
# description: |
#   Decides whether a clinician may read the FHIR data of the patients one request names, or
#   the hospital directory when it names none. The gateway computes every fact in Go (who the
#   user and the principal are, which practices the principal belongs to, who each patient's
#   primary care providers are, the family's grants, the accounts' standing) and passes them
#   in the input document; the policy only compares them. Anything it does not positively
#   allow is denied. This package combines the rules of the packages it imports into the one
#   answer the gateway asks for.
# scope: package
package mypatients.access

import data.mypatients.directory
import data.mypatients.relationships
import data.mypatients.request
import data.mypatients.standing

# METADATA
# title: Access decision
# description: |
#   The one answer the gateway asks for about a request. "allow" is true only when the
#   request is allowed. "patients" holds the answer for each named patient, with the basis
#   that allowed it or the reason it was refused. "reasons" lists every reason for refusing,
#   once each. "basis" is present only when a request naming no patient is allowed, and names
#   the rule that allowed it.
# entrypoint: true
# scope: document
decision := {
	"allow": allow,
	"patients": patient_decisions,
	"reasons": sort(deny_reasons),
	"basis": request_basis,
} if request_basis

decision := {
	"allow": allow,
	"patients": patient_decisions,
	"reasons": sort(deny_reasons),
} if not request_basis

# METADATA
# title: Allowed
# description: |
#   Rules 1 and 2 hold, at least one patient is named and every named patient is allowed
#   (rule 3); or the request names no patient and the clinician directory allows it.
# scope: document
default allow := false

allow if {
	request.permitted
	count(request.patients) > 0
	every patient_id in request.patients {
		patient_decisions[patient_id].allowed
	}
}

allow if directory.allow

# The basis of an allowed request that names no patient.
request_basis := "clinician_directory" if directory.allow

# The facts of the request, each present even when the gateway left it out, so that a
# missing fact refuses rather than makes a rule undefined.
principal := object.get(input, "principal", {})

now := object.get(input, "now", "")

# For each named patient, its primary care providers and the family's grant to the
# principal, if any ({} for none).
pcp_of[patient_id] := object.get(input, ["facts", "pcp_of", patient_id], {}) if {
	some patient_id in request.patients
}

grant_of[patient_id] := object.get(input, ["facts", "grants", patient_id], {}) if {
	some patient_id in request.patients
}

# The basis for each named patient that some path of rule 3 allows, while the principal's
# relationships count. A patient the gateway knows nothing about has no basis.
patient_basis[patient_id] := relationships.basis(principal, pcp, grant_of[patient_id], now) if {
	standing.in_good_standing
	some patient_id, pcp in pcp_of
}

# Why no rule allowed a patient: the standing's reason while the principal's relationships
# do not count; otherwise grant_expired when the family's grant has ended, and not_pcp for
# every other patient without a basis (known to the hospital or not), with the next steps
# the clinician can take.
patient_refusals[patient_id] := standing.denial if {
	not standing.in_good_standing
	some patient_id in request.patients
}

patient_refusals[patient_id] := relationships.grant_expired if {
	some patient_id in without_basis
	relationships.grant_ended(principal, grant_of[patient_id], now)
}

patient_refusals[patient_id] := relationships.not_pcp if {
	some patient_id in without_basis
	not relationships.grant_ended(principal, grant_of[patient_id], now)
}

# The named patients that no path of rule 3 allows, while the principal's relationships count.
without_basis contains patient_id if {
	standing.in_good_standing
	some patient_id in request.patients
	not patient_basis[patient_id]
}

# The answer for each named patient.
patient_decisions[patient_id] := {"allowed": true, "basis": basis} if {
	request.permitted
	some patient_id, basis in patient_basis
}

patient_decisions[patient_id] := {"allowed": false, "reason": request.denial} if {
	not request.permitted
	some patient_id in request.patients
}

patient_decisions[patient_id] := {"allowed": false, "reason": reason} if {
	request.permitted
	some patient_id, reason in patient_refusals
}

# Every reason for refusing the request.
deny_reasons contains request.denial if not directory.applies

deny_reasons contains directory.denial if directory.applies

deny_reasons contains no_patient_named if {
	count(request.patients) == 0
	not directory.applies
}

deny_reasons contains patient.reason if {
	some patient in patient_decisions
	not patient.allowed
}

# METADATA
# title: The request names no patient
# description: |
#   A request for records that names no patient: there is no one whose access could be
#   checked. (The gateway confines a clinician's general search to plausible patients before
#   it asks, and asks about every patient in the results.)
# custom:
#   code: no_patient_named
no_patient_named := {
	"code": "no_patient_named",
	"message": "The request does not name a patient.",
}
