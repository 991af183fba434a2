package accounts_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestValidUserID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"accounts:u-pcp": true, "childrens:c-hospdoc": true,
		"u-pcp": false, ":u-pcp": false, "accounts:": false, "accounts:u pcp": false, "accounts:u\x7f": false,
		"accounts:" + string(make([]byte, 200)): false,
	} {
		if got := accounts.ValidUserID(id); got != ok {
			t.Errorf("ValidUserID(%q) = %v, want %v", id, got, ok)
		}
	}
}

// TestChangeStanding: the support team's suspension and reinstatement take effect and leave
// one audit record each, naming the sponsor of a staff account; a change whose record cannot
// be stored is not made.
func TestChangeStanding(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		s := newStore(srv.Client)
		rosa := accounts.Staff{ID: "accounts:u-staff", Name: "Rosa Garcia, RN", Role: "RN", Email: "rosa@example.org",
			Sponsor: "accounts:u-pcp", SponsorPractitioner: "Practitioner/dr-patel"}
		if _, err := s.Sponsor(ctx, rosa, time.Now()); err != nil {
			t.Fatal(err)
		}
		trail := audit.NewTrail(srv.Client, audit.TrailOptions{Prefix: "test:", Stream: "audit"})
		steps := []struct {
			ch       accounts.StandingChange
			standing string
		}{
			{accounts.StandingChange{Account: rosa.ID, Suspend: true, Reason: "review", Actor: "sam", Client: "cli"}, accounts.Suspended},
			{accounts.StandingChange{Account: rosa.ID, Reason: "done", Actor: "sam", Client: "cli"}, accounts.Active},
			{accounts.StandingChange{Account: "accounts:u-pcp", Suspend: true, Reason: "licence", Actor: "kim", Client: "cli"}, accounts.Suspended},
		}
		for _, step := range steps {
			if err := s.ChangeStanding(ctx, trail, step.ch); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Standing(ctx, step.ch.Account); err != nil || got != step.standing {
				t.Errorf("%+v: standing %q, %v; want %q", step.ch, got, err, step.standing)
			}
		}
		recs, err := trail.Records(ctx, 0)
		if err != nil || len(recs) != 3 {
			t.Fatalf("records %+v, %v; want 3", recs, err)
		}
		for i, want := range []struct{ event, sponsor, note string }{
			{"account.suspend", rosa.Sponsor, "review"}, {"account.reinstate", rosa.Sponsor, "done"}, {"account.suspend", "", "licence"},
		} {
			r := recs[i]
			if r.Event != want.event || r.Sponsor != want.sponsor || r.Note != want.note || r.Outcome != audit.Success ||
				r.Actor != "support:"+steps[i].ch.Actor || r.Client != "cli" || r.Subject != steps[i].ch.Account || r.Reason != "" {
				t.Errorf("record %d = %+v, want %+v", i, r, want)
			}
		}
		view, err := s.Describe(ctx, rosa.ID)
		if err != nil || view.Staff == nil || view.LoginSetUp == nil || *view.LoginSetUp || view.SponsorStanding != accounts.Suspended {
			t.Errorf("Describe(staff) = %+v, %v", view, err)
		}
		if view, err := s.Describe(ctx, "accounts:u-pcp"); err != nil || view.Staff != nil || view.Standing != accounts.Suspended {
			t.Errorf("Describe(provider) = %+v, %v", view, err)
		}
		if err := s.ChangeStanding(ctx, failingWriter{}, accounts.StandingChange{Account: "accounts:u-pcp", Reason: "x"}); err == nil {
			t.Error("a change without its audit record was reported done")
		}
		if got, _ := s.Standing(ctx, "accounts:u-pcp"); got != accounts.Suspended {
			t.Errorf("the change was made though its record failed: %q", got)
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write(context.Context, audit.Record) error { return errors.New("stream down") }
