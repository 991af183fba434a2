package ehr

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The tests of the gateway need EHRs unlike the demo world: one missing what the gateway relies
// on, one whose practice has thousands of roles. Both are made from the demo world.

// Without returns a copy of d without the resources of types.
func (d *Dataset) Without(types ...string) *Dataset {
	out := newDataset()
	for _, s := range d.all {
		if !slices.Contains(types, s.typ) {
			out.keep(s)
		}
	}
	return out.finish()
}

// With returns a copy of d with resources added (each a JSON object with resourceType and id).
// It panics on a resource without them or with an id d already has: the caller is a test.
func (d *Dataset) With(resources ...map[string]any) *Dataset {
	out := newDataset()
	for _, s := range d.all {
		out.keep(s)
	}
	for _, res := range resources {
		typ, _ := res["resourceType"].(string)
		if typ == "" {
			panic(fmt.Sprintf("ehr: With: a resource without resourceType: %v", res))
		}
		body := obj{}
		for k, v := range res {
			if k != "resourceType" {
				body[k] = v
			}
		}
		out.add(typ, body, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	}
	return out.finish()
}

// keep adds a stored resource of another Dataset as it is.
func (d *Dataset) keep(s *stored) {
	c := *s
	c.raw = json.RawMessage(slices.Clone(s.raw))
	d.all = append(d.all, &c)
	d.index[c.typ+"/"+c.id] = &c
	d.byType[c.typ] = append(d.byType[c.typ], &c)
}
