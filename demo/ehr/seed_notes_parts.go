package ehr

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ageText says a child's age the way a note does: "4 d", "5 mo", "11 y".
func (r *record) ageText(at time.Time) string {
	days := int(at.Sub(r.birth).Hours() / 24)
	switch {
	case days < 31:
		return fmt.Sprintf("%d d", days)
	case days < 730:
		return fmt.Sprintf("%d mo", int(float64(days)/30.44))
	}
	return fmt.Sprintf("%d y", int(r.ageAt(at)))
}

// ageWords is the age as a sentence says it: "an 11-year-old girl", "a 3-day-old boy".
func (r *record) ageWords(at time.Time) string {
	n, unit, _ := strings.Cut(r.ageText(at), " ")
	unit = map[string]string{"d": "day", "mo": "month", "y": "year"}[unit]
	child := map[string]string{"female": "girl", "male": "boy"}[r.row.gender]
	if child == "" {
		child = "child"
	}
	article := "a"
	if n == "8" || n == "11" || n == "18" {
		article = "an"
	}
	return fmt.Sprintf("%s %s-%s-old %s", article, n, unit, child)
}

// header is the identifying block at the top of every note; a note written during a stay
// cannot yet say when it ended.
func (r *record) header(e encounterInfo, written time.Time) [][2]string {
	h := [][2]string{
		{"Patient", r.row.given + " " + r.row.family},
		{"MRN", mrn(r.n)},
		{"Date of birth", fmt.Sprintf("%s (%s)", r.row.birth, r.ageText(e.start))},
		{"Sex", map[string]string{"female": "Female", "male": "Male", "other": "Other"}[r.row.gender]},
	}
	if r.row.gp != "" {
		typ, id, _ := strings.Cut(r.row.gp, "/")
		h = append(h, [2]string{"Primary care provider", gpDisplay(typ, id)})
	}
	service := r.serviceType(e)["text"].(string)
	switch e.v.kind {
	case inpatient:
		h = append(h, [2]string{"Admitted", localText(e.start)})
		if !e.inProgress() && !written.Before(e.end) {
			h = append(h, [2]string{"Discharged", localText(e.end)},
				[2]string{"Length of stay", fmt.Sprintf("%v days", stayLength(e)["value"])})
		}
		h = append(h, [2]string{"Unit", e.unitsText()}, [2]string{"Service", service})
	case emergency:
		h = append(h, [2]string{"Arrived", localText(e.start)}, [2]string{"Departed", localText(e.end)})
	default:
		h = append(h, [2]string{"Date of service", localText(e.start)}, [2]string{"Clinic", service})
	}
	return h
}

// unitsText names the units of a stay in order, with the days spent on each.
func (e encounterInfo) unitsText() string {
	var parts []string
	for _, s := range e.unitSpans() {
		name := locationName(departments()[s.dept].location)
		if end := s.end; !end.IsZero() && len(e.unitSpans()) > 1 {
			name += fmt.Sprintf(" (%d d)", int(localDay(end).Sub(localDay(s.start)).Hours()/24))
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", then ")
}

// resultsTable lists the encounter's results (only the abnormal ones when abnormal is set)
// collected from a time on, as a note's table; nil when there are none. A stay that began
// in the ED includes the ED's results.
func (r *record) resultsTable(e encounterInfo, abnormal bool, from time.Time) [][]string {
	rows := [][]string{{"Test", "Result", "Flag", "Reference range", "Collected"}}
	results := r.labsOf[e.id]
	if e.ed != nil && !from.After(e.start) {
		results = append(slices.Clip(r.labsOf[e.ed.id]), results...)
	}
	for _, l := range results {
		if (abnormal && l.flag.code == "N") || l.at.Before(from) {
			continue
		}
		flag := map[string]string{"H": "High", "L": "Low", "HH": "CRITICAL HIGH", "LL": "CRITICAL LOW", "A": "Abnormal"}[l.flag.code]
		rows = append(rows, []string{l.test.short, l.value, flag, l.rangeText, localText(l.at)})
	}
	if len(rows) == 1 {
		return nil
	}
	return rows
}

// medsTable lists orders with their instructions and a status word.
func medsTable(orders []medOrder, status func(medOrder) string) [][]string {
	rows := [][]string{{"Medication", "Instructions", "Status"}}
	for _, o := range orders {
		rows = append(rows, []string{o.m.text, o.sig, status(o)})
	}
	if len(rows) == 1 {
		return nil
	}
	return rows
}

// homeMeds returns the home medicines in use when the encounter ended: those written at it,
// and earlier ones not yet finished or stopped.
func (r *record) homeMeds(e encounterInfo) (written, continued []medOrder) {
	end := e.end
	if end.IsZero() {
		end = r.now()
	}
	for _, o := range r.orders {
		if o.m.category != "community" && o.m.category != "discharge" {
			continue
		}
		switch {
		case inOrders(r.ordersOf[e.id], o.id):
			written = append(written, o)
		case o.authored.Before(e.start) && (o.end.IsZero() || o.end.After(end)):
			continued = append(continued, o)
		}
	}
	return written, continued
}

func inOrders(orders []medOrder, id string) bool {
	for _, o := range orders {
		if o.id == id {
			return true
		}
	}
	return false
}

// contacts is the "who to call" list of a note written at a time: the author and the
// attending then, with phone, pager and email, the desk of the unit or clinic the child was
// in, and the hospital operator.
func (r *record) contacts(e encounterInfo, author string, at time.Time) []string {
	items := []string{contactLine(author)}
	unit := e.unitAt(at)
	if unit.attending != author {
		items = append(items, contactLine(unit.attending))
	}
	if d, ok := departments()[unit.dept]; ok {
		for _, l := range locationRows() {
			if l.id != d.location {
				continue
			}
			hours := "weekdays 8:00-17:00"
			if l.physical.code == "wa" || l.id == "loc-ed" {
				hours = "24 hours"
			}
			items = append(items, fmt.Sprintf("%s (%s): %s", l.name, hours, locationPhone(l)))
		}
	}
	return append(items, "Hospital operator (24 hours): 555-0100; ask for the physician on call for the service.",
		"Please use secure messaging or the telephone for questions that include patient information; do not send it by ordinary email.")
}

// contactLine is one clinician's role and contact details.
func contactLine(id string) string {
	p := practitionerByID(id)
	s := fmt.Sprintf("%s, %s: phone %s", practitionerName(id), p.roleText, p.phone)
	if p.pager != "" {
		s += ", pager " + p.pager
	}
	return s + ", email " + p.id + "@clinicians.example.org"
}

// allergyText is the allergy list a note repeats.
func (r *record) allergyText() []string {
	rows := allergyRows()[r.n]
	if len(rows) == 0 {
		return []string{"None recorded."}
	}
	var out []string
	for _, a := range rows {
		out = append(out, a.summary())
	}
	return out
}
