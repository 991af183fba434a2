package patientportal

import (
	"crypto/rsa"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/mypatients/gateway/web"
)

// Guardian is who acts in the demo portal: the portal authenticates its own users and tells
// the gateway who acted.
const Guardian = "mychildrens:demo-guardian"

// Options configure the demo portal.
type Options struct {
	// GatewayBase is the gateway's base URL; Prefix is where the portal is mounted on the
	// gateway's mux, e.g. "/demo/portal".
	GatewayBase, Prefix string
	// ClientID, KeyID and Key are the portal's registration at the gateway.
	ClientID, KeyID string
	Key             *rsa.PrivateKey
}

type portal struct {
	c      *client
	prefix string
}

// New returns the demo portal's handler, to be mounted at opts.Prefix + "/".
func New(opts Options) (http.Handler, error) {
	c, err := newClient(strings.TrimRight(opts.GatewayBase, "/"), opts.ClientID, opts.KeyID, opts.Key)
	if err != nil {
		return nil, err
	}
	p := &portal{c: c, prefix: opts.Prefix}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.prefix+"/{$}", p.home)
	mux.HandleFunc("POST "+p.prefix+"/decide", p.decide)
	mux.HandleFunc("POST "+p.prefix+"/revoke", p.revoke)
	mux.HandleFunc("POST "+p.prefix+"/invite", p.invite)
	return http.NewCrossOriginProtection().Handler(mux), nil
}

var idPattern = regexp.MustCompile(`^child-[0-9]{2}$`)

// view is everything the one page shows.
type view struct {
	Prefix, Patient, MRN, Guardian string
	Access                         map[string]any
	Views                          map[string]any
	Invitation                     map[string]any
	Message, Problem               string
}

func (p *portal) home(w http.ResponseWriter, r *http.Request) {
	v := view{Prefix: p.prefix, Patient: r.URL.Query().Get("patient"), Guardian: Guardian, Message: r.URL.Query().Get("msg")}
	if v.Patient != "" && idPattern.MatchString(v.Patient) {
		v.MRN = "MRN1000" + strings.TrimPrefix(v.Patient, "child-")
		if status, err := p.c.call(r.Context(), http.MethodGet, "/api/portal/patients/"+v.Patient+"/access", nil, &v.Access); err != nil || status != http.StatusOK {
			v.Problem = fmt.Sprintf("The gateway answered %d: %v %v", status, err, v.Access["message"])
			v.Access = nil
		}
		if status, err := p.c.call(r.Context(), http.MethodGet, "/api/portal/patients/"+v.Patient+"/views", nil, &v.Views); err != nil || status != http.StatusOK {
			v.Problem = fmt.Sprintf("The gateway answered %d: %v %v", status, err, v.Views["message"])
			v.Views = nil
		}
	}
	render(w, v)
}

func (p *portal) decide(w http.ResponseWriter, r *http.Request) {
	patient, id, action := r.PostFormValue("patient"), r.PostFormValue("request"), r.PostFormValue("action")
	var out map[string]any
	status, err := p.c.call(r.Context(), http.MethodPost,
		"/api/portal/patients/"+url.PathEscape(patient)+"/requests/"+url.PathEscape(id)+"/"+url.PathEscape(action),
		map[string]string{"by": Guardian}, &out)
	p.back(w, r, patient, status, err, out, "Request "+action+"d.")
}

func (p *portal) revoke(w http.ResponseWriter, r *http.Request) {
	patient := r.PostFormValue("patient")
	var out map[string]any
	status, err := p.c.call(r.Context(), http.MethodPost, "/api/portal/patients/"+url.PathEscape(patient)+"/grants/revoke",
		map[string]string{"clinician": r.PostFormValue("clinician"), "by": Guardian}, &out)
	p.back(w, r, patient, status, err, out, "Access revoked: it ends with the clinician's next request.")
}

func (p *portal) invite(w http.ResponseWriter, r *http.Request) {
	v := view{Prefix: p.prefix, Patient: r.PostFormValue("patient"), MRN: r.PostFormValue("mrn"), Guardian: Guardian}
	status, err := p.c.call(r.Context(), http.MethodPost, "/api/portal/patients/"+url.PathEscape(v.Patient)+"/invitations",
		map[string]string{"mrn": v.MRN, "email": r.PostFormValue("email"), "by": Guardian}, &v.Invitation)
	if err != nil || status != http.StatusCreated {
		v.Problem = fmt.Sprintf("The gateway answered %d: %v %v", status, err, v.Invitation["message"])
		v.Invitation = nil
	}
	render(w, v)
}

// back returns to the patient's page with the outcome of an action.
func (p *portal) back(w http.ResponseWriter, r *http.Request, patient string, status int, err error, out map[string]any, ok string) {
	msg := ok
	if err != nil || status != http.StatusOK {
		msg = fmt.Sprintf("Not done (%d): %v %v", status, err, out["message"])
	}
	http.Redirect(w, r, p.prefix+"/?"+url.Values{"patient": {patient}, "msg": {msg}}.Encode(), http.StatusSeeOther)
}

func render(w http.ResponseWriter, v view) { web.Write(w, http.StatusOK, page, v) }

var page = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MyChildren's (demo patient portal)</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.4}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.note{background:#eef6ee;padding:.5rem}.problem{background:#fbeaea;padding:.5rem}.token{font-size:1.6rem;font-family:monospace}</style>
</head><body>
<h1>MyChildren's <small>(demo patient portal)</small></h1>
<p>You are <b>{{.Guardian}}</b>, a guardian. This page plays the hospital's patient portal: it calls
the gateway's portal API as a SMART backend service (client_credentials, private_key_jwt).</p>
<form method="get" action="{{.Prefix}}/"><label>Child (child-01 … child-24):
<input name="patient" value="{{.Patient}}" pattern="child-[0-9]{2}" required></label> <button>Open</button></form>
{{with .Message}}<p class="note">{{.}}</p>{{end}}
{{with .Problem}}<p class="problem">{{.}}</p>{{end}}
{{with .Invitation}}
<h2>Invitation (print this and hand it to the clinician)</h2>
<p>Invitation token: <span class="token">{{.token}}</span><br>MRN: <b>{{.mrn}}</b><br>
Valid until {{.expires_at}}, once. In MyPatients: "Validate a Token", enter both.</p>
{{end}}
{{with .Access}}{{$p := $.Patient}}{{$pre := $.Prefix}}
<h2>Who asks to see {{$p}}</h2>
{{range .pending_requests}}<form method="post" action="{{$pre}}/decide"><p>{{.name}} ({{.practice}}, {{.email}}) asked on {{.created_at}}.
<input type="hidden" name="patient" value="{{$p}}"><input type="hidden" name="request" value="{{.id}}">
<button name="action" value="approve">Approve</button> <button name="action" value="deny">Deny</button></p></form>
{{else}}<p>No pending requests.</p>{{end}}
<h2>Who may see {{$p}}</h2>
<table><tr><th>Clinician</th><th>How</th><th>Since</th><th></th></tr>
{{range .grants}}<tr><td>{{.clinician}}</td><td>{{.how}}</td><td>{{.when}}</td><td>
<form method="post" action="{{$pre}}/revoke"><input type="hidden" name="patient" value="{{$p}}">
<input type="hidden" name="clinician" value="{{.clinician}}"><button>Revoke</button></form></td></tr>
{{else}}<tr><td colspan="4">Nobody through the portal (the child's PCP practice always can).</td></tr>{{end}}</table>
{{with $.Views}}<h2>Who has viewed {{$p}}'s record</h2>
<table><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Why they could</th></tr>
{{range .views}}<tr><td>{{.time}}</td><td>{{or .name .clinician}}{{with .role}}, {{.}}{{end}}{{with .on_behalf_of}} for {{or .name .clinician}}{{end}}</td>
<td>{{.what}} ({{.how}})</td><td>{{.basis}}</td></tr>
{{else}}<tr><td colspan="4">Nobody in the last year.</td></tr>{{end}}</table>{{end}}
<h2>Invite a clinician</h2>
<form method="post" action="{{$pre}}/invite"><input type="hidden" name="patient" value="{{$p}}">
<input type="hidden" name="mrn" value="{{$.MRN}}">
<label>Clinician's email (optional): <input type="email" name="email"></label> <button>Create invitation</button></form>
{{end}}
</body></html>`))
