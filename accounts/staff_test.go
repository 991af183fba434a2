package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func newStore(rdb redis.UniversalClient) *accounts.Store {
	return accounts.NewStore(rdb, "test:", nil)
}

func TestSponsorship(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := newStore(srv.Client)
		rosa := accounts.Staff{ID: "accounts:u-staff", Name: "Rosa Garcia, RN", Role: "RN", Email: "rosa@example.org",
			Sponsor: "accounts:u-pcp", SponsorPractitioner: "Practitioner/dr-patel"}
		if _, err := s.Sponsor(ctx, rosa, time.Now()); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, rosa.ID)
		if err != nil || got.Status != accounts.Active || got.Sponsor != rosa.Sponsor {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		// Staff cannot accounts.
		sub := accounts.Staff{ID: "accounts:staff-x", Sponsor: rosa.ID, SponsorPractitioner: "Practitioner/none"}
		if _, err := s.Sponsor(ctx, sub, time.Now()); !errors.Is(err, accounts.ErrStaffOnly) {
			t.Errorf("staff sponsoring: %v", err)
		}
		if _, err := s.Get(ctx, "accounts:u-pcp"); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("a provider is not staff: %v", err)
		}
		if _, err := s.SetStatus(ctx, "accounts:u-pcp2", rosa.ID, accounts.Suspended); !errors.Is(err, accounts.ErrNotYours) {
			t.Errorf("another provider suspending pcp's staff: %v", err)
		}
		for _, status := range []string{accounts.Suspended, accounts.Active, accounts.Removed} {
			if st, err := s.SetStatus(ctx, "accounts:u-pcp", rosa.ID, status); err != nil || st.Status != status {
				t.Errorf("SetStatus(%s) = %+v, %v", status, st, err)
			}
		}
		for _, status := range []string{accounts.Active, accounts.Suspended, accounts.Removed} {
			if _, err := s.SetStatus(ctx, "accounts:u-pcp", rosa.ID, status); !errors.Is(err, accounts.ErrRemovedFinal) {
				t.Errorf("a removed account changed to %s: %v", status, err)
			}
		}
		list, err := s.List(ctx, "accounts:u-pcp")
		if err != nil || len(list) != 1 || list[0].Status != accounts.Removed {
			t.Errorf("List = %+v, %v", list, err)
		}

		for _, step := range []struct {
			do   func(context.Context, string) error
			want string
		}{{s.Suspend, accounts.Suspended}, {s.Reinstate, accounts.Active}} {
			if err := step.do(ctx, "accounts:u-pcp"); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Standing(ctx, "accounts:u-pcp"); err != nil || got != step.want {
				t.Errorf("Standing = %q, %v; want %q", got, err, step.want)
			}
		}
	})
}

// TestCheckStanding: every reason an account may not act, each with its own code.
func TestCheckStanding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s := newStore(srv.Client)
		rosa := accounts.Staff{ID: "accounts:u-staff", Email: "rosa@example.org", Sponsor: "accounts:u-pcp", SponsorPractitioner: "Practitioner/dr-patel"}
		if _, err := s.Sponsor(ctx, rosa, time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			do         func() error
			user, want string
		}{
			{func() error { return nil }, rosa.ID, ""},
			{func() error { return nil }, "accounts:u-pcp", ""},
			{func() error { return s.Suspend(ctx, "accounts:u-pcp") }, rosa.ID, accounts.ReasonSponsorSuspended},
			{func() error { return nil }, "accounts:u-pcp", accounts.ReasonSuspended},
			{func() error { return s.Reinstate(ctx, "accounts:u-pcp") }, rosa.ID, ""},
			{func() error { return s.Suspend(ctx, rosa.ID) }, rosa.ID, accounts.ReasonSuspended},
			{func() error { return s.Reinstate(ctx, rosa.ID) }, rosa.ID, ""},
			{func() error { _, err := s.SetStatus(ctx, rosa.Sponsor, rosa.ID, accounts.Suspended); return err }, rosa.ID, accounts.ReasonStaffSuspended},
			{func() error { _, err := s.SetStatus(ctx, rosa.Sponsor, rosa.ID, accounts.Removed); return err }, rosa.ID, accounts.ReasonRemoved},
		} {
			if err := step.do(); err != nil {
				t.Fatal(err)
			}
			err := s.CheckStanding(ctx, step.user)
			var se accounts.StandingError
			switch {
			case step.want == "" && err != nil:
				t.Errorf("%s: %v, want good standing", step.user, err)
			case step.want != "" && (!errors.As(err, &se) || se.Reason != step.want || !errors.Is(err, gateway.ErrForbidden)):
				t.Errorf("%s: %v, want %s", step.user, err, step.want)
			}
		}
	})
}
