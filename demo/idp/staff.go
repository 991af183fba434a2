package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mypatients/gateway/accounts"
)

// StaffAccounts lets the IdP idpID sign in the staff accounts its users sponsor, with the
// passwords they chose on the gateway's set-up page. A staff account "<idp>:<sub>" created by
// a user of that IdP signs in here as subject <sub>, so that the gateway sees the same user id
// the sponsor's API call created, and the policy finds the sponsorship.
func StaffAccounts(store *accounts.Store, idpID string) Accounts {
	return staffAccounts{store: store, idp: idpID}
}

type staffAccounts struct {
	store *accounts.Store
	idp   string
}

func (s staffAccounts) Authenticate(ctx context.Context, username, password string) (User, bool, error) {
	st, ok, err := s.store.Authenticate(ctx, username, password)
	if err != nil || !ok {
		return User{}, false, err
	}
	sub, mine := strings.CutPrefix(st.ID, s.idp+":")
	if !mine {
		return User{}, false, nil
	}
	return User{Subject: sub, Username: accounts.NormalizeUsername(st.Email), Name: st.Name, Email: st.Email}, true, nil
}

// Standing is the gateway's standing of the account "<idp>:<sub>".
func (s staffAccounts) Standing(ctx context.Context, sub string) error {
	return s.store.CheckStanding(ctx, s.idp+":"+sub)
}

// The demo's sponsorship: staff (Rosa Garcia, RN) is sponsored by pcp (Dr. Patel).
const (
	demoStaffUser   = "accounts:u-staff"
	demoSponsorUser = "accounts:u-pcp"
)

// SeedDemoSponsorship makes the demo user "staff" a staff account sponsored by "pcp", unless
// it is one already.
func SeedDemoSponsorship(ctx context.Context, store *accounts.Store) error {
	if _, err := store.Get(ctx, demoStaffUser); err == nil {
		return nil
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	// Rosa signs in as the demo user "staff"; her email is claimed all the same so that no new
	// staff account can take it as its username.
	const email = "rosa.garcia@maple-pediatrics.example.org"
	if err := store.Claim(ctx, email, demoStaffUser); err != nil && !errors.Is(err, accounts.ErrUsernameTaken) {
		return fmt.Errorf("demo sponsorship: %w", err)
	}
	_, err := store.Sponsor(ctx, accounts.Staff{ID: demoStaffUser, Name: "Rosa Garcia, RN", Role: "RN",
		Email: email, Sponsor: demoSponsorUser, SponsorPractitioner: "Practitioner/dr-patel"}, time.Now())
	if err != nil {
		return fmt.Errorf("demo sponsorship: %w", err)
	}
	return nil
}
