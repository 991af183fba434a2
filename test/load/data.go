package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// The resources the canned upstream serves. synthea.ndjson holds two Synthea patients and
// the Observations of two Synthea patients, one resource a line (see testdata/README.md);
// roles.ndjson holds the practice directory, which Synthea does not generate.
var (
	//go:embed testdata/synthea.ndjson
	syntheaNDJSON []byte
	//go:embed testdata/roles.ndjson
	rolesNDJSON []byte
)

const (
	// allowedPatient has the demo user pcp (Practitioner/dr-patel) as its PCP, so the PCP
	// rule allows pcp to read it; refusedPatient has a PCP of another practice.
	allowedPatient = "54034a85-d558-4047-b32a-ad82008f7199" // Willia Runolfsdottir
	refusedPatient = "d8a00854-f768-4195-a025-9af34b2e0e9f" // Carin Kerluke
	allowedPCP     = "Practitioner/dr-patel"
	refusedPCP     = "Practitioner/dr-lindqvist"
)

// dataset is everything the canned upstream knows, as the bytes it sends.
type dataset struct {
	patients     map[string][]byte // id → Patient
	observations []resource        // all of allowedPatient's, in file order
	roles        []role
}

// resource is one resource's id and JSON.
type resource struct {
	id  string
	raw []byte
}

// role is a PractitionerRole with the two references the gateway's authorizer reads.
type role struct {
	id, practitioner, organization string
	raw                            []byte
}

// loadDataset reads the embedded resources and makes the two edits the workloads need: each
// patient gets its PCP, and every Observation is made the allowed patient's (Synthea gives
// no patient more than 95, and a 100-entry search needs more than 100).
func loadDataset() (*dataset, error) {
	d := &dataset{patients: map[string][]byte{}}
	pcps := map[string]string{allowedPatient: allowedPCP, refusedPatient: refusedPCP}
	err := eachLine(syntheaNDJSON, func(line []byte, head resourceHead) error {
		switch head.ResourceType {
		case "Patient":
			pcp, ok := pcps[head.ID]
			if !ok {
				return fmt.Errorf("unexpected patient %s", head.ID)
			}
			d.patients[head.ID] = withMember(line, "generalPractitioner", `[{"reference":"`+pcp+`"}]`)
		case "Observation":
			obs, err := withSubject(line, allowedPatient)
			if err != nil {
				return fmt.Errorf("observation %s: %w", head.ID, err)
			}
			d.observations = append(d.observations, resource{id: head.ID, raw: obs})
		default:
			return fmt.Errorf("unexpected %s/%s", head.ResourceType, head.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("testdata/synthea.ndjson: %w", err)
	}
	if d.roles, err = loadRoles(); err != nil {
		return nil, err
	}
	if len(d.patients) != 2 || len(d.observations) <= 100 {
		return nil, fmt.Errorf("testdata: %d patients and %d observations, want 2 and more than 100", len(d.patients), len(d.observations))
	}
	return d, nil
}

func loadRoles() ([]role, error) {
	var roles []role
	err := eachLine(rolesNDJSON, func(line []byte, head resourceHead) error {
		var r struct {
			Practitioner, Organization struct{ Reference string }
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		roles = append(roles, role{id: head.ID, practitioner: r.Practitioner.Reference,
			organization: r.Organization.Reference, raw: line})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("testdata/roles.ndjson: %w", err)
	}
	return roles, nil
}

type resourceHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

// eachLine calls f with every non-empty line of ndjson and its resource type and id.
func eachLine(ndjson []byte, f func(line []byte, head resourceHead) error) error {
	sc := bufio.NewScanner(bytes.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.Clone(sc.Bytes())
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var head resourceHead
		if err := json.Unmarshal(line, &head); err != nil {
			return err
		}
		if err := f(line, head); err != nil {
			return err
		}
	}
	return sc.Err()
}

// withMember appends member name with a JSON value to a compact resource, keeping the
// order of the members already there (a real server writes resourceType first).
func withMember(resource []byte, name, value string) []byte {
	out := bytes.TrimSuffix(bytes.TrimSpace(resource), []byte("}"))
	return append(out, []byte(`,"`+name+`":`+value+`}`)...)
}

// withSubject points an Observation's subject at Patient/id.
func withSubject(obs []byte, id string) ([]byte, error) {
	var o struct {
		Subject struct{ Reference string }
	}
	if err := json.Unmarshal(obs, &o); err != nil {
		return nil, err
	}
	old := []byte(`"subject":{"reference":"` + o.Subject.Reference + `"}`)
	if o.Subject.Reference == "" || bytes.Count(obs, old) != 1 {
		return nil, fmt.Errorf("no single subject reference to replace")
	}
	return bytes.Replace(obs, old, []byte(`"subject":{"reference":"Patient/`+id+`"}`), 1), nil
}
