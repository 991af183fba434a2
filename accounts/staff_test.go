package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func newStore(rdb redis.UniversalClient) *accounts.Store {
	return accounts.NewStore(rdb, "test:")
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
