// Package sealed encrypts the accounts provider's secrets at rest with AES-256-GCM under a
// configured key: uploaded documents and TOTP secrets. Each use derives its own subkey from the
// one key (HKDF-SHA256), and every sealed value is bound to its name (the additional data),
// so that a value moved to another name does not open. It stores nothing itself.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Key is a 256-bit AES key.
type Key struct{ aead cipher.AEAD }

// ErrOpen means a sealed value is corrupt, was sealed under another key, or under another name.
var ErrOpen = errors.New("sealed: value cannot be opened")

// Load reads a key file: 32 random bytes, or their hex (64 characters, as `openssl rand -hex
// 32` writes them).
func Load(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sealed: key: %w", err)
	}
	if s := strings.TrimSpace(string(b)); len(s) == 64 {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("sealed: key file %s: want 32 bytes or 64 hex characters", path)
	}
	return b, nil
}

// Generate returns a fresh random key, for the demo.
func Generate() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// Derive returns the key for one purpose ("uploads", "totp") from the master key.
func Derive(master []byte, purpose string) (Key, error) {
	k, err := hkdf.Key(sha256.New, master, nil, "mypatients accounts "+purpose, 32)
	if err != nil {
		return Key{}, fmt.Errorf("sealed: derive %s key: %w", purpose, err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return Key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, err
	}
	return Key{aead: aead}, nil
}

// Seal encrypts plain under name: a random nonce, then the ciphertext and tag.
func (k Key) Seal(name string, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, plain, []byte(name))
}

// Open decrypts a value sealed under name.
func (k Key) Open(name string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
