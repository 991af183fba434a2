package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// TestPassCodes: a code is 8 digits, stored hashed, works once, says when it expired, and
// five wrong guesses use it up; concurrent guesses cannot share an attempt.
func TestPassCodes(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, s := context.Background(), NewStore(srv.Client, "t:", nil)
		code, err := s.IssuePassCode(ctx, "password", "Jo@Example.org", time.Minute)
		if err != nil || len(code) != PassCodeDigits || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("IssuePassCode = %q, %v", code, err)
		}
		if keys, _ := srv.Client.Keys(ctx, "*").Result(); len(keys) != 1 || strings.Contains(keys[0], "jo@") {
			t.Errorf("keys %v: want one, naming no address", keys)
		}
		raw, _ := srv.Client.Get(ctx, s.passCodeKey("password", "jo@example.org")).Result()
		if strings.Contains(raw, code) {
			t.Error("the code is stored in clear")
		}
		for i, tc := range []struct {
			purpose, username, code string
			want                    error
		}{
			{"second-factor", "jo@example.org", code, ErrPassCodeWrong}, // another flow's code
			{"password", "other@example.org", code, ErrPassCodeWrong},
			{"password", " JO@example.org", code, nil},
			{"password", "jo@example.org", code, ErrPassCodeWrong}, // used up
		} {
			if err := s.UsePassCode(ctx, tc.purpose, tc.username, tc.code); !errors.Is(err, tc.want) {
				t.Errorf("use %d: %v, want %v", i, err, tc.want)
			}
		}
		code, _ = s.IssuePassCode(ctx, "password", "jo@example.org", time.Minute)
		for i := range PassCodeAttempts {
			want := ErrPassCodeWrong
			if i == PassCodeAttempts-1 {
				want = ErrPassCodeUsedUp
			}
			if err := s.UsePassCode(ctx, "password", "jo@example.org", "99999999"); !errors.Is(err, want) && code != "99999999" {
				t.Errorf("wrong guess %d: %v, want %v", i+1, err, want)
			}
		}
		if err := s.UsePassCode(ctx, "password", "jo@example.org", code); !errors.Is(err, ErrPassCodeUsedUp) {
			t.Errorf("the right code after five wrong ones: %v", err)
		}
		code, _ = s.IssuePassCode(ctx, "password", "jo@example.org", time.Millisecond)
		time.Sleep(5 * time.Millisecond)
		if err := s.UsePassCode(ctx, "password", "jo@example.org", code); !errors.Is(err, ErrPassCodeExpired) {
			t.Errorf("an expired code: %v", err)
		}
	})
}

// TestSetupLinks: a re-sent link replaces the old one, and an expired one says so.
func TestSetupLinks(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, s := context.Background(), NewStore(srv.Client, "t:", nil)
		p := Profile{ID: "accounts:u-jo", Kind: KindClinician, Username: "jo@example.org", Email: "jo@example.org", Name: "Jo"}
		if err := errors.Join(s.SaveProfile(ctx, p), s.Claim(ctx, p.Username, p.ID)); err != nil {
			t.Fatal(err)
		}
		first, _ := s.IssueSetup(ctx, p.ID)
		second, _ := s.IssueSetup(ctx, p.ID)
		if _, err := s.SetupAccount(ctx, first); !errors.Is(err, ErrInvalidSetup) {
			t.Errorf("a replaced link: %v", err)
		}
		if got, err := s.SetupAccount(ctx, second); err != nil || got.ID != p.ID {
			t.Errorf("the new link: %+v, %v", got, err)
		}
		if err := srv.Client.Set(ctx, s.setupKey(second), `{"id":"accounts:u-jo","expires":"2020-01-01T00:00:00Z"}`, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetupAccount(ctx, second); !errors.Is(err, ErrSetupExpired) {
			t.Errorf("an expired link: %v", err)
		}
	})
}
