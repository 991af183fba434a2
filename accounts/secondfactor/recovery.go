package secondfactor

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// RecoveryCodes is how many one-time recovery codes an account gets at a time.
const RecoveryCodes = 10

// normalizeRecovery makes "abcd-efgh-ij" and "ABCDEFGHIJ" the same code.
func normalizeRecovery(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

func hashRecovery(code string) string {
	sum := sha256.Sum256([]byte("recovery:" + normalizeRecovery(code)))
	return hex.EncodeToString(sum[:])
}

// NewRecoveryCodes replaces account's recovery codes with new ones and returns them, for
// the user to keep; only their hashes are stored. Each has 80 random bits (rand.Text's base32
// alphabet), so a fast hash suffices.
func (s *Store) NewRecoveryCodes(ctx context.Context, account string) ([]string, error) {
	codes := make([]string, RecoveryCodes)
	hashes := make([]string, RecoveryCodes)
	for i := range codes {
		c := rand.Text()[:16]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
		hashes[i] = hashRecovery(codes[i])
	}
	return codes, s.update(ctx, account, func(f *Factors) error { f.Recovery = hashes; return nil })
}

// UseRecoveryCode accepts one unused recovery code of account and uses it up.
func (s *Store) UseRecoveryCode(ctx context.Context, account, code string) error {
	want := hashRecovery(code)
	return s.update(ctx, account, func(f *Factors) error {
		for i, h := range f.Recovery {
			if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
				f.Recovery = append(f.Recovery[:i], f.Recovery[i+1:]...)
				return nil
			}
		}
		return ErrWrongCode
	})
}
