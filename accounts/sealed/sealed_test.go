package sealed

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	master := Generate()
	k, _ := Derive(master, "uploads")
	other, _ := Derive(master, "totp")
	box := k.Seal("doc-1", []byte("licence scan"))
	if bytes.Contains(box, []byte("licence")) {
		t.Fatal("plain text in the sealed value")
	}
	if got, err := k.Open("doc-1", box); err != nil || string(got) != "licence scan" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(box)
	tampered[len(tampered)-1] ^= 1
	for name, tc := range map[string]struct {
		key  Key
		name string
		box  []byte
	}{"other name": {k, "doc-2", box}, "other purpose": {other, "doc-1", box}, "tampered": {k, "doc-1", tampered}, "short": {k, "doc-1", box[:5]}} {
		if _, err := tc.key.Open(tc.name, tc.box); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if k, err := Load(write("hex", strings.Repeat("ab", 32)+"\n")); err != nil || len(k) != 32 || k[0] != 0xab {
		t.Errorf("hex key: %x %v", k, err)
	}
	if k, err := Load(write("raw", strings.Repeat("k", 32))); err != nil || len(k) != 32 {
		t.Errorf("raw key: %v", err)
	}
	if _, err := Load(write("short", "too short")); err == nil {
		t.Error("a short key was accepted")
	}
}
