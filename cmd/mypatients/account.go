package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mypatients/gateway/accounts"
)

const accountUsage = `usage: mypatients account show|suspend|reinstate [flags] USERID
  USERID is a gateway user id "<idp>:<sub>", e.g. accounts:u-pcp (see "user" in mypatients audit)
  suspend needs --reason; see mypatients account suspend -h for the flags`

// accountCommand is the support team's entry point for account standing: show an account,
// suspend it (a suspended provider's sponsored staff lose access with them) or reinstate it.
// The flags are read here; the change and its audit record are accounts.ChangeStanding's.
func accountCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	action, change, store, err := parseAccountArgs(args)
	if err != nil {
		return err
	}
	cfg, rdb, err := store.open(ctx, environ)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	defer rdb.Close()
	accts := accounts.NewStore(rdb, cfg.Redis.KeyPrefix, nil) // the support team hashes no password
	if action != "show" {
		if err := accts.ChangeStanding(ctx, newTrail(cfg, rdb, nil), change); err != nil {
			return err
		}
	}
	view, err := accts.Describe(ctx, change.Account)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(view)
}

// parseAccountArgs reads "show|suspend|reinstate [flags] USERID [flags]".
func parseAccountArgs(args []string) (string, accounts.StandingChange, storeFlags, error) {
	var ch accounts.StandingChange
	if len(args) == 0 || (args[0] != "show" && args[0] != "suspend" && args[0] != "reinstate") {
		return "", ch, storeFlags{}, errors.New(accountUsage)
	}
	action := args[0]
	fs := newFlagSet("account "+action, os.Stderr)
	store := addStoreFlags(fs)
	reason := fs.String("reason", "", "why the account is suspended or reinstated (required for suspend)")
	by := fs.String("by", os.Getenv("USER"), "who is acting, for the audit trail")
	// Flags may come before or after USERID ("account suspend accounts:u-pcp --reason …").
	if err := fs.Parse(args[1:]); err != nil {
		return "", ch, store, err
	}
	id := fs.Arg(0)
	if fs.NArg() > 0 {
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", ch, store, err
		}
	}
	ch = accounts.StandingChange{Account: id, Suspend: action == "suspend", Reason: strings.TrimSpace(*reason), Actor: *by, Client: "mypatients-cli"}
	switch {
	case fs.NArg() > 0 || !accounts.ValidUserID(id):
		return "", ch, store, errors.New(accountUsage)
	case action == "suspend" && ch.Reason == "":
		return "", ch, store, errors.New("account suspend: --reason is required: it goes into the audit trail")
	case len(ch.Reason) > 500:
		return "", ch, store, errors.New("account: --reason is limited to 500 characters")
	}
	return action, ch, store, nil
}
