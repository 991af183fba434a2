package record

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Result is one laboratory or vital-sign observation.
type Result struct {
	ID, Code, Name string
	Time           time.Time
	// Value is the result as clinicians write it ("488", "Positive"); Number is set for a
	// quantity.
	Value    string
	Number   float64
	IsNumber bool
	Unit     string
	// UCUM is the quantity's unit code, to convert it by.
	UCUM string
	// Range is the reference range as written; Low and High its bounds when numeric.
	Range           string
	Low, High       float64
	HasLow, HasHigh bool
	Flag, FlagText  string // "H", "L", "HH", "LL", "A" and their words; empty when normal
	Critical        bool
	Note, Encounter string
	Vital           bool
	Components      []Result
	category        []string
}

// Abnormal reports whether the result is flagged.
func (r Result) Abnormal() bool { return r.Flag != "" }

// Report is a lab panel or single test with its results.
type Report struct {
	ID, Name, Conclusion, Status string
	Time                         time.Time
	Results                      []Result
}

// Labs are a patient's laboratory reports and results not in any report.
type Labs struct {
	Reports []Report
	Other   []Result
}

// DecodeObservations decodes the Observations among raws, newest first.
func DecodeObservations(raws []json.RawMessage) ([]Result, error) {
	os, err := decodeAll(raws, "Observation", fhir.UnmarshalObservation)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(os))
	for _, o := range os {
		if o.Status.Code() == "entered-in-error" || o.Status.Code() == "cancelled" {
			continue
		}
		r := result(o.Code, o.ValueQuantity, o.ValueString, o.ValueCodeableConcept, o.Interpretation, o.ReferenceRange)
		r.ID, r.Encounter = str(o.Id), refID(o.Encounter, "Encounter")
		r.Time, _ = instant(o.EffectiveDateTime)
		for _, c := range o.Category {
			r.category = append(r.category, code(&c, ""))
		}
		r.Vital = slices.Contains(r.category, "vital-signs")
		for _, n := range o.Note {
			r.Note = strings.TrimSpace(r.Note + " " + n.Text)
		}
		for _, c := range o.Component {
			r.Components = append(r.Components, result(c.Code, c.ValueQuantity, c.ValueString, c.ValueCodeableConcept, c.Interpretation, c.ReferenceRange))
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Result) int { return b.Time.Compare(a.Time) })
	return out, nil
}

func result(c fhir.CodeableConcept, q *fhir.Quantity, s *string, cc *fhir.CodeableConcept, interp []fhir.CodeableConcept,
	ranges []fhir.ObservationReferenceRange) Result {
	r := Result{Code: code(&c, ""), Name: text(&c)}
	switch {
	case q != nil && q.Value != nil:
		r.Value, r.Unit, r.UCUM = q.Value.String(), ClinicalUnit(str(q.Unit), str(q.Code)), str(q.Code)
		r.Number, _ = strconv.ParseFloat(q.Value.String(), 64)
		r.IsNumber = true
		if q.Comparator != nil {
			r.Value = q.Comparator.Code() + r.Value
		}
	case s != nil:
		r.Value = *s
	case cc != nil:
		r.Value = text(cc)
	}
	if len(interp) > 0 {
		r.Flag = code(&interp[0], "")
		if r.Flag == "N" {
			r.Flag = ""
		} else {
			r.FlagText = text(&interp[0])
		}
		r.Critical = r.Flag == "HH" || r.Flag == "LL"
	}
	if len(ranges) > 0 {
		rr := ranges[0]
		r.Range = str(rr.Text)
		if rr.Low != nil && rr.Low.Value != nil {
			r.Low, _ = strconv.ParseFloat(rr.Low.Value.String(), 64)
			r.HasLow = true
		}
		if rr.High != nil && rr.High.Value != nil {
			r.High, _ = strconv.ParseFloat(rr.High.Value.String(), 64)
			r.HasHigh = true
		}
	}
	return r
}

// ClinicalUnit writes a UCUM unit the way clinicians do: the human unit when the EHR gives one,
// with µ, ² and ×10³ for the ASCII spellings.
func ClinicalUnit(unit, ucum string) string {
	u := unit
	if u == "" {
		u = strings.NewReplacer("[", "", "]", "", "Cel", "°C").Replace(ucum)
	}
	return strings.NewReplacer("10*3/uL", "×10³/µL", "K/uL", "×10³/µL", "uL", "µL", "ug", "µg", "m2", "m²", "umol", "µmol").Replace(u)
}

// DecodeReports decodes the DiagnosticReports among raws and groups the laboratory results
// under them; results no report names are in Other. Newest first.
func DecodeReports(raws []json.RawMessage, results []Result) (Labs, error) {
	rs, err := decodeAll(raws, "DiagnosticReport", fhir.UnmarshalDiagnosticReport)
	if err != nil {
		return Labs{}, err
	}
	byID := map[string]Result{}
	for _, r := range results {
		if !r.Vital {
			byID[r.ID] = r
		}
	}
	used := map[string]bool{}
	var labs Labs
	for _, d := range rs {
		rep := Report{ID: str(d.Id), Name: text(&d.Code), Conclusion: str(d.Conclusion), Status: d.Status.Display()}
		rep.Time, _ = instant(d.EffectiveDateTime)
		for _, ref := range d.Result {
			if r, ok := byID[refID(&ref, "Observation")]; ok {
				rep.Results = append(rep.Results, r)
				used[r.ID] = true
			}
		}
		if len(rep.Results) > 0 || rep.Conclusion != "" {
			labs.Reports = append(labs.Reports, rep)
		}
	}
	for _, r := range results {
		if !r.Vital && !used[r.ID] {
			labs.Other = append(labs.Other, r)
		}
	}
	slices.SortStableFunc(labs.Reports, func(a, b Report) int { return b.Time.Compare(a.Time) })
	return labs, nil
}

// Series returns the results with code, oldest first: one analyte's trend.
func Series(results []Result, code string) []Result {
	var out []Result
	for _, r := range results {
		if r.Code == code && r.IsNumber {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Result) int { return a.Time.Compare(b.Time) })
	return out
}

// Growth LOINC codes.
const (
	Weight            = "29463-7"
	Height            = "8302-2"
	HeadCircumference = "9843-4"
	BMI               = "39156-5"
)
