package ehr

import (
	"fmt"
	"time"
)

// episode is when a condition of a story was first and last diagnosed.
type episode struct {
	key         string
	first, last encounterInfo
}

// episodes lists the story's conditions in the order they were first diagnosed.
func episodes(plan []encounterInfo) []*episode {
	var out []*episode
	byKey := map[string]*episode{}
	for _, e := range plan {
		for _, key := range e.v.dx {
			if ep := byKey[key]; ep != nil {
				ep.last = e
				continue
			}
			ep := &episode{key: key, first: e, last: e}
			byKey[key] = ep
			out = append(out, ep)
		}
	}
	return out
}

// conditions adds a Condition for every diagnosis the visits name, before the encounters that
// point to them (a Condition names no encounter, so that the world has no reference cycle).
// A lasting problem is on the problem list and active; an episode is an encounter diagnosis
// that resolved some days after the last visit naming it, unless that is still to come.
func (r *record) conditions(plan []encounterInfo) {
	catalog := conditionCatalog()
	for _, ep := range episodes(plan) {
		c, ok := catalog[catalogKey(ep.key)]
		if !ok {
			panic(fmt.Sprintf("ehr: seed: %s names unknown condition %q", patientID(r.n), ep.key))
		}
		id := r.nextID("cond")
		r.conds[ep.key] = id
		recorded := ep.first.start
		res := obj{
			"id":                 id,
			"verificationStatus": concept("", code{sysCondVer, "confirmed", "Confirmed"}),
			"code":               concept(c.text, c.snomed, c.icd),
			"subject":            r.patientRef(),
			"onsetDateTime":      dateTime(recorded),
			"recordedDate":       dateTime(recorded),
			"recorder":           ref("Practitioner", ep.first.v.clinician, practitionerName(ep.first.v.clinician)),
		}
		if age, ok := r.p.onsetAge[ep.key]; ok {
			res["onsetDateTime"] = day(r.atAge(age))
		}
		updated := recorded
		status := code{sysCondClin, "active", "Active"}
		category := code{sysCondCat, "encounter-diagnosis", "Encounter Diagnosis"}
		if c.chronic {
			category = code{sysCondCat, "problem-list-item", "Problem List Item"}
		} else if end, ok := resolvedAt(ep.last, c.resolveDays); ok && end.Before(r.now()) {
			status = code{sysCondClin, "resolved", "Resolved"}
			res["abatementDateTime"] = dateTime(end)
			updated = end
		}
		res["clinicalStatus"] = concept("", status)
		res["category"] = []any{concept("", category)}
		r.d.add("Condition", res, updated, recorded)
	}
}

// resolvedAt returns when an episode resolved: some days after the last visit naming it
// ended. A stay still in progress has not.
func resolvedAt(last encounterInfo, days int) (time.Time, bool) {
	if last.inProgress() {
		return time.Time{}, false
	}
	return last.end.AddDate(0, 0, days), true
}
