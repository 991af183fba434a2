package sharing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
)

// "Who has viewed this record": the patient portal asks which clinicians saw the patient's
// data, and when, through which app and on what basis. The answer is the accounting of
// disclosures of the audit trail (the records that released some of the patient's data), with
// the clinicians' names as the EHR's directory and the staff accounts give them. Asking is
// itself recorded.

// AuditTrail is the audit trail as the portal API uses it: *audit.Trail.
type AuditTrail interface {
	audit.Writer
	Query(ctx context.Context, f audit.Filter, limit int) ([]audit.Record, error)
}

// maxViews is how many views one answer lists, the newest.
const maxViews = 500

// View is one access to a patient's record.
type View struct {
	Time time.Time `json:"time"`
	// Clinician is who saw the data, Name and Role how they are known; Practitioner their
	// FHIR Practitioner when they have one.
	Clinician    string `json:"clinician"`
	Name         string `json:"name,omitempty"`
	Role         string `json:"role,omitempty"`
	Practitioner string `json:"practitioner,omitempty"`
	// OnBehalfOf is the provider a staff member acts for.
	OnBehalfOf *Person `json:"on_behalf_of,omitempty"`
	App        string  `json:"app"`
	// What is the kind of data (a FHIR resource type), How "read" or "search".
	What string `json:"what"`
	How  string `json:"how"`
	// Basis is the rule that let them see it: "pcp", "pcp_practice", "patient_grant".
	Basis string `json:"basis,omitempty"`
}

// Person is a clinician named in a view.
type Person struct {
	Clinician string `json:"clinician"`
	Name      string `json:"name,omitempty"`
}

// views answers GET /api/portal/patients/{patient}/views?from=&to= (default: the last year).
func (a *PortalAPI) views(w http.ResponseWriter, r *http.Request, c gateway.Caller) error {
	ctx, id := r.Context(), r.PathValue("patient")
	rg, err := viewRange(r.URL.Query())
	if !gateway.ValidID(id) || err != nil {
		return refuse(errInvalidInput, "Name the patient by their FHIR id; from and to are dates (2026-01-31) or RFC 3339 times.")
	}
	if err := audit.WriteAction(ctx, a.Audit, audit.Action{Event: "audit.views", Outcome: audit.Success, Client: c.ClientID,
		Patients: []string{id}, Query: rangeQuery(rg)}); err != nil {
		return fmt.Errorf("sharing: record the portal's question: %w", err)
	}
	recs, err := a.Audit.Query(ctx, audit.Filter{Range: rg, Patient: id}, 0)
	if err != nil {
		return err
	}
	if len(recs) > maxViews {
		recs = recs[len(recs)-maxViews:]
	}
	names := namer{svc: a.Service, known: map[string]string{}}
	out := make([]View, 0, len(recs))
	for _, rec := range slices.Backward(recs) {
		out = append(out, names.view(ctx, rec, id))
	}
	writeJSON(w, http.StatusOK, map[string]any{"patient": id, "from": rg.From, "to": rg.To, "views": out})
	return nil
}

// rangeQuery is the range asked for, as the record of the question says it.
func rangeQuery(rg audit.Range) string {
	v := url.Values{"from": {rg.From.Format(time.RFC3339)}}
	if !rg.To.IsZero() {
		v.Set("to", rg.To.Format(time.RFC3339))
	}
	return v.Encode()
}

func viewRange(q url.Values) (audit.Range, error) {
	from, err := audit.ParseTime(q.Get("from"))
	if err != nil {
		return audit.Range{}, err
	}
	to, err := audit.ParseTime(q.Get("to"))
	if err != nil {
		return audit.Range{}, err
	}
	if from.IsZero() {
		from = time.Now().AddDate(-1, 0, 0).UTC().Truncate(time.Second)
	}
	return audit.Range{From: from, To: to}, nil
}

// namer names the clinicians of views, asking the EHR and the staff accounts once each.
type namer struct {
	svc   *Service
	known map[string]string
}

func (n namer) log() *slog.Logger { return logger(n.svc.Logger) }

func (n namer) view(ctx context.Context, rec audit.Record, patient string) View {
	v := View{Time: rec.Time, Clinician: rec.User, Practitioner: rec.FHIRUser, App: rec.Client, What: rec.ResourceType,
		How: rec.Interaction, Basis: rec.Basis[patient]}
	if v.How == "vread" {
		v.How = "read"
	}
	if rec.FHIRUser != "" {
		v.Name = n.practitioner(ctx, rec.FHIRUser)
	} else if st, err := n.svc.Accounts.Get(ctx, rec.User); err == nil {
		v.Name, v.Role = st.Name, st.Role
	} else if !errors.Is(err, accounts.ErrNotFound) {
		n.log().WarnContext(ctx, "sharing: views: staff account unreadable", "user", rec.User, "err", err)
	}
	if rec.Sponsor != "" {
		p := &Person{Clinician: rec.Sponsor}
		if st, err := n.svc.Accounts.Get(ctx, rec.User); err == nil && st.SponsorPractitioner != "" {
			p.Name = n.practitioner(ctx, st.SponsorPractitioner)
		}
		v.OnBehalfOf = p
	}
	return v
}

// practitioner returns the display name of a Practitioner reference, "" when unknown.
func (n namer) practitioner(ctx context.Context, ref string) string {
	if name, ok := n.known[ref]; ok {
		return name
	}
	name, err := n.svc.EHR.PractitionerName(ctx, ref)
	if err != nil {
		n.log().WarnContext(ctx, "sharing: views: practitioner name unavailable", "practitioner", ref, "err", err)
	}
	n.known[ref] = name
	return name
}

// PractitionerName returns the display name of Practitioner/<id> as the EHR has it.
func (e EHR) PractitionerName(ctx context.Context, ref string) (string, error) {
	id, ok := strings.CutPrefix(ref, "Practitioner/")
	if !ok || !gateway.ValidID(id) {
		return "", fmt.Errorf("sharing: %q is not a Practitioner reference", ref)
	}
	var p struct {
		Name []struct {
			Text   string   `json:"text"`
			Prefix []string `json:"prefix"`
			Given  []string `json:"given"`
			Family string   `json:"family"`
		} `json:"name"`
	}
	if err := e.Upstream.GetJSON(ctx, "Practitioner/"+url.PathEscape(id), nil, &p); err != nil {
		return "", fmt.Errorf("sharing: read %s: %w", ref, err)
	}
	if len(p.Name) == 0 {
		return "", nil
	}
	nm := p.Name[0]
	if nm.Text != "" {
		return nm.Text, nil
	}
	return strings.Join(slices.Concat(nm.Prefix, nm.Given, []string{nm.Family}), " "), nil
}
