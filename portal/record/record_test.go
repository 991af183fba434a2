package record

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/mypatients/gateway/demo/ehr"
)

// seed is the demo world, built once for every test.
var seed = sync.OnceValue(func() []json.RawMessage { return ehr.Seed().Resources() })

// world returns the demo world's resources of typ, by id.
func world(t *testing.T, typ string) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, raw := range seed() {
		var h struct{ ResourceType, ID string }
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		if h.ResourceType == typ {
			out[h.ID] = raw
		}
	}
	return out
}

func TestDecodePatient(t *testing.T) {
	t.Parallel()
	p, err := DecodePatient(world(t, "Patient")["child-01"])
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Amelia Hartley" || p.MRN != "MRN100001" || p.Sex != "Female" || p.PCP != "Dr. Priya Patel" ||
		p.PortalAccount == nil || !*p.PortalAccount || p.BirthDate.Format(time.DateOnly) != "2015-03-14" || p.PCPRefs[0] != "Practitioner/dr-patel" {
		t.Errorf("%+v", p)
	}
	if _, err := DecodePatient(world(t, "Encounter")["enc-01-5"]); err == nil {
		t.Error("an Encounter decoded as a Patient")
	}
}

func TestAge(t *testing.T) {
	t.Parallel()
	birth := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		today time.Time
		want  string
	}{
		{birth.AddDate(0, 0, 1), "1 day"}, {birth.AddDate(0, 0, 20), "2 weeks"}, {birth.AddDate(0, 5, 2), "5 months"},
		{birth.AddDate(3, 2, 0), "3 years 2 months"}, {birth.AddDate(11, 7, 0), "11 years"}, {birth.AddDate(0, 0, -1), ""},
	} {
		if got := Age(birth, tc.today); got != tc.want {
			t.Errorf("Age on %s = %q, want %q", tc.today.Format(time.DateOnly), got, tc.want)
		}
	}
}

func TestDecodeEncounter(t *testing.T) {
	t.Parallel()
	es, err := DecodeEncounters([]json.RawMessage{world(t, "Encounter")["enc-01-5"]})
	if err != nil || len(es) != 1 {
		t.Fatal(es, err)
	}
	e := es[0]
	if e.Kind != Inpatient || e.Patient != "child-01" || e.Length != "3 days" || e.Disposition != "Home" || len(e.Units) != 2 ||
		len(e.Attending()) != 2 || e.Diagnoses[0].Name != "Status asthmaticus" || e.Diagnoses[0].Role != "Discharge diagnosis" || e.Ongoing {
		t.Errorf("%+v", e)
	}
}

func TestDecodeLabs(t *testing.T) {
	t.Parallel()
	obs := world(t, "Observation")
	results, err := DecodeObservations([]json.RawMessage{obs["obs-03-085"]})
	if err != nil || len(results) != 1 {
		t.Fatal(results, err)
	}
	g := results[0]
	if g.Value != "488" || g.Unit != "mg/dL" || g.Flag != "HH" || !g.Critical || g.Low != 70 || g.High != 99 || !strings.Contains(g.Note, "Critical result called") {
		t.Errorf("%+v", g)
	}
	var all []json.RawMessage
	for _, raw := range obs {
		all = append(all, raw)
	}
	rs, err := DecodeObservations(all)
	if err != nil {
		t.Fatal(err)
	}
	labs, err := DecodeReports([]json.RawMessage{world(t, "DiagnosticReport")["rpt-03-1"]}, rs)
	if err != nil || len(labs.Reports) != 1 || len(labs.Reports[0].Results) != 8 || labs.Reports[0].Name != "Basic metabolic panel" {
		t.Fatalf("%+v %v", labs.Reports, err)
	}
	if s := Series(rs, "2339-0"); len(s) < 2 || s[0].Time.After(s[len(s)-1].Time) {
		t.Errorf("glucose series %d, not oldest first", len(s))
	}
}

func TestClinicalUnit(t *testing.T) {
	t.Parallel()
	for in, want := range map[[2]string]string{{"K/uL", "10*3/uL"}: "×10³/µL", {"", "Cel"}: "°C", {"kg/m2", "kg/m2"}: "kg/m²",
		{"mg/dL", "mg/dL"}: "mg/dL", {"", "mm[Hg]"}: "mmHg"} {
		if got := ClinicalUnit(in[0], in[1]); got != want {
			t.Errorf("ClinicalUnit(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// TestHostileNote: the demo's PICU progress note carries a script, an event handler, a
// javascript: link and an external image; none survives, and the note's headings move down.
func TestHostileNote(t *testing.T) {
	t.Parallel()
	c, err := DecodeContent(world(t, "Binary")["bin-01-7"])
	if err != nil || c.Kind != "html" {
		t.Fatal(c.Kind, err)
	}
	out := string(SafeHTML(c.Data))
	for _, bad := range []string{"<script", "onerror", "javascript:", "<img", "<style", "<title"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("sanitized note still has %q", bad)
		}
	}
	if !strings.Contains(out, "<h3>Progress Note, Hospital Day 2</h3>") || strings.Contains(out, "<h1>") || !strings.Contains(out, "<table>") {
		t.Errorf("headings or tables lost: %.400s", out)
	}
}

func TestDecodeContent(t *testing.T) {
	t.Parallel()
	fake := json.RawMessage(`{"resourceType":"Binary","id":"b","contentType":"application/pdf","data":"PGh0bWw+"}`)
	if _, err := DecodeContent(fake); err != ErrUnsupported {
		t.Errorf("HTML declared as a PDF: %v", err)
	}
	other := json.RawMessage(`{"resourceType":"Binary","id":"b","contentType":"application/x-msdownload","data":"TVo="}`)
	if _, err := DecodeContent(other); err != ErrUnsupported {
		t.Errorf("an executable: %v", err)
	}
	for id, raw := range world(t, "Binary") {
		c, err := DecodeContent(raw)
		if err != nil || c.Kind == "" {
			t.Errorf("%s: %s %v", id, c.Kind, err)
		}
	}
	if got := string(PlainText([]byte("a <b>\n"))); got != "a &lt;b&gt;\n" {
		t.Errorf("PlainText = %q", got)
	}
}

func TestDecodeAllergiesAndMeds(t *testing.T) {
	t.Parallel()
	algs := world(t, "AllergyIntolerance")
	as, err := DecodeAllergies([]json.RawMessage{algs["alg-05-1"], algs["alg-05-2"]})
	if err != nil || len(as) != 2 || !as[0].High || !strings.Contains(strings.ToLower(as[0].Substance), "peanut") {
		t.Errorf("%+v %v", as, err)
	}
	meds, err := DecodeMeds([]json.RawMessage{world(t, "MedicationRequest")["med-03-1"]})
	if err != nil || len(meds) != 1 || meds[0].Prescriber != "Dr. Marco Rossi" || meds[0].Route != "intravenously" || meds[0].End.IsZero() {
		t.Errorf("%+v %v", meds, err)
	}
}

// TestEncounterLength: Encounter.length is read in its own unit, the period stands in when
// there is none, and either is written as a clinician says it.
func TestEncounterLength(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	num := func(s string) *json.Number { n := json.Number(s); return &n }
	ptr := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		length *fhir.Duration
		end    time.Time
		want   string
	}{
		{"ED visit in minutes", &fhir.Duration{Value: num("240"), Unit: ptr("min"), Code: ptr("min")}, start.Add(4 * time.Hour), "4 h"},
		{"clinic visit in minutes", &fhir.Duration{Value: num("45"), Unit: ptr("min"), Code: ptr("min")}, start.Add(45 * time.Minute), "45 min"},
		{"stay in days", &fhir.Duration{Value: num("3"), Unit: ptr("days"), Code: ptr("d")}, start.Add(70 * time.Hour), "3 days"},
		{"one day", &fhir.Duration{Value: num("1"), Code: ptr("d")}, time.Time{}, "1 day"},
		{"hours and minutes", &fhir.Duration{Value: num("2.5"), Unit: ptr("hours")}, time.Time{}, "2 h 30 min"},
		{"unit words only", &fhir.Duration{Value: num("90"), Unit: ptr("minutes")}, time.Time{}, "1 h 30 min"},
		{"no length: the period", nil, start.Add(5 * time.Hour), "5 h"},
		{"zero days: the period", &fhir.Duration{Value: num("0"), Code: ptr("d")}, start.Add(6 * time.Hour), "6 h"},
		{"a unit that is no time, as written", &fhir.Duration{Value: num("2"), Unit: ptr("shifts")}, start.Add(time.Hour), "2 shifts"},
		{"in progress", nil, time.Time{}, ""},
	} {
		if got := encounterLength(tc.length, start, tc.end); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestCurrentMeds: a medication ordered again is listed once, as its newest order, saying
// how many earlier active orders it renews; other drugs and past orders are not folded.
func TestCurrentMeds(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	ms := []Med{
		{ID: "g-old", Name: "Glucagon 3 mg nasal powder", key: "4832", Active: true, Start: day(2)},
		{ID: "ins", Name: "Insulin glargine", key: "274783", Active: true, Start: day(3)},
		{ID: "g-new", Name: "Glucagon 3 mg nasal powder", key: "4832", Active: true, Start: day(20)},
		{ID: "g-mid", Name: "Glucagon", key: "4832", Active: true, Start: day(10)},
		{ID: "g-past", Name: "Glucagon", key: "4832", Active: false, Start: day(25)},
	}
	got := Current(ms)
	if len(got) != 2 || got[0].ID != "g-new" || got[0].Earlier != 2 || !got[0].FirstStart.Equal(day(2)) ||
		got[1].ID != "ins" || got[1].Earlier != 0 {
		t.Errorf("%+v", got)
	}
}

// TestVitalsFlowsheet: one row per time, newest first, a column per vital sign in the
// flowsheet's order, blood pressure as one cell flagged by its component, and a column's unit
// in its header only when every value has it.
func TestVitalsFlowsheet(t *testing.T) {
	t.Parallel()
	t1, t2 := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC), time.Date(2026, 4, 15, 14, 0, 0, 0, time.UTC)
	v := func(code, value, unit string, at time.Time) Result {
		return Result{Code: code, Name: code, Value: value, Unit: unit, Time: at, Vital: true}
	}
	bp := v("85354-9", "", "", t1)
	bp.Components = []Result{{Value: "128", Unit: "mmHg", Flag: "H", FlagText: "High"}, {Value: "70", Unit: "mmHg"}}
	f := VitalsFlowsheet([]Result{
		v("8867-4", "150", "beats/min", t1), v(Weight, "20.5", "kg", t1), bp, v("8867-4", "98", "beats/min", t2),
		v(Weight, "20500", "g", t2), v("9999-9", "3", "score", t2), {Code: "2339-0", Value: "488", Time: t1}, // a lab: not a vital
	})
	var cols []string
	for _, c := range f.Columns {
		cols = append(cols, c.Short+"|"+c.Unit)
	}
	if want := "HR|beats/min BP|mmHg Weight| 9999-9|score"; strings.Join(cols, " ") != want {
		t.Errorf("columns %q, want %q", strings.Join(cols, " "), want)
	}
	if len(f.Rows) != 2 || !f.Rows[0].Time.Equal(t2) || f.Rows[0].Cells[1] != nil {
		t.Fatalf("rows %+v", f.Rows)
	}
	if c := f.Rows[1].Cells[1]; c == nil || c.Value != "128/70" || c.Flag != "H" {
		t.Errorf("blood pressure %+v", c)
	}
}
