package sharing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"

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
	Name []struct {
		Family string   `json:"family"`
		Given  []string `json:"given"`
	} `json:"name"`
	BirthDate string `json:"birthDate"`
}

// named reports whether one of p's names is exactly family and given (one of its given
// names), ignoring case, and p was born on birthDate.
func (p patientResource) named(family, given, birthDate string) bool {
	if p.BirthDate != birthDate {
		return false
	}
	for _, n := range p.Name {
		if strings.EqualFold(n.Family, family) && slices.ContainsFunc(n.Given, func(g string) bool { return strings.EqualFold(g, given) }) {
			return true
		}
	}
	return false
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
	return e.one(ctx, url.Values{"identifier": {MRNSystem + "|" + mrn}}, func(p patientResource) bool { return p.info().MRN == mrn })
}

// ByNameAndBirthDate finds the one patient with exactly that family and given name (ignoring
// case) born on birthDate. The EHR's search is looser (names start with the value), so every
// match is checked here.
func (e EHR) ByNameAndBirthDate(ctx context.Context, family, given, birthDate string) (PatientInfo, error) {
	q := url.Values{"family": {family}, "given": {given}, "birthdate": {birthDate}, "_count": {"20"}}
	return e.one(ctx, q, func(p patientResource) bool { return p.named(family, given, birthDate) })
}

// one searches the EHR's patients with q and returns the only one that match accepts; none or
// several are ErrNoSuchPatient.
func (e EHR) one(ctx context.Context, q url.Values, match func(patientResource) bool) (PatientInfo, error) {
	var b struct {
		Entry []struct {
			Resource patientResource `json:"resource"`
		} `json:"entry"`
	}
	if err := e.Upstream.GetJSON(ctx, "Patient", q, &b); err != nil {
		return PatientInfo{}, fmt.Errorf("sharing: find patient: %w", err)
	}
	var found []PatientInfo
	for _, en := range b.Entry {
		if en.Resource.ResourceType == "Patient" && gateway.ValidID(en.Resource.ID) && match(en.Resource) {
			found = append(found, en.Resource.info())
		}
	}
	if len(found) != 1 {
		return PatientInfo{}, ErrNoSuchPatient
	}
	return found[0], nil
}

// PractitionerInfo is what access management shows of a clinician: their name and how the
// directory says to reach them at work.
type PractitionerInfo struct{ Name, Email, Phone string }

// Practitioner returns the directory entry of Practitioner/<id> (not a patient's data), read
// with the gateway's own credential.
func (e EHR) Practitioner(ctx context.Context, id string) (PractitionerInfo, error) {
	var p struct {
		ResourceType string `json:"resourceType"`
		Name         []struct {
			Text   string   `json:"text"`
			Family string   `json:"family"`
			Given  []string `json:"given"`
			Prefix []string `json:"prefix"`
		} `json:"name"`
		Telecom []struct{ System, Value string } `json:"telecom"`
	}
	if !gateway.ValidID(id) {
		return PractitionerInfo{}, ErrInvalidPatientID
	}
	if err := e.Upstream.GetJSON(ctx, "Practitioner/"+id, nil, &p); err != nil {
		return PractitionerInfo{}, fmt.Errorf("sharing: read practitioner %q: %w", id, err)
	}
	var out PractitionerInfo
	if p.ResourceType != "Practitioner" {
		return out, nil
	}
	if len(p.Name) > 0 {
		n := p.Name[0]
		out.Name = n.Text
		if out.Name == "" {
			out.Name = strings.TrimSpace(strings.Join(append(append(n.Prefix, n.Given...), n.Family), " "))
		}
	}
	for _, t := range p.Telecom {
		switch {
		case t.System == "email" && out.Email == "":
			out.Email = t.Value
		case t.System == "phone" && out.Phone == "":
			out.Phone = t.Value
		}
	}
	return out, nil
}

// last4 is as much of an MRN as an email may carry.
func last4(mrn string) string {
	if len(mrn) <= 4 {
		return mrn
	}
	return mrn[len(mrn)-4:]
}
