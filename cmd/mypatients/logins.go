package main

import (
	"context"
	"strings"

	"github.com/mypatients/gateway/accounts"
	"github.com/mypatients/gateway/config"
	"github.com/mypatients/gateway/demo/idp"
	"github.com/mypatients/gateway/redisstore"
)

// redisOptions are the configured Redis's connection options, for the parts that open their
// own client: the demo accounts IdP and the CLI.
func redisOptions(cfg *config.Config) redisstore.Options {
	return redisstore.Options{
		URL: cfg.Redis.URL, Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName,
		Username: cfg.Redis.Username, Password: cfg.Redis.Password, DB: cfg.Redis.DB,
	}
}

// staffLogins lets the demo IdP idpID sign in the staff accounts its users sponsor, with the
// passwords they chose on the set-up page. It opens its own Redis client because the demo
// IdPs start before the gateway's parts are built; the data is the same.
func staffLogins(ctx context.Context, cfg *config.Config, run *runGroup, idpID string) (idp.Accounts, error) {
	rdb, err := redisstore.Open(ctx, redisOptions(cfg))
	if err != nil {
		return nil, err
	}
	run.onClose(func() { rdb.Close() })
	return staffAccounts{logins: accounts.NewStore(rdb, cfg.Redis.KeyPrefix), idp: idpID}, nil
}

// staffAccounts adapts accounts.Store to the demo IdP: a staff account "<idp>:<sub>" created
// by a user of that IdP signs in there as subject <sub>, so the gateway sees the same user id
// the sponsor's API call created, and the policy finds the sponsorship.
type staffAccounts struct {
	logins *accounts.Store
	idp    string
}

func (s staffAccounts) Authenticate(ctx context.Context, username, password string) (idp.User, bool, error) {
	st, ok, err := s.logins.Authenticate(ctx, username, password)
	if err != nil || !ok {
		return idp.User{}, false, err
	}
	sub, mine := strings.CutPrefix(st.ID, s.idp+":")
	if !mine {
		return idp.User{}, false, nil
	}
	return idp.User{Subject: sub, Username: accounts.NormalizeUsername(st.Email), Name: st.Name, Email: st.Email}, true, nil
}
