package portal

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/mypatients/gateway/portal/record"
)

// noteView is one note with its content ready to show.
type noteView struct {
	B       Banner
	Note    record.Note
	Kind    string
	Body    template.HTML
	PDFURL  string
	Problem string
}

func (p *Portal) notePage(w http.ResponseWriter, r request)  { p.showNote(w, r, "note") }
func (p *Portal) printNote(w http.ResponseWriter, r request) { p.showNote(w, r, "note-print") }

func (p *Portal) showNote(w http.ResponseWriter, r request, page string) {
	v, content, err := p.loadNote(r.Context(), r)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	switch v.Kind = content.Kind; v.Kind {
	case "text":
		v.Body = record.PlainText(content.Data)
	case "html":
		v.Body = record.SafeHTML(content.Data)
	case "pdf":
		v.PDFURL = "/portal/patients/" + url.PathEscape(v.B.ID) + "/notes/" + url.PathEscape(v.Note.ID) + "/pdf"
	default:
		v.Problem = "This note's format cannot be shown in MyPatients."
	}
	p.render(w, r.Request, r.sess, http.StatusOK, page, v)
}

// loadNote reads the Banner, the note (which must be this patient's) and its content.
func (p *Portal) loadNote(ctx context.Context, r request) (noteView, record.Content, error) {
	id, doc := r.PathValue("id"), r.PathValue("doc")
	b, err := p.loadBanner(ctx, r, id, "notes")
	if err != nil {
		return noteView{}, record.Content{}, err
	}
	raw, err := p.read(ctx, r, "DocumentReference", doc)
	if err != nil {
		return noteView{}, record.Content{}, err
	}
	notes, err := record.DecodeNotes([]json.RawMessage{raw})
	if err != nil || len(notes) != 1 {
		return noteView{}, record.Content{}, errors.Join(errRefused, err)
	}
	v := noteView{B: b, Note: notes[0]}
	if v.Note.Binary == "" {
		return v, record.Content{}, nil
	}
	bin, err := p.read(ctx, r, "Binary", v.Note.Binary)
	if err != nil {
		return noteView{}, record.Content{}, err
	}
	content, err := record.DecodeContent(bin)
	if errors.Is(err, record.ErrUnsupported) {
		return v, record.Content{}, nil
	}
	return v, content, err
}

// notePDF sends a PDF note to be opened inline by the browser's own viewer: verified to be a
// PDF, never cached, framable only by the portal's note page, and isolated from the portal.
func (p *Portal) notePDF(w http.ResponseWriter, r request) {
	v, content, err := p.loadNote(r.Context(), r)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	if content.Kind != "pdf" {
		p.message(w, r.Request, r.sess, http.StatusNotFound, "No PDF", "This note is not a PDF.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="note-`+safeName(v.Note.ID)+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	_, _ = w.Write(content.Data)
}

func safeName(s string) string {
	return string(slices.DeleteFunc([]rune(s), func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.')
	}))
}
