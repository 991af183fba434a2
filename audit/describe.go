package audit

import (
	"maps"
	"slices"
	"strings"
)

// Description is a record in words, as the auditors' page and the audit command show it: one
// field a column.
type Description struct {
	Time, Event, Who, For, App, Patients, Disclosed, What, Decision, Why string
	Status                                                               int
	Failed                                                               bool
}

// Describe says what r records.
func Describe(r Record) Description {
	who := r.Acting()
	if r.Username != "" && who == r.User {
		who += " (" + r.Username + ")"
	}
	what := r.Resource
	if what == "" && r.ResourceType != "" {
		what = r.ResourceType + " " + r.Interaction
	}
	if r.Subject != "" {
		what = strings.TrimSpace(what + " account " + r.Subject)
	}
	why := r.Reason
	if len(r.Basis) > 0 && !allAre(r.Basis, r.Reason) {
		var parts []string
		for _, p := range slices.Sorted(maps.Keys(r.Basis)) {
			parts = append(parts, p+": "+r.Basis[p])
		}
		why = strings.TrimSpace(why + " " + strings.Join(parts, ", "))
	}
	decision := r.Decision
	if decision == "" {
		decision = r.Outcome
	}
	event := r.Event
	if event == "" {
		event = "fhir." + r.Interaction
	}
	return Description{Time: r.Time.UTC().Format("2006-01-02 15:04:05"), Event: event, Who: who, For: r.Sponsor, App: r.Client,
		Patients: strings.Join(r.Patients, ", "), Disclosed: strings.Join(r.Disclosed, ", "), What: what,
		Decision: decision, Why: why, Status: r.Status, Failed: r.Failed()}
}

// allAre reports whether every value of m is v.
func allAre(m map[string]string, v string) bool {
	for _, x := range m {
		if x != v {
			return false
		}
	}
	return true
}
