package accounts

import (
	"context"
	"errors"

	"github.com/mypatients/gateway/audit"
)

// SignIn is a user the gateway signed in through an identity provider, with what its ID
// token said.
type SignIn struct {
	IdP, User, Username, Name, Email, FHIRUser string
	Client, Source                             string
}

// LinkHospitalUser keeps the account of a user of an identity provider other than the
// accounts provider: the first sign-in creates it from the IdP's claims (no password or second
// factor here: the hospital's IdP owns them), with the event "account.link"; later ones link to
// it by the IdP's stable subject (never by email) and refresh name, email and Practitioner.
// Standing and the sign-in's own record are the sign-in's business (smart).
func (s *Store) LinkHospitalUser(ctx context.Context, trail audit.Writer, in SignIn) error {
	p, err := s.Profile(ctx, in.User)
	created := errors.Is(err, ErrNotFound)
	if err != nil && !created {
		return err
	}
	if created {
		p = Profile{ID: in.User, Kind: KindHospital}
		if err := audit.WriteAction(ctx, trail, audit.Action{Event: "account.link", Outcome: audit.Success, Actor: in.User,
			Subject: in.User, Reason: "first_signin", Client: in.Client, Source: in.Source}); err != nil {
			return err
		}
	}
	if !created && p.Name == in.Name && p.Email == in.Email && p.FHIRUser == in.FHIRUser && p.Username == in.Username {
		return nil
	}
	p.Name, p.Email, p.FHIRUser, p.Username = in.Name, in.Email, in.FHIRUser, in.Username
	return s.SaveProfile(ctx, p)
}
