// Package idp holds the demo's people and its stand-in for the hospital's SSO: the fixed
// demo users of the MyPatients accounts provider (pcp, colleague, pcp2, specialist, staff) and
// of "Children's ID" (hospdoc, a hospital physician, and support, a member of the MyPatients
// support team by the configured group claim), seeded into the accounts stores with the one
// demo password; the demo sponsorship (staff is pcp's); and Children's ID itself, an instance
// of the product's accounts provider (accounts/provider) on its own port with its own keys
// in Redis. Seeded demo accounts are exempt from the second factor, so that a newcomer signs
// in at once; every account that registers or is set up through a link needs one. Nothing of
// the product depends on this package.
package idp

import (
	"context"
	"errors"
	"fmt"

	"github.com/mypatients/gateway/accounts"
)

// SupportGroup is the group claim of the demo's support team member at Children's ID, the
// demo value of accounts.support.value.
const SupportGroup = "mypatients-support"

// DemoUsers returns the fixed demo accounts of the identity provider idpID: "accounts"
// (MyPatients accounts) or "childrens" (Children's ID). Their ids are fixed, so a user keeps
// their identity across restarts; usernames and Practitioner ids are those of the demo world
// in demo/ehr/README.md.
func DemoUsers(idpID string) []accounts.Profile {
	var out []accounts.Profile
	add := func(sub, username, name, email, fhirUser string, groups ...string) {
		out = append(out, accounts.Profile{ID: idpID + ":" + sub, Kind: accounts.KindClinician, Username: username,
			Name: name, Email: email, FHIRUser: fhirUser, Groups: groups, Exempt: true, CanSponsor: fhirUser != ""})
	}
	switch idpID {
	case "accounts":
		add("u-pcp", "pcp", "Dr. Priya Patel", "priya.patel@maple-pediatrics.example.org", "Practitioner/dr-patel")
		add("u-colleague", "colleague", "Dr. Chidi Okafor", "chidi.okafor@maple-pediatrics.example.org", "Practitioner/dr-okafor")
		add("u-pcp2", "pcp2", "Dr. Ingrid Lindqvist", "ingrid.lindqvist@harbor-family.example.org", "Practitioner/dr-lindqvist")
		add("u-specialist", "specialist", "Dr. Claire Moreau", "claire.moreau@lakeside-cardiology.example.org", "Practitioner/dr-moreau")
		// Staff have no Practitioner resource; pcp sponsors them (SeedDemoSponsorship).
		add("u-staff", "staff", "Rosa Garcia, RN", "rosa.garcia@maple-pediatrics.example.org", "")
		out[len(out)-1].Kind = accounts.KindStaff
	case "childrens":
		add("c-hospdoc", "hospdoc", "Dr. Samir Haddad", "samir.haddad@childrens.example.org", "Practitioner/dr-haddad")
		add("c-support", "support", "Alex Kim, MyPatients support", "alex.kim@childrens.example.org", "", SupportGroup)
		// The privacy officer reads the audit trail (the auditors' page); no clinician.
		add("c-privacy", "privacy", "Nadia Brooks, Privacy Office", "privacy.office@childrens.example.org", "")
	}
	return out
}

// Seed stores the demo accounts of idpID in store with password, each under its short
// username; an existing demo account gets the password again (it may have changed).
func Seed(ctx context.Context, store *accounts.Store, idpID, password string) error {
	users := DemoUsers(idpID)
	for _, u := range users {
		if err := store.Claim(ctx, u.Username, u.ID); err != nil && !errors.Is(err, accounts.ErrUsernameTaken) {
			return fmt.Errorf("demo users: %w", err)
		}
		if err := store.SaveProfile(ctx, u); err != nil {
			return fmt.Errorf("demo users: %w", err)
		}
	}
	if err := store.SeedPassword(ctx, password, users...); err != nil {
		return fmt.Errorf("demo users: %w", err)
	}
	return nil
}
