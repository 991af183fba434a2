package smart

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/mypatients/gateway/smart/scope"
	"github.com/mypatients/gateway/web"
)

var pickerPage = template.Must(template.New("picker").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Choose a patient</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + web.Style + `</style></head>
<body><h1>Choose a patient</h1>
<p><strong>{{.Client}}</strong> will open the record of the patient you choose. You see only patients you may open.</p>
<form method="post" action="/login/patient">
<input type="hidden" name="pending" value="{{.Pending}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
{{range $i, $p := .Patients}}<p><label><input type="radio" name="patient" value="{{$p.ID}}"{{if eq $i 0}} checked{{end}}> {{$p.Name}}{{if $p.BirthDate}} <span class="muted">born {{$p.BirthDate}}</span>{{end}}</label></p>
{{end}}<p><button type="submit">Continue</button></p>
</form></body></html>`))

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allow access?</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + web.Style + `</style></head>
<body><h1>Allow {{.Client}}?</h1>
<p>Signed in as <strong>{{.User}}</strong>.{{if .Patient}} Patient: <strong>{{.Patient}}</strong>.{{end}}
Untick anything you do not want the app to have. MyPatients only ever lets apps read.</p>
<form method="post" action="/login/consent">
<input type="hidden" name="pending" value="{{.Pending}}"><input type="hidden" name="csrf" value="{{.CSRF}}">
{{range .Scopes}}<p><label><input type="checkbox" name="scope" value="{{.Value}}" checked> {{.Text}} <span class="muted">({{.Value}})</span></label></p>
{{end}}<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form></body></html>`))

type scopeChoice struct{ Value, Text string }

func (s *Server) clientName(id string) string {
	if c := s.clients[id]; c.Name != "" {
		return c.Name
	}
	return id
}

func (s *Server) showPicker(w http.ResponseWriter, id, binding string, p pending) {
	web.Write(w, http.StatusOK, pickerPage, map[string]any{
		"Client": s.clientName(p.Req.ClientID), "Pending": id, "CSRF": csrfToken(id, binding), "Patients": p.Patients,
	}, p.Req.RedirectURI)
}

func (s *Server) showConsent(w http.ResponseWriter, id, binding string, p pending) {
	var choices []scopeChoice
	for _, sc := range p.Req.Scopes {
		choices = append(choices, scopeChoice{Value: sc, Text: describeScope(sc)})
	}
	patient := p.Patient
	if p.Req.Launch != nil {
		patient = p.Req.Launch.Patient
	}
	for _, ps := range p.Patients {
		if ps.ID == patient {
			patient = ps.Name
		}
	}
	user := p.User.Username
	if user == "" {
		user = p.User.Subject
	}
	web.Write(w, http.StatusOK, consentPage, map[string]any{
		"Client": s.clientName(p.Req.ClientID), "User": user, "Patient": patient,
		"Pending": id, "CSRF": csrfToken(id, binding), "Scopes": choices,
	}, p.Req.RedirectURI)
}

// describeScope says what a scope lets the app do, in a clinician's words.
func describeScope(sc string) string {
	switch sc {
	case "openid", "fhirUser":
		return "Know who you are"
	case "launch", "launch/patient":
		return "Know which patient is open"
	case "offline_access":
		return "Keep access after you close the app"
	}
	r, ok, err := scope.ParseResource(sc)
	if !ok || err != nil {
		return sc
	}
	what := "all record types"
	if r.Type != "*" {
		what = r.Type + " records"
	}
	var verbs []string
	if strings.Contains(r.Perms, "r") {
		verbs = append(verbs, "read")
	}
	if strings.Contains(r.Perms, "s") {
		verbs = append(verbs, "search")
	}
	who := "of the patients you may see"
	if r.Context == "patient" {
		who = "of the chosen patient"
	}
	s := strings.Join(verbs, " and ") + " " + what + " " + who
	if r.Query != "" {
		s += ", only where " + r.Query
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
