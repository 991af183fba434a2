package record

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Note is a clinical note (DocumentReference) with where its content is.
type Note struct {
	ID, Title, Type, Author, Setting string
	Date                             time.Time
	Encounters                       []string
	// ContentType is the attachment's declared type; Binary its Binary's id.
	ContentType, Binary string
}

// Kind is how the note is shown: "text", "html", "pdf", or "" when the portal cannot show it.
func (n Note) Kind() string { return kindOf(n.ContentType) }

func kindOf(ct string) string {
	switch mediaType(ct) {
	case "text/plain":
		return "text"
	case "text/html":
		return "html"
	case "application/pdf":
		return "pdf"
	}
	return ""
}

func mediaType(ct string) string {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' || ct[i] == ' ' {
			return ct[:i]
		}
	}
	return ct
}

// DecodeNotes decodes the current DocumentReferences among raws, newest first.
func DecodeNotes(raws []json.RawMessage) ([]Note, error) {
	ds, err := decodeAll(raws, "DocumentReference", fhir.UnmarshalDocumentReference)
	if err != nil {
		return nil, err
	}
	var out []Note
	for _, d := range ds {
		if d.Status.Code() == "entered-in-error" {
			continue
		}
		n := Note{ID: str(d.Id), Title: str(d.Description), Type: text(d.Type)}
		n.Date, _ = instant(d.Date)
		if len(d.Author) > 0 {
			n.Author = display(&d.Author[0])
		}
		if d.Context != nil {
			n.Setting = text(d.Context.PracticeSetting)
			for _, e := range d.Context.Encounter {
				if id := refID(&e, "Encounter"); id != "" {
					n.Encounters = append(n.Encounters, id)
				}
			}
		}
		for _, c := range d.Content {
			if id := refID(&fhir.Reference{Reference: c.Attachment.Url}, "Binary"); id != "" && kindOf(str(c.Attachment.ContentType)) != "" {
				n.Binary, n.ContentType = id, str(c.Attachment.ContentType)
				if n.Title == "" {
					n.Title = str(c.Attachment.Title)
				}
				break
			}
		}
		if n.Title == "" {
			n.Title = n.Type
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b Note) int { return b.Date.Compare(a.Date) })
	return out, nil
}

// Content is a note's content, decoded from its Binary.
type Content struct {
	Kind string // "text", "html" or "pdf"
	Data []byte
}

// ErrUnsupported is a note whose content the portal does not show (not text, HTML or PDF, or
// a PDF that is not one).
var ErrUnsupported = errors.New("record: this note's format cannot be shown")

// DecodeContent decodes a Binary's content. A PDF must start like one: the declared type is
// never trusted alone for what the browser is told to open.
func DecodeContent(raw json.RawMessage) (Content, error) {
	b, err := decode(raw, "Binary", fhir.UnmarshalBinary)
	if err != nil {
		return Content{}, err
	}
	data, err := base64.StdEncoding.DecodeString(str(b.Data))
	if err != nil {
		return Content{}, fmt.Errorf("record: Binary data: %w", err)
	}
	c := Content{Kind: kindOf(b.ContentType), Data: data}
	if c.Kind == "" || (c.Kind == "pdf" && !isPDF(data)) {
		return Content{}, ErrUnsupported
	}
	return c, nil
}

func isPDF(b []byte) bool { return len(b) > 5 && string(b[:5]) == "%PDF-" }
