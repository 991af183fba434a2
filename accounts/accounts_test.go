package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"eleven char", false},
		{"twelve chars", true},
		{"ñandú ñandú ñ", true}, // 13 runes, counted as characters, not bytes
		{"ñandúñandú", false},   // 10 runes though 14 bytes
		{"PASSWORD1234", false}, // common, whatever the case
		{"correcthorsebatterystaple", false},
		{"all lower case and no digits", true}, // no composition rules
		{"my name is jo.rivera@example.org", false},
		{strings.Repeat("x", MaxPasswordLength+1), false},
		{"bad \xff utf-8 here", false},
	} {
		err := CheckPassword(tc.password, "Jo.Rivera@example.org")
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrWeakPassword)) {
			t.Errorf("CheckPassword(%q) = %v, want ok %v", tc.password, err, tc.ok)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := hashPassword("a long phrase only jo knows")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("a long phrase only jo knows")
	if h == h2 || !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hashes %q and %q: want salted argon2id", h, h2)
	}
	for _, tc := range []struct {
		password, hash string
		ok             bool
	}{
		{"a long phrase only jo knows", h, true},
		{"a long phrase only jo knew", h, false},
		{"a long phrase only jo knows", strings.Replace(h, "argon2id", "argon2i", 1), false},
		{"a long phrase only jo knows", strings.Replace(h, "m=65536", "m=999999999", 1), false},
		{"a long phrase only jo knows", "", false},
	} {
		if got := verifyPassword(tc.password, tc.hash); got != tc.ok {
			t.Errorf("verifyPassword(%q, %q) = %v", tc.password, tc.hash, got)
		}
	}
}

// world is a Store on a real (embedded) Redis with one sponsored staff member, jo.
type world struct {
	rdb      redis.UniversalClient
	trail    *audit.Trail
	sponsors *Store // the same store as logins, named for what the test does with it
	logins   *Store
	jo       Staff
}

func newWorld(t *testing.T, rdb redis.UniversalClient) *world {
	t.Helper()
	ctx := context.Background()
	store := NewStore(rdb, "t:", nil)
	w := &world{rdb: rdb, sponsors: store, logins: store, trail: audit.NewTrail(rdb, audit.TrailOptions{Prefix: "t:", Stream: "audit"})}
	jo := Staff{ID: "accounts:staff-jo", Name: "Jo Rivera", Role: "RN", Email: "Jo.Rivera@example.org",
		Sponsor: "accounts:u-pcp", SponsorPractitioner: "Practitioner/dr-patel"}
	if err := w.logins.Claim(ctx, jo.Email, jo.ID); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.jo, err = w.sponsors.Sponsor(ctx, jo, time.Now()); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSetupAndAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		w := newWorld(t, srv.Client)
		const pw = "a long phrase only jo knows"
		if err := w.logins.Claim(ctx, "jo.rivera@EXAMPLE.org ", "accounts:staff-other"); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("claiming a taken username (other case): %v", err)
		}
		token, err := w.logins.IssueSetup(ctx, w.jo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := w.rdb.Keys(ctx, "*"+token+"*").Result(); len(n) != 0 {
			t.Errorf("the set-up token is stored in clear: %v", n)
		}
		if _, err := w.logins.RedeemSetup(ctx, w.trail, token, "too short"); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("weak password: %v", err)
		}
		if _, ok, _ := w.logins.Authenticate(ctx, w.jo.Email, pw); ok {
			t.Error("signed in before setting a password")
		}
		if _, err := w.logins.RedeemSetup(ctx, w.trail, token, pw); err != nil {
			t.Fatalf("redeem (a weak password must not use the token up): %v", err)
		}
		if _, err := w.logins.RedeemSetup(ctx, w.trail, token, pw+" again"); !errors.Is(err, ErrInvalidSetup) {
			t.Errorf("second redemption: %v", err)
		}
		if recs, err := w.trail.Records(ctx, 0); err != nil || len(recs) != 1 || recs[0].Event != "staff.setup_link.use" ||
			recs[0].Outcome != audit.Success || recs[0].Subject != w.jo.ID || recs[0].Sponsor != w.jo.Sponsor {
			t.Errorf("set-up audit records: %+v %v", recs, err)
		}

		for _, tc := range []struct {
			name, username, password string
			setup                    func() error
			ok                       bool
		}{
			{"right", "JO.RIVERA@example.org", pw, nil, true},
			{"wrong password", w.jo.Email, pw + "!", nil, false},
			{"unknown user", "nobody@example.org", pw, nil, false},
			{"staff suspended by support", w.jo.Email, pw, func() error { return w.sponsors.Suspend(ctx, w.jo.ID) }, false},
			{"reinstated", w.jo.Email, pw, func() error { return w.sponsors.Reinstate(ctx, w.jo.ID) }, true},
			{"sponsor suspended", w.jo.Email, pw, func() error { return w.sponsors.Suspend(ctx, w.jo.Sponsor) }, false},
			{"sponsor reinstated", w.jo.Email, pw, func() error { return w.sponsors.Reinstate(ctx, w.jo.Sponsor) }, true},
			{"suspended by sponsor", w.jo.Email, pw, func() error { return w.setStatus(ctx, Suspended) }, false},
			{"removed", w.jo.Email, pw, func() error { return w.setStatus(ctx, Removed) }, false},
		} {
			if tc.setup != nil {
				if err := tc.setup(); err != nil {
					t.Fatal(err)
				}
			}
			st, ok, err := w.logins.Authenticate(ctx, tc.username, tc.password)
			// A suspended account's right password is told apart (ErrNotActive); nothing else is.
			if inactive := strings.Contains(tc.name, "suspended"); inactive != errors.Is(err, ErrNotActive) {
				t.Errorf("%s: Authenticate error %v", tc.name, err)
			} else if inactive {
				err = nil
			}
			if err != nil || ok != tc.ok || (ok && st.ID != w.jo.ID) {
				t.Errorf("%s: Authenticate = %v, %v, %v; want ok %v", tc.name, st.ID, ok, err, tc.ok)
			}
		}
		if err := w.logins.Claim(ctx, w.jo.Email, "accounts:staff-new"); err != nil {
			t.Errorf("the address of a removed account cannot be used again: %v", err)
		}
	})
}

func (w *world) setStatus(ctx context.Context, status string) error {
	_, err := w.sponsors.SetStatus(ctx, w.jo.Sponsor, w.jo.ID, status)
	return err
}

func TestSetupTokenRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		w := newWorld(t, srv.Client)
		expired, _ := w.logins.IssueSetup(ctx, w.jo.ID)
		if err := w.rdb.Del(ctx, w.logins.setupKey(expired)).Err(); err != nil { // what Redis's expiry does in the end
			t.Fatal(err)
		}
		replaced, _ := w.logins.IssueSetup(ctx, w.jo.ID)
		removed, _ := w.logins.IssueSetup(ctx, w.jo.ID)
		ttl, err := w.rdb.TTL(ctx, w.logins.setupKey(removed)).Result()
		if err != nil || ttl <= SetupTTL+setupKeep-time.Minute || ttl > SetupTTL+setupKeep {
			t.Errorf("set-up token TTL = %v, %v; want %v", ttl, err, SetupTTL+setupKeep)
		}
		if err := w.setStatus(ctx, Removed); err != nil {
			t.Fatal(err)
		}
		for name, token := range map[string]string{"expired": expired, "replaced by a newer link": replaced, "staff removed": removed, "unknown": "NOTATOKEN", "empty": ""} {
			if _, err := w.logins.RedeemSetup(ctx, w.trail, token, "a long phrase only jo knows"); !errors.Is(err, ErrInvalidSetup) {
				t.Errorf("%s token: %v", name, err)
			}
		}
	})
}
