package record

import (
	"slices"
	"strings"
	"time"
)

// Flowsheet is the vital signs as a nurse's flowsheet shows them: one row per time measured,
// newest first, and one column per vital sign.
type Flowsheet struct {
	Columns []VitalColumn
	Rows    []VitalRow
}

// VitalColumn is one vital sign of the flowsheet: the header's short name and the full one.
// Unit is set when every value in the column has that one unit, which the header then shows
// instead of each cell.
type VitalColumn struct {
	Code, Short, Name, Unit string
}

// VitalRow is one time of measurement; Cells line up with the columns, nil where nothing
// was measured then.
type VitalRow struct {
	Time  time.Time
	Cells []*Result
}

// vitalColumns are the vital signs of a pediatric flowsheet in its order, by LOINC code.
// Other vital signs follow them, in the order they first appear.
var vitalColumns = []VitalColumn{
	{Code: "8310-5", Short: "Temp", Name: "Body temperature"},
	{Code: "8867-4", Short: "HR", Name: "Heart rate"},
	{Code: "9279-1", Short: "RR", Name: "Respiratory rate"},
	{Code: "85354-9", Short: "BP", Name: "Blood pressure"},
	{Code: "59408-5", Short: "SpO2", Name: "Oxygen saturation"},
	{Code: Weight, Short: "Weight", Name: "Weight"},
	{Code: Height, Short: "Height", Name: "Height"},
	{Code: HeadCircumference, Short: "Head circ.", Name: "Head circumference"},
	{Code: BMI, Short: "BMI", Name: "Body mass index"},
}

// VitalsFlowsheet lays the vital-sign results out as a Flowsheet. A blood pressure is one
// cell, systolic over diastolic; a result without a value is left out.
func VitalsFlowsheet(results []Result) Flowsheet {
	var cells []Result
	present := map[string]bool{}
	for _, r := range results {
		if r = vitalCell(r); r.Vital && r.Value != "" {
			cells = append(cells, r)
			present[r.Code] = true
		}
	}
	var f Flowsheet
	for _, c := range vitalColumns {
		if present[c.Code] {
			f.Columns = append(f.Columns, c)
		}
	}
	for _, r := range cells {
		if !slices.ContainsFunc(f.Columns, func(c VitalColumn) bool { return c.Code == r.Code }) {
			f.Columns = append(f.Columns, VitalColumn{Code: r.Code, Short: r.Name, Name: r.Name})
		}
	}
	at := map[int64]int{}
	for _, r := range cells {
		i, ok := at[r.Time.UnixNano()]
		if !ok {
			i = len(f.Rows)
			at[r.Time.UnixNano()] = i
			f.Rows = append(f.Rows, VitalRow{Time: r.Time, Cells: make([]*Result, len(f.Columns))})
		}
		c := slices.IndexFunc(f.Columns, func(c VitalColumn) bool { return c.Code == r.Code })
		if f.Rows[i].Cells[c] == nil {
			f.Rows[i].Cells[c] = &r
		}
	}
	slices.SortStableFunc(f.Rows, func(a, b VitalRow) int { return b.Time.Compare(a.Time) })
	for c := range f.Columns {
		f.Columns[c].Unit = columnUnit(f.Rows, c)
	}
	return f
}

// vitalCell makes a panel of components (a blood pressure) one value: "112/68" in their unit,
// flagged as its most abnormal component.
func vitalCell(r Result) Result {
	if len(r.Components) == 0 {
		return r
	}
	var vs []string
	for _, c := range r.Components {
		vs = append(vs, c.Value)
		if c.Flag != "" && (r.Flag == "" || (c.Critical && !r.Critical)) {
			r.Flag, r.FlagText, r.Critical = c.Flag, c.FlagText, c.Critical
		}
	}
	r.Value, r.Unit = strings.Join(vs, "/"), r.Components[0].Unit
	return r
}

// columnUnit is the one unit of column c's values, or "" when they differ.
func columnUnit(rows []VitalRow, c int) string {
	unit, seen := "", false
	for _, row := range rows {
		if cell := row.Cells[c]; cell != nil {
			if seen && cell.Unit != unit {
				return ""
			}
			unit, seen = cell.Unit, true
		}
	}
	return unit
}
