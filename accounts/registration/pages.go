package registration

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/accounts/uploads"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/limits"
	"github.com/mypatients/gateway/web"
)

// Paths of the pages.
const (
	Path       = "/accounts/register"
	verifyPath = Path + "/verify"
	statusPath = Path + "/status"
)

// Credentials a registrant may hold.
var Credentials = []string{"MD", "DO", "NP", "PA"}

// Rule is how many registrations one client address may send: Pages.Limit counts it.
var Rule = limits.Rule{Name: "register", Limit: 10, Window: time.Hour}

// Pages serves the registration form, the email link and the status page.
type Pages struct {
	Store    *Store
	Accounts *accounts.Store
	Uploads  *uploads.Store
	Limit    *limits.Limiter
	Proxies  limits.Proxies
	Mail     Mailer
	Audit    audit.Writer
	BaseURL  string
	Logger   *slog.Logger
}

var csrf = web.CSRF{Cookie: "mp_csrf_register", Path: Path}

var pages = template.Must(template.New("head").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}} – MyPatients</title>
<style>` + web.Style + `</style></head><body><main><h1>{{.Title}}</h1>
{{with .Error}}<p role="alert">{{.}}</p>{{end}}`))

var _ = template.Must(pages.New("form").Parse(`{{template "head" .}}
<p>MyPatients accounts are for physicians (MD, DO), nurse practitioners (NP) and physician assistants (PA)
who refer children to the hospital. The support team checks every request; you will hear from us by email.</p>
{{with .Problems}}<ul role="alert">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post" action="` + Path + `" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="name">Full name</label><input id="name" name="name" value="{{.F.name}}" autocomplete="name" required maxlength="200">
<label for="credentials">Credentials</label><select id="credentials" name="credentials" required>
{{range .Credentials}}<option{{if eq . $.F.credentials}} selected{{end}}>{{.}}</option>{{end}}</select>
<label for="npi">NPI (10 digits)</label><input id="npi" name="npi" value="{{.F.npi}}" inputmode="numeric" pattern="[0-9]{10}" required>
<label for="practice">Practice name</label><input id="practice" name="practice" value="{{.F.practice}}" required maxlength="200">
<label for="address">Practice address</label><textarea id="address" name="practice_address" required maxlength="300">{{.F.practice_address}}</textarea>
<label for="pphone">Practice phone</label><input id="pphone" name="practice_phone" value="{{.F.practice_phone}}" type="tel" required maxlength="40">
<label for="phone">Your direct phone (optional)</label><input id="phone" name="phone" value="{{.F.phone}}" type="tel" maxlength="40">
<label for="email">Email address (your username)</label><input id="email" name="email" value="{{.F.email}}" type="email" autocomplete="email" required>
<h2>Documents</h2><p>PDF, JPEG or PNG, at most {{.MaxMB}} MB each.</p>
<label for="certification">Signed Certification &amp; Agreement</label><input id="certification" name="certification" type="file" accept="application/pdf,image/jpeg,image/png" required>
<label for="identity">Copy of your driver's license or passport</label><input id="identity" name="identity" type="file" accept="application/pdf,image/jpeg,image/png" required>
<p><label><input type="checkbox" name="sponsorship" value="yes"{{if .F.sponsorship}} checked{{end}}> I ask for sponsorship privileges (my staff may see what I see)</label></p>
<label for="sponsorship">Signed Sponsorship Agreement (if you ask for sponsorship)</label><input id="sponsorship" name="sponsorship_agreement" type="file" accept="application/pdf,image/jpeg,image/png">
<button type="submit">Send my registration</button></form>
</main></body></html>`))

var _ = template.Must(pages.New("status").Parse(`{{template "head" .}}
{{with .Notice}}<p class="ok" role="status">{{.}}</p>{{end}}
<p>Registration of <strong>{{.R.Name}}</strong>, received {{.R.CreatedAt.Format "2 January 2006"}}.</p>
<p id="registration-status"><strong>{{.StatusText}}</strong></p>
{{with .Reason}}<p>{{.}}</p>{{end}}{{with .R.Note}}<p>Note from the support team: {{.}}</p>{{end}}
{{with .StatusURL}}<p>Keep this link to see where your request stands: <a href="{{.}}">{{.}}</a></p>{{end}}
</main></body></html>`))

var _ = template.Must(pages.New("message").Parse(`{{template "head" .}}<p>{{.Text}}</p></main></body></html>`))

var statusText = map[string]string{
	Unverified: "Waiting for you to confirm your email address: open the link we emailed you.",
	Pending:    "Your email address is confirmed. The support team is checking your request.",
	Approved:   "Approved. We emailed you a link to set up your login.",
	Rejected:   "Not approved.",
}

// Register adds the pages to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, p.showForm)
	mux.HandleFunc("POST "+Path, p.submit)
	mux.HandleFunc("GET "+verifyPath, p.verify)
	mux.HandleFunc("GET "+statusPath, p.status)
}

func (p *Pages) render(w http.ResponseWriter, status int, name string, d map[string]any) {
	web.Write(w, status, pages.Lookup(name), d)
}

func (p *Pages) message(w http.ResponseWriter, status int, title, text string) {
	p.render(w, status, "message", map[string]any{"Title": title, "Text": text})
}

func (p *Pages) showForm(w http.ResponseWriter, r *http.Request) {
	p.form(w, http.StatusOK, csrf.Issue(w, r), map[string]any{}, nil)
}

func (p *Pages) form(w http.ResponseWriter, status int, token string, fields map[string]any, problems []string) {
	p.render(w, status, "form", map[string]any{"Title": "Register for MyPatients", "CSRF": token, "F": fields,
		"Problems": problems, "Credentials": Credentials, "MaxMB": p.Uploads.MaxBytes >> 20})
}

// submit checks the form and its documents, stores them sealed, and mails the email link.
func (p *Pages) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 3*p.Uploads.MaxBytes+(256<<10))
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.message(w, http.StatusRequestEntityTooLarge, "Files too large", "The documents are too large together. Each may be at most "+
				strconv.FormatInt(p.Uploads.MaxBytes>>20, 10)+" MB.")
			return
		}
		p.message(w, http.StatusBadRequest, "Bad request", "The form could not be read. Go back and try again.")
		return
	}
	defer r.MultipartForm.RemoveAll()
	if !csrf.Check(r) {
		p.message(w, http.StatusForbidden, "Form expired", "The form expired. Go back, reload the page and try again.")
		return
	}
	ctx := r.Context()
	if res, err := p.Limit.Take(ctx, p.Proxies.Addr(r)); err != nil || !res.Allowed {
		p.failed(w, r, err, http.StatusTooManyRequests, "Too many registrations from your network. Try again in an hour.")
		return
	}
	reg, fields, problems := read(r)
	if len(problems) == 0 {
		reg.Documents, problems = p.documents(ctx, r, reg.Sponsorship)
	}
	if len(problems) > 0 {
		p.form(w, http.StatusBadRequest, r.PostForm.Get("csrf"), fields, problems)
		return
	}
	reg, verify, status, err := p.Store.Add(ctx, reg)
	if err == nil {
		err = p.mailLink(ctx, reg, verify, status)
	}
	if err == nil {
		err = audit.WriteAction(ctx, p.Audit, audit.Action{Event: "account.register", Subject: "registration:" + reg.ID,
			Outcome: audit.Success, Client: "accounts-registration", Source: p.Proxies.Addr(r)})
	}
	if err != nil {
		p.failed(w, r, err, 0, "")
		return
	}
	p.render(w, http.StatusOK, "status", map[string]any{"Title": "Check your email", "R": reg, "StatusText": statusText[reg.Status],
		"Notice": "Thank you. We emailed " + reg.Email + " a link to confirm your address.", "StatusURL": p.BaseURL + statusPath + "?token=" + status})
}

// mailLink mails the email link, or, when the address already has an account, says so to
// that address instead: the page is the same either way.
func (p *Pages) mailLink(ctx context.Context, reg Registration, verify, status string) error {
	owner, err := p.Accounts.UsernameOwner(ctx, reg.Email)
	if err != nil {
		return err
	}
	if owner != "" {
		return p.Mail.Enqueue(ctx, msgAlreadyRegistered(reg.Email, p.BaseURL))
	}
	return p.Mail.Enqueue(ctx, msgVerify(reg.Email, reg.Name, p.BaseURL+verifyPath+"?token="+verify, p.BaseURL+statusPath+"?token="+status))
}

// documents checks and stores the uploaded documents; a refused one is named in problems.
func (p *Pages) documents(ctx context.Context, r *http.Request, sponsorship bool) ([]Document, []string) {
	wanted := []struct{ field, kind, label string }{
		{"certification", DocCertification, "the signed Certification & Agreement"},
		{"identity", DocIdentity, "the copy of your driver's license or passport"},
	}
	if sponsorship {
		wanted = append(wanted, struct{ field, kind, label string }{"sponsorship_agreement", DocSponsorship, "the signed Sponsorship Agreement"})
	}
	var docs []Document
	var problems []string
	for _, want := range wanted {
		f, _, err := r.FormFile(want.field)
		if err != nil {
			problems = append(problems, "Attach "+want.label+".")
			continue
		}
		d, err := p.Uploads.Put(ctx, f)
		f.Close()
		switch {
		case errors.Is(err, uploads.ErrType), errors.Is(err, uploads.ErrTooLarge), errors.Is(err, uploads.ErrEmpty):
			problems = append(problems, "We could not accept "+want.label+": "+err.Error()+".")
		case err != nil:
			problems = append(problems, "We could not store "+want.label+"; try again later.")
			p.Logger.ErrorContext(ctx, "store an upload", "part", "accounts", "err", err)
		default:
			docs = append(docs, Document{Kind: want.kind, Document: d})
		}
	}
	if len(problems) > 0 {
		for _, d := range docs {
			_ = p.Uploads.Blobs.Delete(ctx, d.ID)
		}
		return nil, problems
	}
	return docs, nil
}

// read takes the registration's fields from the form, with what is wrong with them.
func read(r *http.Request) (Registration, map[string]any, []string) {
	f := r.PostForm
	get := func(k string, n int) string {
		v := strings.TrimSpace(f.Get(k))
		if len(v) > n {
			v = v[:n]
		}
		return v
	}
	reg := Registration{Name: get("name", 200), Credentials: get("credentials", 4), NPI: get("npi", 10), Practice: get("practice", 200),
		Address: get("practice_address", 300), PracticeTel: get("practice_phone", 40), Phone: get("phone", 40),
		Email: get("email", 254), Sponsorship: f.Get("sponsorship") == "yes"}
	fields := map[string]any{"name": reg.Name, "credentials": reg.Credentials, "npi": reg.NPI, "practice": reg.Practice,
		"practice_address": reg.Address, "practice_phone": reg.PracticeTel, "phone": reg.Phone, "email": reg.Email, "sponsorship": reg.Sponsorship}
	var problems []string
	if reg.Name == "" || reg.Practice == "" || reg.Address == "" || reg.PracticeTel == "" {
		problems = append(problems, "Fill in your name and your practice's name, address and phone.")
	}
	if !validCredentials(reg.Credentials) {
		problems = append(problems, "Choose your credentials: MD, DO, NP or PA.")
	}
	if !ValidNPI(reg.NPI) {
		problems = append(problems, "The NPI must be 10 digits with a valid check digit.")
	}
	if a, err := mail.ParseAddress(reg.Email); err != nil || a.Address != reg.Email {
		problems = append(problems, "Give a valid email address.")
	}
	return reg, fields, problems
}

func validCredentials(c string) bool {
	for _, ok := range Credentials {
		if c == ok {
			return true
		}
	}
	return false
}

// ValidNPI checks an NPI: 10 digits whose last is the Luhn check digit of the other nine
// prefixed with 80840 (CMS, "Requirements for NPI check digit").
func ValidNPI(npi string) bool {
	if len(npi) != 10 || strings.Trim(npi, "0123456789") != "" {
		return false
	}
	sum := 24 // the contribution of the prefix 80840
	for i := 8; i >= 0; i-- {
		d := int(npi[i] - '0')
		if (8-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == int(npi[9]-'0')
}

func (p *Pages) verify(w http.ResponseWriter, r *http.Request) {
	reg, err := p.Store.Verify(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, ErrNotFound) {
		p.message(w, http.StatusBadRequest, "Link not valid", "This link was used already or has expired. Use the status link from your email to see where your request stands, or register again.")
		return
	}
	if err != nil {
		p.failed(w, r, err, 0, "")
		return
	}
	p.render(w, http.StatusOK, "status", map[string]any{"Title": "Email address confirmed", "R": reg, "StatusText": statusText[reg.Status]})
}

func (p *Pages) status(w http.ResponseWriter, r *http.Request) {
	reg, err := p.Store.ByStatusLink(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, ErrNotFound) {
		p.message(w, http.StatusNotFound, "Link not valid", "This status link is not valid.")
		return
	}
	if err != nil {
		p.failed(w, r, err, 0, "")
		return
	}
	p.render(w, http.StatusOK, "status", map[string]any{"Title": "Your registration", "R": reg, "StatusText": statusText[reg.Status],
		"Reason": RejectReasons[reg.Reason]})
}

func (p *Pages) failed(w http.ResponseWriter, r *http.Request, err error, status int, msg string) {
	if err == nil && status != 0 {
		w.Header().Set("Retry-After", "3600")
		p.message(w, status, "Try again later", msg)
		return
	}
	p.Logger.ErrorContext(r.Context(), "registration failed", "part", "accounts", "err", err)
	p.message(w, http.StatusServiceUnavailable, "Try again later", "Something went wrong on our side. Try again in a few minutes.")
}
