package auditpage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/forward"
)

// maxRows is how many records the page shows of one answer; the export has them all.
const maxRows = 1000

// question is what an auditor asks, as the page's form sends it.
type question struct {
	Kind, Patient, User, From, To string
	All                           bool
}

func questionOf(q url.Values) question {
	return question{Kind: q.Get("q"), Patient: strings.TrimSpace(q.Get("patient")), User: strings.TrimSpace(q.Get("user")),
		From: q.Get("from"), To: q.Get("to"), All: q.Get("all") == "on"}
}

// filter turns the question into the trail's filter, or says what is wrong with it.
func (q question) filter() (audit.Filter, error) {
	var f audit.Filter
	var err error
	if f.From, err = audit.ParseTime(q.From); err != nil {
		return f, fmt.Errorf("the start of the range: %w", err)
	}
	if f.To, err = audit.ParseTime(q.To); err != nil {
		return f, fmt.Errorf("the end of the range: %w", err)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, errors.New("the range must start before it ends")
	}
	switch q.Kind {
	case "patient":
		if !gateway.ValidID(q.Patient) {
			return f, errors.New("name the patient by their FHIR id, for example child-01")
		}
		f.Patient, f.AllAboutPatient = q.Patient, q.All
	case "user":
		if q.User == "" || len(q.User) > 200 {
			return f, errors.New("name the user by their user id, for example accounts:u-pcp")
		}
		f.User = q.User
	case "refusals":
		f.Refusals = true
	default:
		return f, errors.New("choose a question")
	}
	return f, nil
}

// recordOf is the audit event of an auditor asking q: the patient asked about, the question
// in the query field.
func (q question) recordOf(event string, s session) audit.Action {
	r := audit.Action{Event: event, Actor: s.User, Outcome: audit.Success, Query: q.encode()}
	if q.Kind == "patient" {
		r.Patients = []string{q.Patient}
	}
	return r
}

func (q question) encode() string {
	v := url.Values{"q": {q.Kind}}
	for k, s := range map[string]string{"patient": q.Patient, "user": q.User, "from": q.From, "to": q.To} {
		if s != "" && (k != "patient" || q.Kind == "patient") && (k != "user" || q.Kind == "user") {
			v.Set(k, s)
		}
	}
	if q.All && q.Kind == "patient" {
		v.Set("all", "on")
	}
	return v.Encode()
}

// export writes the answer to a question as NDJSON of FHIR AuditEvent.
func (p *Page) export(w http.ResponseWriter, r *http.Request) {
	sess, ok := p.requireSession(w, r)
	if !ok {
		return
	}
	q := questionOf(r.URL.Query())
	f, err := q.filter()
	if err != nil {
		message(w, http.StatusBadRequest, "Not exported", err.Error())
		return
	}
	if err := p.record(r.Context(), q.recordOf("audit.export", sess.Data)); err != nil {
		message(w, http.StatusServiceUnavailable, "Not exported", "The export could not be recorded in the audit trail, so it was refused.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/fhir+ndjson")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="auditevents-%s.ndjson"`, time.Now().UTC().Format("20060102T150405Z")))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	enc := json.NewEncoder(w)
	err = p.o.Trail.Scan(r.Context(), f.Range, func(e audit.Entry, rec audit.Record) bool {
		if !f.Match(rec) {
			return true
		}
		for _, ev := range p.o.Mapper.Events(rec, e.Seq) {
			if enc.Encode(ev) != nil {
				return false
			}
		}
		return true
	})
	if err != nil {
		p.log.WarnContext(r.Context(), "auditpage: export cut short", "err", err)
	}
}

// status reads the forwarder's and the checkpoints' progress for the page.
func (p *Page) status(r *http.Request) (forward.Status, error) {
	return forward.ReadStatus(r.Context(), p.o.Trail, p.o.Sinks, p.o.Keys)
}
