package auditpage

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/forward"
	"github.com/mypatients/gateway/web"
)

// view is everything the page shows.
type view struct {
	Auditor  session
	CSRF     string
	Q        question
	Export   string // the export link of the question asked
	Problem  string
	Asked    bool
	Rows     []audit.Description
	Cut      bool // more than maxRows matched
	Status   *forward.Status
	StatusOf string // why the status is missing
}

// requireSession returns the signed-in auditor's session, or answers with the sign-in page.
func (p *Page) requireSession(w http.ResponseWriter, r *http.Request) (*web.Session[session], bool) {
	sess, err := p.sessions.Load(r)
	switch {
	case errors.Is(err, web.ErrNoSession):
		web.Write(w, http.StatusOK, signInPage, p.o.IdP.ID)
		return nil, false
	case err != nil:
		message(w, http.StatusServiceUnavailable, "Audit trail unavailable", "The gateway cannot read sessions right now. Try again shortly.")
		return nil, false
	}
	return sess, true
}

// home shows the question form, the answer to the question asked, and the forwarder's status.
func (p *Page) home(w http.ResponseWriter, r *http.Request) {
	sess, ok := p.requireSession(w, r)
	if !ok {
		return
	}
	v := view{Auditor: sess.Data, CSRF: sess.CSRF, Q: questionOf(r.URL.Query())}
	if st, err := p.status(r); err == nil {
		v.Status = &st
	} else {
		v.StatusOf = "The forwarder's status cannot be read right now."
	}
	if v.Q.Kind != "" {
		p.answer(r, sess.Data, &v)
	}
	status := http.StatusOK
	if v.Problem != "" {
		status = http.StatusBadRequest
	}
	web.Write(w, status, homePage, v)
}

// answer asks the trail the question in v, once its asking is recorded.
func (p *Page) answer(r *http.Request, s session, v *view) {
	f, err := v.Q.filter()
	if err != nil {
		v.Problem = err.Error()
		return
	}
	if err := p.record(r.Context(), v.Q.recordOf("audit.query", s)); err != nil {
		v.Problem = "The question could not be recorded in the audit trail, so it was not answered."
		return
	}
	recs, err := p.o.Trail.Query(r.Context(), f, maxRows+1)
	if err != nil {
		v.Problem = "The audit trail cannot be read right now."
		return
	}
	v.Asked, v.Export = true, Path+"export?"+v.Q.encode()
	if len(recs) > maxRows {
		recs, v.Cut = recs[:maxRows], true
	}
	for _, rec := range recs {
		v.Rows = append(v.Rows, audit.Describe(rec))
	}
}

const style = `body{font-family:system-ui,sans-serif;max-width:78rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #c8ced6;padding:.25rem .45rem;text-align:left;vertical-align:top}
tr.failed td{background:#fbeeee}.muted{color:#57606a;font-size:.9rem}.problem{background:#fbeaea;padding:.5rem}
fieldset{border:1px solid #c8ced6;margin:.6rem 0}label{margin-right:1rem}header{display:flex;justify-content:space-between;align-items:baseline}`

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MyPatients: audit trail</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + style + `</style></head>
<body><h1>Audit trail</h1><p>This page is for the hospital's privacy office and auditors. Sign in with your
hospital account; the auditor role is needed.</p>
<p><a href="` + Path + `login">Sign in ({{.}})</a></p>
<p class="muted">Every sign-in and every question asked here is itself recorded in the audit trail.</p></body></html>`))

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MyPatients: audit trail</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + style + `</style></head>
<body><header><h1>Audit trail</h1>
<form method="post" action="` + Path + `logout"><input type="hidden" name="csrf" value="{{.CSRF}}">
{{.Auditor.Name}} <span class="muted">{{.Auditor.User}}</span> <button>Sign out</button></form></header>
{{with .Status}}<p class="muted">Chain head: record {{.Head}}; sealed by a signed checkpoint up to {{.Sealed}}{{with .LastCheckpoint}} ({{.Format "2006-01-02 15:04:05Z"}}){{end}}; {{.Entries}} entries kept in Redis.
{{range .Sinks}}<br>Shipped to {{.Name}}: up to {{.Shipped}}, {{.Behind}} waiting{{if .OldestWaiting}}, the oldest for {{printf "%.0f" .LagSeconds}} s{{end}}{{with .Error}}; <b>failing: {{.}}</b>{{end}}.{{end}}</p>{{end}}
{{with .StatusOf}}<p class="muted">{{.}}</p>{{end}}
<form method="get" action="` + Path + `"><fieldset><legend>Question</legend>
<label><input type="radio" name="q" value="patient"{{if eq .Q.Kind "patient"}} checked{{end}}> Every access to a patient (accounting of disclosures)</label>
<input name="patient" value="{{.Q.Patient}}" placeholder="child-01" size="12">
<label><input type="checkbox" name="all"{{if .Q.All}} checked{{end}}> also refusals and access changes</label><br>
<label><input type="radio" name="q" value="user"{{if eq .Q.Kind "user"}} checked{{end}}> Everything a user did</label>
<input name="user" value="{{.Q.User}}" placeholder="accounts:u-pcp" size="24"><br>
<label><input type="radio" name="q" value="refusals"{{if eq .Q.Kind "refusals"}} checked{{end}}> Every refusal, with its reason</label>
</fieldset><fieldset><legend>Time range (UTC; a date or an RFC 3339 time)</legend>
<label>From <input name="from" value="{{.Q.From}}" placeholder="2026-01-01"></label>
<label>To <input name="to" value="{{.Q.To}}" placeholder="2026-02-01"></label></fieldset>
<button>Ask</button></form>
{{with .Problem}}<p class="problem">{{.}}</p>{{end}}
{{if .Asked}}<h2>{{len .Rows}} record{{if ne (len .Rows) 1}}s{{end}}{{if .Cut}} (the first {{len .Rows}}; the export has them all){{end}}</h2>
<p><a href="{{.Export}}">Download as NDJSON of FHIR AuditEvent</a></p>
<table><tr><th>Time (UTC)</th><th>Event</th><th>Who</th><th>For</th><th>App</th><th>Patients</th><th>Disclosed</th><th>What</th><th>Decision</th><th>Rule or reason</th><th>Status</th></tr>
{{range .Rows}}<tr{{if .Failed}} class="failed"{{end}}><td>{{.Time}}</td><td>{{.Event}}</td><td>{{.Who}}</td><td>{{.For}}</td><td>{{.App}}</td><td>{{.Patients}}</td><td>{{.Disclosed}}</td><td>{{.What}}</td><td>{{.Decision}}</td><td>{{.Why}}</td><td>{{if .Status}}{{.Status}}{{end}}</td></tr>
{{end}}</table>{{end}}
<p class="muted">Answers come from the records the gateway still keeps in Redis; older ones are at the Audit Record Repository. Read only: nothing here changes the trail.</p>
</body></html>`))
