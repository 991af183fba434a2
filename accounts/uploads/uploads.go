// Package uploads takes the documents registrants upload (the signed Certification &
// Agreement, a copy of an identity document, the Sponsorship Agreement): it accepts PDF, JPEG
// and PNG only, judged by their content and never by their name or declared type, refuses
// anything larger than the limit, and keeps them encrypted at rest (AES-256-GCM, package
// sealed) in a Blobs store: a directory today (Dir), an object store later. It knows nothing
// of registrations or pages.
package uploads

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mypatients/gateway/accounts/sealed"
)

// Blobs stores sealed documents by id. Dir implements it; an object store can too.
type Blobs interface {
	Put(ctx context.Context, id string, data []byte) error
	Get(ctx context.Context, id string) ([]byte, error)
	Delete(ctx context.Context, id string) error
}

// Errors of a refused upload; their text is for the registrant.
var (
	ErrType     = errors.New("only PDF, JPEG or PNG files are accepted")
	ErrTooLarge = errors.New("the file is too large")
	ErrEmpty    = errors.New("the file is empty")
	ErrNotFound = errors.New("uploads: no such document")
)

// Kinds of content accepted, by their first bytes.
var magic = []struct {
	prefix []byte
	typ    string
}{
	{[]byte("%PDF-"), "application/pdf"},
	{[]byte{0xFF, 0xD8, 0xFF}, "image/jpeg"},
	{[]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, "image/png"},
}

// Sniff returns the content type of data when it is a PDF, JPEG or PNG, judged by its magic
// bytes; anything else (an executable renamed .pdf, a ZIP, HTML, text) is ErrType.
func Sniff(data []byte) (string, error) {
	for _, m := range magic {
		if bytes.HasPrefix(data, m.prefix) {
			return m.typ, nil
		}
	}
	return "", ErrType
}

// Store checks and keeps documents.
type Store struct {
	Blobs Blobs
	Key   sealed.Key
	// MaxBytes is the largest document accepted.
	MaxBytes int64
}

// Document is a stored upload.
type Document struct {
	ID          string `json:"id"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Put reads one upload from r (at most MaxBytes), checks its content and stores it sealed.
func (s *Store) Put(ctx context.Context, r io.Reader) (Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.MaxBytes+1))
	if err != nil {
		return Document{}, fmt.Errorf("uploads: read: %w", err)
	}
	switch {
	case len(data) == 0:
		return Document{}, ErrEmpty
	case int64(len(data)) > s.MaxBytes:
		return Document{}, ErrTooLarge
	}
	typ, err := Sniff(data)
	if err != nil {
		return Document{}, err
	}
	d := Document{ID: rand.Text(), ContentType: typ, Size: int64(len(data))}
	if err := s.Blobs.Put(ctx, d.ID, s.Key.Seal(d.ID, data)); err != nil {
		return Document{}, err
	}
	return d, nil
}

// Get returns the content of document id.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	box, err := s.Blobs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Key.Open(id, box)
}

// Dir keeps blobs as files in a directory, one per id, readable by the gateway's user only.
type Dir string

var blobID = regexp.MustCompile(`^[A-Z2-7]{26}$`)

func (d Dir) path(id string) (string, error) {
	if !blobID.MatchString(id) {
		return "", ErrNotFound
	}
	return filepath.Join(string(d), id+".sealed"), nil
}

// Put writes a blob; a file written halfway is never seen under its name.
func (d Dir) Put(_ context.Context, id string, data []byte) error {
	p, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("uploads: write: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("uploads: write: %w", err)
	}
	return nil
}

// Get reads a blob.
func (d Dir) Get(_ context.Context, id string) ([]byte, error) {
	p, err := d.path(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("uploads: read: %w", err)
	}
	return b, nil
}

// Delete removes a blob; a missing one is already gone.
func (d Dir) Delete(_ context.Context, id string) error {
	p, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("uploads: delete: %w", err)
	}
	return nil
}
