package uploads

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mypatients/gateway/accounts/sealed"
)

func TestPut(t *testing.T) {
	t.Parallel()
	key, _ := sealed.Derive(sealed.Generate(), "uploads")
	dir := Dir(t.TempDir())
	s := &Store{Blobs: dir, Key: key, MaxBytes: 1024}
	ctx := context.Background()
	pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
	for _, tc := range []struct {
		name string
		data []byte
		typ  string
		err  error
	}{
		{"pdf", pdf, "application/pdf", nil},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "image/jpeg", nil},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png", nil},
		{"windows executable", []byte("MZ\x90\x00\x03\x00\x00\x00%PDF-"), "", ErrType},
		{"ELF executable", []byte("\x7fELF\x02\x01\x01"), "", ErrType},
		{"zip", []byte("PK\x03\x04"), "", ErrType},
		{"html", []byte("<html><script>alert(1)</script>"), "", ErrType},
		{"empty", nil, "", ErrEmpty},
		{"too large", append(bytes.Clone(pdf), make([]byte, 1024)...), "", ErrTooLarge},
	} {
		d, err := s.Put(ctx, bytes.NewReader(tc.data))
		if !errors.Is(err, tc.err) || d.ContentType != tc.typ {
			t.Errorf("%s: %+v, %v; want %q, %v", tc.name, d, err, tc.typ, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		raw, _ := os.ReadFile(filepath.Join(string(dir), d.ID+".sealed"))
		if bytes.Contains(raw, tc.data[:3]) && tc.name == "pdf" {
			t.Errorf("%s: stored in clear", tc.name)
		}
		if got, err := s.Get(ctx, d.ID); err != nil || !bytes.Equal(got, tc.data) {
			t.Errorf("%s: Get = %v", tc.name, err)
		}
	}
	if _, err := s.Get(ctx, "../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("path traversal: %v", err)
	}
}
