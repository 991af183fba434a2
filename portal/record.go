package portal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mypatients/gateway/portal/record"
)

// Banner is what every page of a record shows at its top.
type Banner struct {
	record.Patient
	Allergies []record.Allergy
	Problems  []record.Problem
	Saved     bool
	Tab       string
}

// loadBanner reads the patient, their allergies and active problems. A patient the
// clinician may not see is refused by the gateway here, before anything else is read.
func (p *Portal) loadBanner(ctx context.Context, r request, id, tab string) (Banner, error) {
	raw, err := p.read(ctx, r, "Patient", id)
	if err != nil {
		return Banner{}, err
	}
	pt, err := record.DecodePatient(raw)
	if err != nil {
		return Banner{}, err
	}
	b := Banner{Patient: pt, Tab: tab}
	var g errgroup.Group
	g.Go(func() error {
		algs, _, err := p.search(ctx, r, "AllergyIntolerance", url.Values{"patient": {id}}, maxEntries)
		if err == nil {
			b.Allergies, err = record.DecodeAllergies(algs)
		}
		return err
	})
	g.Go(func() error {
		conds, _, err := p.search(ctx, r, "Condition", url.Values{"patient": {id}, "category": {"problem-list-item"}, "clinical-status": {"active"}}, maxEntries)
		if err == nil {
			b.Problems, err = record.DecodeProblems(conds)
		}
		return err
	})
	g.Go(func() (err error) {
		b.Saved, err = p.store.isSaved(ctx, r.me().User, id)
		return err
	})
	return b, g.Wait()
}

// recordView is the record's overview: the timeline, recent notes, active medications and
// flagged results.
type recordView struct {
	Banner
	Encounters []record.Encounter
	Notes      []record.Note
	Meds       []record.Med
	// Current are the active medications, one per medication (record.Current).
	Current []record.Med
	Flagged []record.Result
	Cut     bool
}

func (p *Portal) recordPage(w http.ResponseWriter, r request) {
	v, err := p.overview(r, "overview")
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if err := p.store.viewed(r.Context(), r.me().User, v.ID); err != nil {
		p.fault(r.Request, "recent patients", err)
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "record", v)
}

func (p *Portal) printRecord(w http.ResponseWriter, r request) {
	v, err := p.overview(r, "print")
	if err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "record-print", v)
}

// overview reads what the overview and the printed record show.
func (p *Portal) overview(r request, tab string) (recordView, error) {
	ctx, id := r.Context(), r.PathValue("id")
	b, err := p.loadBanner(ctx, r, id, tab)
	if err != nil {
		return recordView{}, err
	}
	v := recordView{Banner: b}
	var cuts [4]bool
	var labs []record.Result
	var g errgroup.Group
	g.Go(func() (err error) {
		v.Encounters, cuts[0], err = listing(p, r, "Encounter", patientQuery(id), record.DecodeEncounters)
		return err
	})
	g.Go(func() (err error) {
		v.Notes, cuts[1], err = listing(p, r, "DocumentReference", patientQuery(id), record.DecodeNotes)
		return err
	})
	g.Go(func() (err error) {
		v.Meds, cuts[2], err = listing(p, r, "MedicationRequest", patientQuery(id), record.DecodeMeds)
		return err
	})
	g.Go(func() (err error) {
		labs, cuts[3], err = listing(p, r, "Observation", patientQuery(id, "category", "laboratory"), record.DecodeObservations)
		return err
	})
	err = g.Wait()
	v.Current = record.Current(v.Meds)
	v.Flagged = slices.DeleteFunc(labs, func(x record.Result) bool { return !x.Abnormal() })
	v.Cut = slices.Contains(cuts[:], true)
	return v, err
}

// encounterView is one encounter with its care team's contacts, notes and results.
type encounterView struct {
	Banner
	Encounter   record.Encounter
	Notes       []record.Note
	Reports     record.Labs
	NoDirectory bool
}

func (p *Portal) encounterPage(w http.ResponseWriter, r request) {
	ctx, id, encID := r.Context(), r.PathValue("id"), r.PathValue("enc")
	b, err := p.loadBanner(ctx, r, id, "overview")
	if err != nil {
		p.failed(w, r, err)
		return
	}
	v := encounterView{Banner: b}
	raw, err := p.read(ctx, r, "Encounter", encID)
	var encs []record.Encounter
	if err == nil {
		encs, err = record.DecodeEncounters([]json.RawMessage{raw})
	}
	if err == nil && (len(encs) != 1 || encs[0].Patient != id) {
		err = errRefused
	}
	if err != nil {
		p.failed(w, r, err)
		return
	}
	v.Encounter = encs[0]
	var g errgroup.Group
	g.Go(func() (err error) {
		v.NoDirectory, err = p.addContacts(ctx, r, &v.Encounter)
		return err
	})
	g.Go(func() (err error) {
		v.Notes, v.Reports, err = p.encounterRecords(ctx, r, id, encID)
		return err
	})
	if err := g.Wait(); err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "encounter", v)
}

// addContacts fills in the care team's contact details from the directory; noDirectory says
// the user may not read it (neither a clinician nor a clinician's staff).
func (p *Portal) addContacts(ctx context.Context, r request, e *record.Encounter) (noDirectory bool, err error) {
	var ids []string
	for _, m := range e.CareTeam {
		if m.Practitioner != "" && !slices.Contains(ids, m.Practitioner) {
			ids = append(ids, m.Practitioner)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	raws, _, err := p.search(ctx, r, "Practitioner", url.Values{"_id": {strings.Join(ids, ",")}}, 200)
	if errors.Is(err, errRefused) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	contacts, err := record.DecodeContacts(raws)
	for i, m := range e.CareTeam {
		e.CareTeam[i].Contact = contacts[m.Practitioner]
	}
	return false, err
}

// encounterRecords reads the notes and lab reports of one encounter.
func (p *Portal) encounterRecords(ctx context.Context, r request, id, enc string) ([]record.Note, record.Labs, error) {
	var docs, reps, obs []json.RawMessage
	var g errgroup.Group
	for typ, out := range map[string]*[]json.RawMessage{"DocumentReference": &docs, "DiagnosticReport": &reps, "Observation": &obs} {
		g.Go(func() (err error) {
			*out, _, err = p.search(ctx, r, typ, url.Values{"patient": {id}, "encounter": {enc}}, maxEntries)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, record.Labs{}, err
	}
	notes, err := record.DecodeNotes(docs)
	if err != nil {
		return nil, record.Labs{}, err
	}
	results, err := record.DecodeObservations(obs)
	if err != nil {
		return nil, record.Labs{}, err
	}
	labs, err := record.DecodeReports(reps, results)
	return notes, labs, err
}
