package app

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// Each page is the layout plus its own "content"; html/template escapes everything from the
// gateway (FHIR data, error texts) for the context it lands in.
var (
	homePage     = page("home.html")
	patientsPage = page("patients.html")
	patientPage  = page("patient.html")
	messagePage  = page("message.html")
	styleCSS     = mustRead("templates/style.css")
)

func page(name string) *template.Template {
	return template.Must(template.New(name).ParseFS(files, "templates/layout.html", "templates/"+name))
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// render executes a page into a buffer first, so a template error yields a clean 500 instead
// of half a page.
func (a *app) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		a.log.Error("render page", "page", t.Name(), "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// showMessage renders a page with one plain sentence: errors and refusals are told, not coded.
func (a *app) showMessage(w http.ResponseWriter, status int, title, text string) {
	a.render(w, status, messagePage, struct{ Title, Text string }{title, text})
}

func handleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(styleCSS)
}

// demoUser is one line of the home page's table of demo users (demo world, demo/ehr/README.md).
type demoUser struct {
	Username, IdP, Who, Sees string
}

var demoUsers = []demoUser{
	{"pcp", "MyPatients accounts", "Dr. Priya Patel, pediatrician at Maple Street Pediatrics",
		"child-01 to child-09: her own patients and those of her practice colleague."},
	{"colleague", "MyPatients accounts", "Dr. Chidi Okafor, Maple Street Pediatrics",
		"child-01 to child-09, like pcp: same practice."},
	{"pcp2", "MyPatients accounts", "Dr. Ingrid Lindqvist, Harbor Family Medicine",
		"child-10 to child-15 (child-15 through the practice itself)."},
	{"specialist", "MyPatients accounts", "Dr. Claire Moreau, Lakeside Cardiology Associates",
		"Nobody at first: she is no one's primary care provider. Request access from a family, or validate an invitation token, and approve it in the demo patient portal."},
	{"staff", "MyPatients accounts", "Rosa Garcia, RN; no practitioner record in the EHR",
		"Exactly what pcp sees: her account is sponsored by pcp."},
	{"hospdoc", "Children's ID", "Dr. Samir Haddad, Children's Hospital Primary Care Clinic",
		"child-16 to child-18."},
}

type homeView struct {
	ClientID, Gateway, FHIRBase string
	SignedIn                    bool
	Users                       []demoUser
}

// handleHome explains the demo and offers the sign-in.
func (a *app) handleHome(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := a.sessions.get(r)
	a.render(w, http.StatusOK, homePage, homeView{
		ClientID: a.opts.ClientID, Gateway: a.opts.GatewayBase, FHIRBase: a.fhirBase,
		SignedIn: ok && sess.Token != "", Users: demoUsers,
	})
}
