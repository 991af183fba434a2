package sharing

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/mypatients/gateway/upstream"
)

// MRNSystem is the identifier system of the hospital's medical record numbers.
const MRNSystem = "http://childrens.example.org/mrn"

// PortalAccountExtension is the Patient extension by which the EHR says whether the family has
// a patient-portal (MyChildren's) account: valueBoolean true or false. A patient without the
// extension is treated as having none, so the clinician is offered the printable sign-up
// instructions rather than a notification nobody would read.
const PortalAccountExtension = "http://childrens.example.org/fhir/StructureDefinition/patient-portal-account"

// ErrNoSuchPatient is returned when the EHR has no patient with that id or MRN.
var ErrNoSuchPatient = errors.New("sharing: no such patient")

// PatientInfo is what access management needs to know about a patient: never a name.
type PatientInfo struct {
	ID            string
	MRN           string
	PortalAccount bool
}

// EHR looks patients up at the hospital's FHIR server with the gateway's own credential.
type EHR struct {
	Upstream *upstream.Client
}

type patientResource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Identifier   []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Extension []struct {
		URL          string `json:"url"`
		ValueBoolean *bool  `json:"valueBoolean"`
	} `json:"extension"`
}

func (p patientResource) info() PatientInfo {
	out := PatientInfo{ID: p.ID}
	for _, id := range p.Identifier {
		if id.System == MRNSystem {
			out.MRN = id.Value
		}
	}
	for _, e := range p.Extension {
		if e.URL == PortalAccountExtension && e.ValueBoolean != nil {
			out.PortalAccount = *e.ValueBoolean
		}
	}
	return out
}

// Patient returns what the EHR says about Patient/<id>.
func (e EHR) Patient(ctx context.Context, id string) (PatientInfo, error) {
	var p patientResource
	err := e.Upstream.GetJSON(ctx, "Patient/"+url.PathEscape(id), nil, &p)
	if errors.Is(err, upstream.ErrNotFound) {
		return PatientInfo{}, ErrNoSuchPatient
	}
	if err != nil {
		return PatientInfo{}, fmt.Errorf("sharing: read patient %q: %w", id, err)
	}
	if p.ResourceType != "Patient" || p.ID != id {
		return PatientInfo{}, fmt.Errorf("sharing: upstream answered %s/%s for Patient/%s", p.ResourceType, p.ID, id)
	}
	return p.info(), nil
}

// ByMRN finds the one patient with that MRN.
func (e EHR) ByMRN(ctx context.Context, mrn string) (PatientInfo, error) {
	var b struct {
		Entry []struct {
			Resource patientResource `json:"resource"`
		} `json:"entry"`
	}
	q := url.Values{"identifier": {MRNSystem + "|" + mrn}}
	if err := e.Upstream.GetJSON(ctx, "Patient", q, &b); err != nil {
		return PatientInfo{}, fmt.Errorf("sharing: find patient by MRN: %w", err)
	}
	var found []PatientInfo
	for _, en := range b.Entry {
		if en.Resource.ResourceType == "Patient" && en.Resource.info().MRN == mrn {
			found = append(found, en.Resource.info())
		}
	}
	if len(found) != 1 {
		return PatientInfo{}, ErrNoSuchPatient
	}
	return found[0], nil
}

// last4 is as much of an MRN as an email may carry.
func last4(mrn string) string {
	if len(mrn) <= 4 {
		return mrn
	}
	return mrn[len(mrn)-4:]
}
