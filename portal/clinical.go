package portal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mypatients/gateway/portal/charts"
	"github.com/mypatients/gateway/portal/record"
)

// tab is a page of a record under its banner: the banner is read first (a patient the
// clinician may not see is refused there), then the page's own reads.
func (p *Portal) tab(name string, page func(http.ResponseWriter, request, Banner) error) func(http.ResponseWriter, request) {
	return func(w http.ResponseWriter, r request) {
		b, err := p.loadBanner(r.Context(), r, r.PathValue("id"), name)
		if err == nil {
			err = page(w, r, b)
		}
		if err != nil {
			p.failed(w, r, err)
		}
	}
}

// listing searches typ with q as the clinician and decodes what the gateway released; cut
// reports a listing that reached maxEntries.
func listing[T any](p *Portal, r request, typ string, q url.Values, decode func([]json.RawMessage) (T, error)) (T, bool, error) {
	raws, cut, err := p.search(r.Context(), r, typ, q, maxEntries)
	if err != nil {
		var zero T
		return zero, false, err
	}
	v, err := decode(raws)
	return v, cut, err
}

func patientQuery(id string, kv ...string) url.Values {
	q := url.Values{"patient": {id}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func (p *Portal) medsPage(w http.ResponseWriter, r request, b Banner) error {
	meds, cut, err := listing(p, r, "MedicationRequest", patientQuery(b.ID), record.DecodeMeds)
	if err != nil {
		return err
	}
	past := slices.DeleteFunc(slices.Clone(meds), func(m record.Med) bool { return m.Active })
	p.render(w, r.Request, r.sess, http.StatusOK, "meds", map[string]any{"B": b, "Active": record.Current(meds), "Past": past, "Cut": cut})
	return nil
}

func (p *Portal) labsPage(w http.ResponseWriter, r request, b Banner) error {
	var reps []json.RawMessage
	var results []record.Result
	var cut1, cut2 bool
	var g errgroup.Group
	g.Go(func() (err error) {
		reps, cut1, err = p.search(r.Context(), r, "DiagnosticReport", patientQuery(b.ID), maxEntries)
		return err
	})
	g.Go(func() (err error) {
		results, cut2, err = listing(p, r, "Observation", patientQuery(b.ID, "category", "laboratory"), record.DecodeObservations)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	labs, err := record.DecodeReports(reps, results)
	if err != nil {
		return err
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "labs", map[string]any{"B": b, "Labs": labs, "Cut": cut1 || cut2})
	return nil
}

// trendPage shows one analyte over time: the chart and the same values in a table.
func (p *Portal) trendPage(w http.ResponseWriter, r request, b Banner) error {
	code := r.PathValue("code")
	results, cut, err := listing(p, r, "Observation", patientQuery(b.ID, "code", code), record.DecodeObservations)
	if err != nil {
		return err
	}
	series := record.Series(results, code)
	v := map[string]any{"B": b, "Series": series, "Cut": cut, "Code": code}
	if len(series) > 0 {
		last := series[len(series)-1]
		t := charts.Trend{Title: last.Name + " over time", Unit: last.Unit, Low: last.Low, High: last.High,
			HasLow: last.HasLow, HasHigh: last.HasHigh, Format: p.dayOf}
		for _, s := range series {
			t.Points = append(t.Points, charts.Point{At: s.Time, Value: s.Number, Flagged: s.Abnormal(),
				Label: strings.TrimSpace(s.Value + " " + s.Unit + " " + s.Flag + ", " + p.dayOf(s.Time))})
		}
		v["Name"], v["Chart"] = last.Name, t.SVG()
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "trend", v)
	return nil
}

func (p *Portal) dayOf(t time.Time) string { return t.In(p.opts.Location).Format("Jan 2, 2006") }

// notesPage lists the record's notes, newest first, with the encounter each belongs to.
func (p *Portal) notesPage(w http.ResponseWriter, r request, b Banner) error {
	notes, cut, err := listing(p, r, "DocumentReference", patientQuery(b.ID), record.DecodeNotes)
	if err != nil {
		return err
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "notes", map[string]any{"B": b, "Notes": notes, "Cut": cut})
	return nil
}
