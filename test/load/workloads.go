package main

import (
	"fmt"
	"net/http"
	"strings"
)

// workload is one kind of traffic: the requests wrk cycles through, each sent by every
// connection in turn.
type workload struct {
	name        string
	title       string // for the table; the probe adds the response size
	requests    []probe
	gatewayOnly bool // the bare proxy refuses nothing, so there is nothing to compare
}

// probe is one request of a workload with the status each target must answer.
type probe struct {
	path          string
	bare, gateway int
}

var (
	readAllowed = probe{"/fhir/Patient/" + allowedPatient, http.StatusOK, http.StatusOK}
	readRefused = probe{"/fhir/Patient/" + refusedPatient, http.StatusOK, http.StatusForbidden}
)

func searchObs(count int) probe {
	return probe{fmt.Sprintf("/fhir/Observation?patient=%s&_count=%d", allowedPatient, count), http.StatusOK, http.StatusOK}
}

// allWorkloads are the workloads in the order they run and are reported.
func allWorkloads() []workload {
	return []workload{
		{name: "read", title: "Patient read", requests: []probe{readAllowed}},
		{name: "search50", title: "Observation search, 50 entries", requests: []probe{searchObs(50)}},
		{name: "search100", title: "Observation search, 100 entries", requests: []probe{searchObs(100)}},
		{name: "refused", title: "refused read (the upstream never called)", requests: []probe{readRefused}, gatewayOnly: true},
		// A record page of the clinicians' portal: the patient, a short list, two longer
		// searches, and a patient the clinician may not see.
		{name: "mixed", title: "mixed: read, searches of 10, 50, 100, refused read",
			requests: []probe{readAllowed, searchObs(10), searchObs(50), searchObs(100), readRefused}},
	}
}

// selectWorkloads returns the workloads named in a comma list ("" or "all": every one).
func selectWorkloads(list string) ([]workload, error) {
	all := allWorkloads()
	if list == "" || list == "all" {
		return all, nil
	}
	var out []workload
	for name := range strings.SplitSeq(list, ",") {
		found := false
		for _, w := range all {
			if w.name == strings.TrimSpace(name) {
				out, found = append(out, w), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-workloads: no workload %q (have read, search50, search100, refused, mixed)", name)
		}
	}
	return out, nil
}

// targets returns the targets w runs against.
func (s *system) targets(w workload) []target {
	if w.gatewayOnly {
		return []target{s.gateway}
	}
	return []target{s.bare, s.gateway}
}

// want returns the statuses t must answer to w.
func (w workload) want(t target) map[int]bool {
	out := map[int]bool{}
	for _, p := range w.requests {
		if t.name == "bare" {
			out[p.bare] = true
		} else {
			out[p.gateway] = true
		}
	}
	return out
}

func (w workload) paths() []string {
	out := make([]string, len(w.requests))
	for i, p := range w.requests {
		out[i] = p.path
	}
	return out
}
