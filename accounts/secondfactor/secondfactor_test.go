package secondfactor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mypatients/gateway/accounts/sealed"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func newStore(t *testing.T, srv *redistest.Server) *Store {
	t.Helper()
	k, err := sealed.Derive(sealed.Generate(), "totp")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(srv.Client, Options{Prefix: "t:", TOTPKey: k, RPID: "localhost", Origin: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTOTPAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, s, acct := context.Background(), newStore(t, srv), "accounts:u-jo"
		en, err := s.BeginTOTP(ctx, acct, "jo@example.org")
		if err != nil || !strings.HasPrefix(en.URL, "otpauth://totp/MyPatients:jo@example.org?") || !strings.Contains(string(en.QR), "<svg") {
			t.Fatalf("BeginTOTP = %+v, %v", en, err)
		}
		if keys, _ := srv.Client.Keys(ctx, "*").Result(); strings.Contains(strings.Join(keys, " "), en.Secret) {
			t.Error("secret in a key name")
		}
		if again, err := s.PendingTOTP(ctx, acct); err != nil || again.Secret != en.Secret {
			t.Errorf("PendingTOTP = %+v, %v", again, err)
		}
		if err := s.ConfirmTOTP(ctx, acct, "phone", "000000"); !errors.Is(err, ErrWrongCode) {
			t.Errorf("confirm with a wrong code: %v", err)
		}
		now := time.Now()
		code, _ := totp.GenerateCodeCustom(en.Secret, now.Add(-30*time.Second), totpOpts)
		if err := s.ConfirmTOTP(ctx, acct, "phone", code); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		next, _ := totp.GenerateCodeCustom(en.Secret, now, totpOpts)
		for i, tc := range []struct {
			code string
			ok   bool
		}{{code, false}, {"12345", false}, {next, true}, {next, false}} {
			if err := s.CheckTOTP(ctx, acct, tc.code); (err == nil) != tc.ok {
				t.Errorf("check %d (%q): %v, want ok %v", i, tc.code, err, tc.ok)
			}
		}
		codes, err := s.NewRecoveryCodes(ctx, acct)
		if err != nil || len(codes) != RecoveryCodes {
			t.Fatalf("recovery codes %v, %v", codes, err)
		}
		if err := s.UseRecoveryCode(ctx, acct, strings.ToLower(strings.ReplaceAll(codes[3], "-", ""))); err != nil {
			t.Errorf("use a recovery code: %v", err)
		}
		if err := s.UseRecoveryCode(ctx, acct, codes[3]); !errors.Is(err, ErrWrongCode) {
			t.Errorf("a recovery code used twice: %v", err)
		}
		f, _ := s.Get(ctx, acct)
		if len(f.Recovery) != RecoveryCodes-1 || !f.Any() {
			t.Errorf("factors %+v", f)
		}
		if err := s.Remove(ctx, acct, f.TOTP[0].ID); !errors.Is(err, ErrLast) {
			t.Errorf("removing the only factor: %v", err)
		}
		if err := s.Reset(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.Get(ctx, acct); f.Any() || len(f.Recovery) > 0 {
			t.Errorf("after reset: %+v", f)
		}
	})
}

func TestPasskeyCeremonyOptions(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, s := context.Background(), newStore(t, srv)
		opts, err := s.BeginPasskey(ctx, "accounts:u-jo", "jo@example.org", "Jo Rivera")
		if err != nil || !strings.Contains(string(opts), `"rp":{"name":"MyPatients","id":"localhost"}`) ||
			!strings.Contains(string(opts), `"userVerification":"required"`) {
			t.Fatalf("BeginPasskey = %s, %v", opts, err)
		}
		// A sign-in needs a registered passkey; the ceremonies themselves run in a browser
		// with a virtual authenticator (test/js/accounts).
		if _, err := s.BeginPasskeyLogin(ctx, "accounts:u-jo"); !errors.Is(err, ErrWrongCode) {
			t.Errorf("passkey sign-in without a passkey: %v", err)
		}
	})
}
