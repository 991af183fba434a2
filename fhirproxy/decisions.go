package fhirproxy

import (
	"strings"

	"github.com/mypatients/gateway"
)

// decided is one question to the authorizer and its answer (zero when none came).
type decided struct {
	asked gateway.Request
	gateway.Decision
}

// decisions are the answers one request collected, in the order asked. What may be released
// and what the audit record says are both read from them.
type decisions []decided

// allowed returns the patients asked about that the decision allows.
func (d decided) allowed() []string {
	var out []string
	for _, p := range d.asked.Patients {
		if d.PatientAllowed(p) {
			out = append(out, p)
		}
	}
	return out
}

// typeAccess is what may be released of one resource type.
type typeAccess struct {
	directory bool            // a directory type the caller may read: no patient to check
	patients  map[string]bool // the patients whose resources of this type may be released
}

// access returns what the decisions allow, per resource type: only a decision that allows
// counts, for the patients it was asked about, so a denial releases nothing of its own.
func (ds decisions) access() map[string]typeAccess {
	out := map[string]typeAccess{}
	for _, d := range ds {
		if !d.Allow {
			continue
		}
		a := out[d.asked.ResourceType]
		if len(d.asked.Patients) == 0 {
			a.directory = true
		}
		for _, p := range d.allowed() {
			if a.patients == nil {
				a.patients = map[string]bool{}
			}
			a.patients[p] = true
		}
		out[d.asked.ResourceType] = a
	}
	return out
}

// permits reports whether every patient of a resource is allowed (and there is one, unless
// the type is a directory type the caller may read and the resource names no patient).
func (a typeAccess) permits(info resourceInfo) bool {
	if a.directory && len(info.Patients) == 0 {
		return true
	}
	for _, p := range info.Patients {
		if !a.patients[p] {
			return false
		}
	}
	return len(info.Patients) > 0
}

// denialMessage is the plain-words reason of a denial, for the caller.
func denialMessage(d gateway.Decision) string {
	if m := firstReason(d, func(r gateway.Reason) string { return r.Message }); m != "" {
		return m
	}
	return "Access denied."
}

// denialNextSteps are the next steps the policy offers for a denial.
func denialNextSteps(d gateway.Decision) []string {
	return strings.Fields(firstReason(d, func(r gateway.Reason) string { return r.NextSteps }))
}

// denialReason is the machine code of a denial, for the audit record.
func denialReason(d gateway.Decision) string {
	if c := firstReason(d, func(r gateway.Reason) string { return r.Code }); c != "" {
		return c
	}
	return "denied"
}

// firstReason returns what pick reads of the first reason that has it: the decision's own
// reasons first, then those of the refused patients in id order.
func firstReason(d gateway.Decision, pick func(gateway.Reason) string) string {
	for _, r := range d.Reasons {
		if v := pick(r); v != "" {
			return v
		}
	}
	for _, id := range sortedKeys(d.Patients) {
		if pd := d.Patients[id]; !pd.Allowed && pd.Reason != nil {
			if v := pick(*pd.Reason); v != "" {
				return v
			}
		}
	}
	return ""
}
