package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/login"
	"github.com/mypatients/gateway/redisstore"
)

// storeFlags are the flags of the commands that read the gateway's Redis: the same
// configuration as serve, or an explicit Redis URL.
type storeFlags struct{ redisURL, cfgPath *string }

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		redisURL: fs.String("redis-url", "", "Redis URL (default: the configured one, or the demo's embedded Redis)"),
		cfgPath:  fs.String("config", "", "YAML configuration file"),
	}
}

// open loads the configuration and connects to its Redis: --redis-url if given, else the
// configured Redis, else the address the demo's embedded Redis listens on.
func (f storeFlags) open(ctx context.Context, environ []string) (*config.Config, redis.UniversalClient, error) {
	cfg, err := config.Load(*f.cfgPath, environ)
	if err != nil {
		return nil, nil, err
	}
	cfg.Complete()
	opts := redisOptions(cfg)
	switch {
	case *f.redisURL != "":
		opts.URL = *f.redisURL
	case cfg.Redis.Embedded():
		opts.URL = "redis://" + cfg.Demo.RedisAddr
	}
	rdb, err := redisstore.Open(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("is the gateway running? %w", err)
	}
	return cfg, rdb, nil
}

// demoCommand holds the demo helpers; today only "token".
func demoCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	if len(args) == 0 || args[0] != "token" {
		return errors.New("usage: mypatients demo token [flags] USER")
	}
	fs := newFlagSet("demo token", os.Stderr)
	gateway := fs.String("gateway", "http://"+config.DefaultAddr, "gateway base URL")
	idpID := fs.String("idp", "", "identity provider: accounts or childrens (default: childrens for hospdoc, else accounts)")
	scope := fs.String("scope", login.ShellScope, "scopes to request")
	client := fs.String("client", login.ShellClientID, "client to sign in as: "+login.ShellClientID+" (first party) or "+config.DemoClientID+" (the third-party demo app)")
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
	redirect := login.ShellRedirectURI
	if *client != login.ShellClientID {
		redirect = config.DemoRedirectURI
	}
	tok, err := login.Login(ctx, login.Options{
		Gateway: *gateway, ClientID: *client, RedirectURI: redirect, Scope: *scope,
	}, *idpID, user, *password)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	return nil
}

// redisOptions are the configured Redis's connection options.
func redisOptions(cfg *config.Config) redisstore.Options {
	return redisstore.Options{
		URL: cfg.Redis.URL, Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName,
		Username: cfg.Redis.Username, Password: cfg.Redis.Password, DB: cfg.Redis.DB,
		MinReplicaAcks: cfg.Redis.MinReplicaAcks, AckTimeout: cfg.Redis.ReplicaAckTimeout, KeyPrefix: cfg.Redis.KeyPrefix,
	}
}
