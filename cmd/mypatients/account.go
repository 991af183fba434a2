package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/audit"
)

const accountUsage = `usage: mypatients account show|suspend|reinstate [flags] USERID
  USERID is a gateway user id "<idp>:<sub>", e.g. accounts:u-pcp (see "user" in mypatients audit)
  suspend needs --reason; see mypatients account suspend -h for the flags`

// accountCommand is the support team's entry point for account standing: show an account,
// suspend it (a suspended provider's sponsored staff lose access with them) or reinstate it.
// Suspending and reinstating write through accounts.Store, read fresh by every request on
// every replica, and leave a record in the audit trail naming who did it and why.
func accountCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "suspend" && args[0] != "reinstate") {
		return errors.New(accountUsage)
	}
	action := args[0]
	fs := newFlagSet("account "+action, os.Stderr)
	store := addStoreFlags(fs)
	reason := fs.String("reason", "", "why the account is suspended or reinstated (required for suspend)")
	by := fs.String("by", os.Getenv("USER"), "who is acting, for the audit trail")
	// Flags may come before or after USERID ("account suspend accounts:u-pcp --reason …").
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	id := fs.Arg(0)
	if fs.NArg() > 0 {
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if fs.NArg() > 0 || !validUserID(id) {
		return errors.New(accountUsage)
	}
	*reason = strings.TrimSpace(*reason)
	if action == "suspend" && *reason == "" {
		return errors.New("account suspend: --reason is required: it goes into the audit trail")
	}
	if len(*reason) > 500 {
		return errors.New("account: --reason is limited to 500 characters")
	}
	cfg, rdb, err := store.open(ctx, environ)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	defer rdb.Close()
	sponsors := accounts.NewStore(rdb, cfg.Redis.KeyPrefix)
	staff, err := sponsors.Get(ctx, id)
	isStaff := err == nil
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return fmt.Errorf("account: %w", err)
	}

	switch action {
	case "suspend":
		err = sponsors.Suspend(ctx, id)
	case "reinstate":
		err = sponsors.Reinstate(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("account %s: %w", action, err)
	}
	if action != "show" {
		rec := audit.Record{Time: time.Now().UTC(), RequestID: "cli-" + strings.ToLower(rand.Text()), User: id,
			Client: "mypatients-cli", Patients: []string{}, Interaction: "account", Decision: action,
			Reason: *reason, Actor: *by}
		if isStaff {
			rec.Sponsor = staff.Sponsor
		}
		trail := audit.NewTrail(rdb, audit.TrailOptions{Prefix: cfg.Redis.KeyPrefix, Stream: cfg.Audit.Stream, MaxLen: cfg.Audit.MaxLen})
		if err := trail.Write(ctx, rec); err != nil {
			// The change is made; say plainly that its record is missing so someone adds it.
			return fmt.Errorf("account %s: done, but the audit record was not stored: %w", action, err)
		}
	}
	return showAccount(ctx, stdout, sponsors, id, staff, isStaff)
}

// showAccount prints what the support team needs to know about account id as one JSON object.
func showAccount(ctx context.Context, out io.Writer, sponsors *accounts.Store, id string, staff accounts.Staff, isStaff bool) error {
	standing, err := sponsors.Standing(ctx, id)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	view := struct {
		ID       string          `json:"id"`
		Standing string          `json:"standing"`
		Staff    *accounts.Staff `json:"staff,omitempty"`
		// LoginSetUp says whether a staff member has chosen their password yet.
		LoginSetUp *bool `json:"login_set_up,omitempty"`
		// SponsorStanding is a staff member's sponsor's standing: suspended means no access.
		SponsorStanding string `json:"sponsor_standing,omitempty"`
	}{ID: id, Standing: standing}
	if isStaff {
		view.Staff = &staff
		set, err := sponsors.HasPassword(ctx, staff.Email)
		if err != nil {
			return fmt.Errorf("account: %w", err)
		}
		view.LoginSetUp = &set
		if view.SponsorStanding, err = sponsors.Standing(ctx, staff.Sponsor); err != nil {
			return fmt.Errorf("account: %w", err)
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(view)
}

// validUserID accepts "<idp>:<sub>" with no spaces or control characters: a typo should fail
// here rather than suspend an account that does not exist.
func validUserID(id string) bool {
	idp, sub, ok := strings.Cut(id, ":")
	return ok && idp != "" && sub != "" && len(id) <= 200 &&
		!strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f })
}
