package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules, after NIST SP 800-63B §3.1.1.2: a minimum length, a generous maximum (only
// to bound the hashing work one request can cause), no composition rules, and a check
// against passwords known to be common.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrWeakPassword wraps every reason a chosen password is refused; its text is for the user.
var ErrWeakPassword = errors.New("password refused")

// commonPasswords are the most common passwords of at least MinPasswordLength characters in
// public breach lists, plus the obvious ones of this service. A full breach corpus belongs in
// a later change; this list catches the choices people make first.
var commonPasswords = map[string]bool{
	"123456789012": true, "1234567890123": true, "12345678901234": true, "123456123456": true,
	"password1234": true, "password12345": true, "passwordpassword": true, "password123!": true,
	"qwertyuiop12": true, "qwertyuiopasdf": true, "qwerty123456": true, "1q2w3e4r5t6y": true,
	"iloveyou1234": true, "abcdefghijkl": true, "abc123abc123": true, "111111111111": true,
	"000000000000": true, "letmein12345": true, "welcome12345": true, "changeme1234": true,
	"mypatients123": true, "mypatients2026": true, "hospital1234": true, "nurse1234567": true,
	"correcthorsebatterystaple": true,
}

// CheckPassword says why password may not be chosen by the user named username, or nil.
func CheckPassword(password, username string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	switch {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: it is not valid text", ErrWeakPassword)
	case n < MinPasswordLength:
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Errorf("%w: use at most %d characters", ErrWeakPassword, MaxPasswordLength)
	case commonPasswords[lower]:
		return fmt.Errorf("%w: it is one of the most common passwords", ErrWeakPassword)
	case username != "" && strings.Contains(lower, strings.ToLower(username)):
		return fmt.Errorf("%w: it contains your username", ErrWeakPassword)
	}
	return nil
}

// Argon2id parameters: RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 4
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns password's argon2id hash in the PHC string format, which carries its
// own parameters so that they can be raised later without breaking stored hashes.
func hashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when there is no account, so that an unknown username costs
// the same time as a wrong password.
var dummyHash = func() string {
	h, err := hashPassword(rand.Text())
	if err != nil {
		panic(err)
	}
	return h
}()

// verifyPassword reports whether password matches the PHC-format argon2id hash encoded.
func verifyPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 16 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
