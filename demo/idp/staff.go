package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mypatients/gateway/accounts"
)

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
