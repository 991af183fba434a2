package smart

import (
	"errors"
	"slices"

	"github.com/mypatients/gateway/accounts"
)

// ReasonParam is the parameter of an authorization error response (RFC 6749 §4.1.2.1) in
// which the gateway says, for a machine to read, why it refused a user's sign-in: when an
// account is not in good standing the error is access_denied and ReasonParam is one of the
// Reason codes below, so that an app (the portal first) can tell the user in its own page,
// without reading error_description, which is for people and may change. RFC 6749 §4.1.2
// has clients ignore response parameters they do not know, so other apps are unaffected.
//
// The same parameter goes the other way: an identity provider of the gateway that refuses an
// account itself answers the gateway's login callback with access_denied and ReasonParam (an
// OpenID Connect authentication error response, Core §3.1.2.6; RefusalResponse), and the
// gateway passes a known Reason on to the app. Any other value is dropped.
const ReasonParam = "mypatients_reason"

// Reasons a sign-in is refused for, as ReasonParam carries them: the reasons of
// accounts.StandingError (and the policy's reason codes of the same names), and
// ReasonAccountInactive when the standing gave none.
const (
	ReasonAccountSuspended = accounts.ReasonSuspended        // the support team suspended the account
	ReasonAccountRemoved   = accounts.ReasonRemoved          // the sponsor removed the staff account
	ReasonStaffSuspended   = accounts.ReasonStaffSuspended   // the sponsor suspended the staff account
	ReasonSponsorSuspended = accounts.ReasonSponsorSuspended // the staff user's sponsor is suspended
	ReasonAccountInactive  = "account_inactive"              // not in good standing, for no reason given
)

var reasons = []string{ReasonAccountSuspended, ReasonAccountRemoved, ReasonStaffSuspended,
	ReasonSponsorSuspended, ReasonAccountInactive}

// KnownReason reports whether reason is one of the Reason codes.
func KnownReason(reason string) bool { return slices.Contains(reasons, reason) }

// RefusalResponse is the authorization error response an identity provider sends the gateway
// for an account it refuses (see ReasonParam). Its schema tags are those of the form encoder
// of zitadel/oidc, so that a provider built on it writes the response with op.AuthResponseURL.
type RefusalResponse struct {
	Error       string `schema:"error"`
	Description string `schema:"error_description,omitempty"`
	State       string `schema:"state,omitempty"`
	Reason      string `schema:"mypatients_reason"`
}

// NewRefusal is the RefusalResponse to the request with state, for reason.
func NewRefusal(state, reason string) RefusalResponse {
	return RefusalResponse{Error: errAccessDenied, Description: inactiveAccount, State: state, Reason: reason}
}

// inactiveAccount is the error_description of every refusal for the account's standing.
const inactiveAccount = "this account is suspended or removed"

// standingRefusal is the access_denied the app gets for an account Options.Accounts refused
// with err (an error wrapping gateway.ErrForbidden), or an identity provider with reason.
func standingRefusal(err error, reason string) *oauthError {
	var se accounts.StandingError
	if errors.As(err, &se) {
		reason = se.Reason
	}
	if !KnownReason(reason) {
		reason = ReasonAccountInactive
	}
	return &oauthError{code: errAccessDenied, description: inactiveAccount, reason: reason}
}
