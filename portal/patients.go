package portal

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mypatients/gateway/portal/record"
)

// pageSize is how many patients one page of the list shows.
const pageSize = 25

// row is one patient on a list.
type row struct {
	record.Patient
	Reason     reason
	InHospital bool
	Discharged time.Time
	Saved      bool
}

// listView is the patients list page.
type listView struct {
	Rows               []row
	Total, Page, Pages int
	From, To           int
	Show, Sort         string
	Cut                bool
	Recent             []row
	Shows, Sorts       []option
	PrevURL, NextURL   string
}

type option struct{ Value, Label string }

var (
	shows = []option{{"all", "All my patients"}, {"inpatient", "In hospital now"}, {"discharged", "Discharged in the last 30 days"}}
	sorts = []option{{"name", "Name (A to Z)"}, {"-name", "Name (Z to A)"}, {"birthdate", "Youngest first"}, {"-birthdate", "Oldest first"}, {"reason", "Why visible"}}
)

// patientsPage is the home page: every patient the clinician may see, with why, filtered,
// sorted and paged; and the recently viewed ones.
func (p *Portal) patientsPage(w http.ResponseWriter, r request) {
	ctx, q := r.Context(), r.URL.Query()
	v := listView{Show: pick(q.Get("show"), shows), Sort: pick(q.Get("sort"), sorts), Shows: shows, Sorts: sorts}
	pts, cut, err := listing(p, r, "Patient", url.Values{}, record.DecodePatients)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	rows, err := p.rows(ctx, r, pts, v.Show != "all")
	if err != nil {
		p.failed(w, r, err)
		return
	}
	rows = filterRows(rows, v.Show, p.today())
	sortRows(rows, v.Sort)
	v.Cut, v.Total = cut, len(rows)
	v.Pages = max(1, (len(rows)+pageSize-1)/pageSize)
	v.Page = min(max(1, atoi(q.Get("page"))), v.Pages)
	v.From, v.To = (v.Page-1)*pageSize, min(v.Page*pageSize, len(rows))
	v.Rows = rows[v.From:v.To]
	if v.Show == "all" {
		if err := p.markStays(ctx, r, v.Rows); err != nil {
			p.failed(w, r, err)
			return
		}
	}
	v.PrevURL, v.NextURL = pageURL(v, v.Page-1), pageURL(v, v.Page+1)
	if v.Recent, err = p.patientRows(ctx, r, p.store.recent); err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "patients", v)
}

func pageURL(v listView, page int) string {
	if page < 1 || page > v.Pages {
		return ""
	}
	return "/?" + url.Values{"show": {v.Show}, "sort": {v.Sort}, "page": {strconv.Itoa(page)}}.Encode()
}

func pick(v string, opts []option) string {
	for _, o := range opts {
		if o.Value == v {
			return v
		}
	}
	return opts[0].Value
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// rows explains each patient and, when stays matter to the view, marks who is in hospital.
func (p *Portal) rows(ctx context.Context, r request, pts []record.Patient, stays bool) ([]row, error) {
	granted, err := p.grantsOf(ctx, r)
	if err != nil {
		return nil, err
	}
	saved, err := p.store.saved(ctx, r.me().User)
	if err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(pts))
	for _, pt := range pts {
		rows = append(rows, row{Patient: pt, Reason: reasonFor(r.me(), pt, granted), Saved: slices.Contains(saved, pt.ID)})
	}
	if stays {
		return rows, p.markStays(ctx, r, rows)
	}
	return rows, nil
}

// markStays finds, for the rows' patients, a stay in progress or one that ended in the last
// 30 days, asking the FHIR API in batches of 50 patients.
func (p *Portal) markStays(ctx context.Context, r request, rows []row) error {
	since := p.today().AddDate(0, 0, -30).Format(time.DateOnly)
	for start := 0; start < len(rows); start += 50 {
		batch := rows[start:min(start+50, len(rows))]
		ids := make([]string, len(batch))
		at := map[string]*row{}
		for i := range batch {
			ids[i], at[batch[i].ID] = batch[i].ID, &batch[i]
		}
		raws, _, err := p.search(ctx, r, "Encounter", url.Values{"patient": {strings.Join(ids, ",")}, "class": {"IMP"}, "date": {"ge" + since}}, maxEntries)
		if err != nil {
			return err
		}
		encs, err := record.DecodeEncounters(raws)
		if err != nil {
			return err
		}
		for _, e := range encs {
			if rw := at[e.Patient]; rw != nil {
				if e.Ongoing {
					rw.InHospital = true
				} else if e.End.After(rw.Discharged) {
					rw.Discharged = e.End
				}
			}
		}
	}
	return nil
}

func filterRows(rows []row, show string, today time.Time) []row {
	cutoff := today.AddDate(0, 0, -30)
	return slices.DeleteFunc(rows, func(rw row) bool {
		switch show {
		case "inpatient":
			return !rw.InHospital
		case "discharged":
			return rw.InHospital || rw.Discharged.Before(cutoff) || rw.Discharged.After(today)
		}
		return false
	})
}

func sortRows(rows []row, by string) {
	name := func(a, b row) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Family), strings.ToLower(b.Family)), strings.Compare(a.Given, b.Given), strings.Compare(a.ID, b.ID))
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		switch by {
		case "-name":
			return name(b, a)
		case "birthdate":
			return cmp.Or(b.BirthDate.Compare(a.BirthDate), name(a, b))
		case "-birthdate":
			return cmp.Or(a.BirthDate.Compare(b.BirthDate), name(a, b))
		case "reason":
			return cmp.Or(strings.Compare(a.Reason.Code, b.Reason.Code), name(a, b))
		}
		return name(a, b)
	})
}

// patientRows reads the patients list returns (saved or recent ids) through the FHIR API, in
// the list's order; patients the clinician may no longer see are left out.
func (p *Portal) patientRows(ctx context.Context, r request, list func(context.Context, string) ([]string, error)) ([]row, error) {
	ids, err := list(ctx, r.me().User)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	pts, _, err := listing(p, r, "Patient", url.Values{"_id": {strings.Join(ids, ",")}}, record.DecodePatients)
	if err != nil {
		return nil, err
	}
	granted, err := p.grantsOf(ctx, r)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, id := range ids {
		for _, pt := range pts {
			if pt.ID == id {
				rows = append(rows, row{Patient: pt, Reason: reasonFor(r.me(), pt, granted)})
			}
		}
	}
	return rows, nil
}

// savedPage is the Saved Patient List.
func (p *Portal) savedPage(w http.ResponseWriter, r request) {
	rows, err := p.patientRows(r.Context(), r, p.store.saved)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	for i := range rows {
		rows[i].Saved = true
	}
	if err := p.markStays(r.Context(), r, rows); err != nil {
		p.failed(w, r, err)
		return
	}
	p.render(w, r.Request, r.sess, http.StatusOK, "saved", map[string]any{"Rows": rows})
}

// changeSaved adds a patient the clinician may see to their list, or removes one.
func (p *Portal) changeSaved(w http.ResponseWriter, r request) {
	id, save := r.PostForm.Get("patient"), r.PostForm.Get("action") == "add"
	if save {
		// Only a patient the gateway lets the clinician read goes on the list.
		if _, err := p.read(r.Context(), r, "Patient", id); err != nil {
			p.failed(w, r, err)
			return
		}
	}
	if err := p.store.setSaved(r.Context(), r.me().User, id, save); err != nil {
		p.failed(w, r, err)
		return
	}
	back := r.PostForm.Get("back")
	if !localPath(back) {
		back = "/portal/saved"
	}
	http.Redirect(w, r.Request, back, http.StatusSeeOther)
}
