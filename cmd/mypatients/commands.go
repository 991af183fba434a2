package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/login"
	"github.com/mypatients/gateway/redisstore"
)

// policyCommand runs the embedded Rego tests: the auditors' one command.
func policyCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("policy test", stdout)
	verbose := fs.Bool("v", false, "list every test")
	if len(args) == 0 || args[0] != "test" {
		return errors.New("usage: mypatients policy test [-v]")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	passed, failed, err := authz.RunPolicyTests(ctx, stdout, *verbose)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return fmt.Errorf("%d policy tests failed", failed)
	}
	return nil
}

// auditCommand prints the audit trail as JSON lines, oldest first.
func auditCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := newFlagSet("audit", os.Stderr)
	redisURL := fs.String("redis-url", "", "Redis URL (default: the configured one, or the demo's embedded Redis)")
	count := fs.Int64("n", 0, "print at most this many records (0: all)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath, environ)
	if err != nil {
		return err
	}
	cfg.Complete()
	url := *redisURL
	switch {
	case url != "":
	case !cfg.Redis.Embedded():
		url = cfg.Redis.URL
	default:
		url = "redis://" + cfg.Demo.RedisAddr
	}
	rdb, err := redisstore.Open(ctx, redisstore.Options{URL: url, Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName, Password: cfg.Redis.Password})
	if err != nil {
		return fmt.Errorf("audit: is the gateway running? %w", err)
	}
	defer rdb.Close()
	msgs, err := redisstore.New(rdb, cfg.Redis.KeyPrefix).Entries(ctx, cfg.Audit.Stream, *count)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, m := range msgs {
		r, err := audit.Decode(m.Values)
		if err != nil {
			return fmt.Errorf("audit entry %s: %w", m.ID, err)
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// demoCommand holds the demo helpers; today only "token".
func demoCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	if len(args) == 0 || args[0] != "token" {
		return errors.New("usage: mypatients demo token [flags] USER")
	}
	fs := newFlagSet("demo token", os.Stderr)
	gateway := fs.String("gateway", "http://"+config.DefaultAddr, "gateway base URL")
	idpID := fs.String("idp", "", "identity provider: accounts or childrens (default: childrens for hospdoc, else accounts)")
	scope := fs.String("scope", "user/*.rs", "scopes to request")
	password := fs.String("password", "", "demo password (default $MYPATIENTS_DEMO_PASSWORD)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: mypatients demo token [flags] USER")
	}
	user := fs.Arg(0)
	if *idpID == "" {
		*idpID = "accounts"
		if user == "hospdoc" {
			*idpID = "childrens"
		}
	}
	if *password == "" {
		cfg, err := config.Load("", environ)
		if err != nil {
			return err
		}
		*password = cfg.Demo.Password
	}
	tok, err := login.Login(ctx, login.Options{
		Gateway: *gateway, ClientID: config.DemoClientID, RedirectURI: config.DemoRedirectURI, Scope: *scope,
	}, *idpID, user, *password)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	return nil
}
