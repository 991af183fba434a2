package ehr

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// record builds one patient's chart from a profile. Each patient has its own random source,
// seeded by the patient's number, so changing one child never shifts another's values.
type record struct {
	d     *Dataset
	ref   time.Time
	n     int
	row   patientRow
	rng   *rand.Rand
	birth time.Time
	p     profile
	drawn map[string]int
	// weight and height factors make each child a little bigger or smaller than average.
	wf, hf float64
	// seq numbers each resource type's ids within the patient.
	seq map[string]int
	// conds maps condition keys to Condition ids; labsOf and ordersOf hold, per encounter,
	// what its notes report (triage the vital signs on arrival); orders are all orders in the
	// order written.
	conds    map[string]string
	triage   map[string][]string
	labsOf   map[string][]labResult
	ordersOf map[string][]medOrder
	orders   []medOrder
}

// newRecord prepares the builder for the n-th child.
func newRecord(d *Dataset, ref time.Time, n int, row patientRow) *record {
	rng := rand.New(rand.NewPCG(20261101, uint64(n)))
	return &record{
		d: d, ref: ref, n: n, row: row, rng: rng, birth: birthTime(row),
		drawn: map[string]int{}, seq: map[string]int{}, conds: map[string]string{}, triage: map[string][]string{},
		labsOf: map[string][]labResult{}, ordersOf: map[string][]medOrder{},
		wf: 0.9 + 0.2*rng.Float64(), hf: 0.96 + 0.08*rng.Float64(),
	}
}

// nextID returns the next id for a prefix: "enc-01-1", or "obs-01-007" for observations.
func (r *record) nextID(prefix string) string {
	r.seq[prefix]++
	if prefix == "obs" {
		return fmt.Sprintf("%s-%02d-%03d", prefix, r.n, r.seq[prefix])
	}
	return fmt.Sprintf("%s-%02d-%d", prefix, r.n, r.seq[prefix])
}

// patientRef is the subject reference every resource of the chart carries.
func (r *record) patientRef() obj {
	return ref("Patient", patientID(r.n), r.row.given+" "+r.row.family)
}

// now is the latest moment anything in the world happened: the evening before the
// reference date. Stays still in progress were last updated then.
func (r *record) now() time.Time { return r.ref.Add(-4 * time.Hour) }

// encounterInfo is what later resources need to know about an encounter.
type encounterInfo struct {
	id         string
	v          visit
	start, end time.Time // end is zero while the stay is in progress
	// admitted marks an ED visit that ended in admission; for a stay that began in the ED,
	// admitter is the ED physician who admitted and ed the ED visit itself.
	admitted bool
	admitter string
	ed       *encounterInfo
}

// inProgress reports whether the stay has not ended by the reference date.
func (e encounterInfo) inProgress() bool { return e.v.current }

// lastUpdated is when the encounter was last changed: its end, or now while in progress.
func (e encounterInfo) lastUpdated(now time.Time) time.Time {
	if e.inProgress() {
		return now
	}
	return e.end
}

// build adds the chart: growth measurements, the conditions, then for each visit its
// encounter, vital signs, labs, orders and notes, and last the allergies.
func (r *record) build(p profile) {
	r.p = p
	if p.growth {
		r.growth()
	}
	plan := r.plan(p)
	r.conditions(plan)
	for _, e := range plan {
		r.d.add("Encounter", r.encounter(e), e.lastUpdated(r.now()), e.start)
		r.vitals(e)
		r.labs(e)
		for _, m := range e.v.meds {
			r.medication(e, m)
		}
		r.notes(e)
	}
	r.allergies(plan)
}

// plan dates every visit and numbers its encounter.
func (r *record) plan(p profile) []encounterInfo {
	jitter := r.rng.IntN(21)
	if p.exact {
		jitter = 0
	}
	var out []encounterInfo
	for i, v := range p.visits {
		shift := jitter
		if v.fixed || v.current {
			shift = 0
		}
		e := encounterInfo{id: r.nextID("enc"), v: v}
		var prev encounterInfo
		if i > 0 {
			prev = out[i-1]
		}
		e.start, e.end = r.visitTimes(v, shift, prev.end)
		if v.fromED {
			e.admitter, e.ed = prev.v.clinician, &prev
		}
		e.admitted = i+1 < len(p.visits) && p.visits[i+1].fromED
		out = append(out, e)
	}
	return out
}

// visitTimes places a visit in hospital time: clinic visits in office hours, ED visits any
// time of the day, an admission from the ED half an hour after the ED visit ends, and a
// discharge late in the morning.
func (r *record) visitTimes(v visit, jitter int, prevEnd time.Time) (start, end time.Time) {
	day := r.ref.AddDate(0, 0, -(v.daysAgo + jitter))
	if v.dayOfLife > 0 {
		day = r.birth.AddDate(0, 0, v.dayOfLife)
	}
	minute := 15 * r.rng.IntN(4)
	switch {
	case v.kind == inpatient && v.fromED:
		start = prevEnd.Add(30 * time.Minute)
	case v.kind == inpatient:
		start = hospitalTime(day, 10+r.rng.IntN(8), minute)
	case v.kind == emergency:
		start = hospitalTime(day, 7+r.rng.IntN(13), minute)
	default:
		start = hospitalTime(day, 8+r.rng.IntN(8), minute)
	}
	switch {
	case v.current:
		return start, time.Time{}
	case v.kind == inpatient:
		end = hospitalTime(localDay(start).AddDate(0, 0, v.stay), 11+r.rng.IntN(4), minute)
	case v.kind == emergency:
		end = start.Add(time.Duration(3+r.rng.IntN(3)) * time.Hour)
	default:
		end = start.Add(45 * time.Minute)
	}
	return start, end
}
