// Package ehr is the demo EHR: an in-process FHIR R4 server (reads, vreads and searches over
// HTTP, JSON only) loaded with a deterministic, entirely synthetic children's-hospital world whose
// users, practices, patients and ids are a fixed contract described in README.md. The demo binary and the tests run the gateway against it; it
// stands in for the hospital's real FHIR server and must behave like one on the wire. It holds
// no real patient data and never writes. RegisterLauncher registers it at the gateway as the
// demo EHR launch client. Only the demo wiring and tests may import it; the
// gateway's own packages must reach it over HTTP alone, exactly as they reach a production EHR.
package ehr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Dataset is an immutable set of FHIR resources. Build one with Seed; serve it with NewServer.
type Dataset struct {
	// all holds every resource in load order: each one after the resources it references.
	all []*stored
	// index finds a resource by "Type/id".
	index map[string]*stored
	// byType lists each type's resources in the order searches return them.
	byType map[string][]*stored
}

// stored is one resource in the three forms the server needs.
type stored struct {
	typ, id string
	raw     json.RawMessage
	doc     map[string]any
	// sortAt orders clinical resources newest first; zero for directory resources.
	sortAt time.Time
}

// Resources returns every resource as JSON, ordered so that each resource comes after the
// resources it references (Organizations, Locations, Practitioners, PractitionerRoles, then
// each patient with its record). The slices are copies; changing them does not change the Dataset.
func (d *Dataset) Resources() []json.RawMessage {
	out := make([]json.RawMessage, len(d.all))
	for i, r := range d.all {
		out[i] = slices.Clone(r.raw)
	}
	return out
}

// lookup returns the resource typ/id, or nil.
func (d *Dataset) lookup(typ, id string) *stored {
	return d.index[typ+"/"+id]
}

// newDataset returns an empty Dataset for a builder to fill.
func newDataset() *Dataset {
	return &Dataset{index: map[string]*stored{}, byType: map[string][]*stored{}}
}

// add stores res (which must carry "id") as a resource of type typ, stamping meta with
// version 1 and lastUpdated. sortAt orders it among its type in searches. A duplicate id is a
// bug in the seed, so it panics rather than producing a world the contracts do not describe.
func (d *Dataset) add(typ string, res obj, lastUpdated, sortAt time.Time) {
	id, _ := res["id"].(string)
	key := typ + "/" + id
	if id == "" || d.index[key] != nil {
		panic(fmt.Sprintf("ehr: seed: missing or duplicate id %q", key))
	}
	res["meta"] = obj{"versionId": "1", "lastUpdated": instant(lastUpdated)}
	raw := marshalResource(typ, res)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(fmt.Sprintf("ehr: seed: %s does not round-trip: %v", key, err))
	}
	s := &stored{typ: typ, id: id, raw: raw, doc: doc, sortAt: sortAt}
	d.all = append(d.all, s)
	d.index[key] = s
	d.byType[typ] = append(d.byType[typ], s)
}

// marshalResource encodes res with resourceType as the first member, as FHIR servers do, and
// without HTML escaping so that note text stays readable.
func marshalResource(typ string, res obj) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		panic(fmt.Sprintf("ehr: seed: encode %s: %v", typ, err))
	}
	body := bytes.TrimSpace(buf.Bytes())
	out := fmt.Appendf(nil, `{"resourceType":%q`, typ)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...)
}

// finish sorts each type for searching: clinical resources newest first, everything else by
// id, ties broken by id so that paging is stable.
func (d *Dataset) finish() *Dataset {
	for _, list := range d.byType {
		slices.SortStableFunc(list, func(a, b *stored) int {
			if c := b.sortAt.Compare(a.sortAt); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
	}
	return d
}

// instant formats t as a FHIR instant in UTC.
func instant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// day formats t as a FHIR date.
func day(t time.Time) string {
	return t.UTC().Format(time.DateOnly)
}

// referenceDate is the demo world's "today": every clinical date is counted back from it, so
// the world is the same on every run and on every machine.
const referenceDate = "2026-11-01"

// Clock returns a clock on which the demo world's reference date is today: it starts at noon
// of that day in the hospital's zone and runs on from the moment it is made. The portal's
// ages and "discharged in the last 30 days" read it in demo mode, so that the demo tells the
// same story whenever it runs.
func Clock() func() time.Time {
	ref, _ := time.Parse(time.DateOnly, referenceDate)
	start, origin := time.Now(), hospitalTime(ref, 12, 0)
	return func() time.Time { return origin.Add(time.Since(start)) }
}

// Seed returns the fixed demo world of README.md: the practices, the hospital with its
// departments and units, their clinicians, and patients child-01 … child-24 with their
// conditions, encounters, results, medications, notes and allergies. It is deterministic:
// every call returns identical data.
func Seed() *Dataset {
	ref, err := time.Parse(time.DateOnly, referenceDate)
	if err != nil {
		panic(fmt.Sprintf("ehr: seed: reference date: %v", err))
	}
	d := newDataset()
	// Directory entries and patients change rarely; they were last touched a month before.
	updated := ref.AddDate(0, -1, 0).Add(8 * time.Hour)
	seedDirectory(d, updated)
	stories := profiles()
	for i, row := range patientRows() {
		n := i + 1
		d.add("Patient", patientResource(n, row), updated, time.Time{})
		story, ok := stories[row.profile]
		if !ok {
			panic(fmt.Sprintf("ehr: seed: %s has unknown profile %q", patientID(n), row.profile))
		}
		newRecord(d, ref, n, row).build(story)
	}
	return d.finish()
}
