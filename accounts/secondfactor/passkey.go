package secondfactor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/redis/go-redis/v9"
)

// ErrNoPasskeys means passkeys are not configured.
var ErrNoPasskeys = errors.New("secondfactor: passkeys are not offered")

const ceremonyTTL = 5 * time.Minute

// maxCredentialBytes bounds the JSON a browser posts at the end of a ceremony.
const maxCredentialBytes = 64 << 10

// webUser is an account as go-webauthn sees it.
type webUser struct {
	handle      []byte
	name, shown string
	creds       []webauthn.Credential
}

func (u webUser) WebAuthnID() []byte                         { return u.handle }
func (u webUser) WebAuthnName() string                       { return u.name }
func (u webUser) WebAuthnDisplayName() string                { return u.shown }
func (u webUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Store) ceremonyKey(kind, account string) string {
	return s.prefix + "ceremony:" + kind + ":" + account
}

// Passkeys reports whether passkeys are offered.
func (s *Store) Passkeys() bool { return s.passkeys != nil }

func (s *Store) webUser(ctx context.Context, account, username, name string) (webUser, error) {
	var handle []byte
	err := s.update(ctx, account, func(f *Factors) error {
		if len(f.UserHandle) == 0 {
			f.UserHandle = make([]byte, 32)
			_, _ = rand.Read(f.UserHandle)
		}
		handle = f.UserHandle
		return nil
	})
	if err != nil {
		return webUser{}, err
	}
	f, err := s.Get(ctx, account)
	if err != nil {
		return webUser{}, err
	}
	u := webUser{handle: handle, name: username, shown: name}
	for _, p := range f.Passkeys {
		u.creds = append(u.creds, p.Credential)
	}
	return u, nil
}

// BeginPasskey starts registering a passkey for account and returns the options for
// navigator.credentials.create, as JSON. The passkey must verify its user (a PIN or a
// biometric), so that it is two factors on its own.
func (s *Store) BeginPasskey(ctx context.Context, account, username, name string) ([]byte, error) {
	if s.passkeys == nil {
		return nil, ErrNoPasskeys
	}
	u, err := s.webUser(ctx, account, username, name)
	if err != nil {
		return nil, err
	}
	options, session, err := s.passkeys.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired}))
	if err != nil {
		return nil, fmt.Errorf("secondfactor: begin passkey registration: %w", err)
	}
	return s.keepCeremony(ctx, "register", account, session, options)
}

// FinishPasskey checks the browser's answer in r's body and adds the passkey.
func (s *Store) FinishPasskey(ctx context.Context, account, username, name, label string, r *http.Request) error {
	u, session, err := s.ceremony(ctx, "register", account, username, name)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxCredentialBytes)
	cred, err := s.passkeys.FinishRegistration(u, session, r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWrongCode, err)
	}
	return s.update(ctx, account, func(f *Factors) error {
		f.Passkeys = append(f.Passkeys, Passkey{ID: newID(), Label: label, Credential: *cred, Added: time.Now().UTC()})
		return nil
	})
}

// BeginPasskeyLogin starts a sign-in with one of account's passkeys and returns the options
// for navigator.credentials.get, as JSON.
func (s *Store) BeginPasskeyLogin(ctx context.Context, account string) ([]byte, error) {
	if s.passkeys == nil {
		return nil, ErrNoPasskeys
	}
	u, err := s.webUser(ctx, account, account, account)
	if err != nil {
		return nil, err
	}
	if len(u.creds) == 0 {
		return nil, ErrWrongCode
	}
	options, session, err := s.passkeys.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("secondfactor: begin passkey sign-in: %w", err)
	}
	return s.keepCeremony(ctx, "login", account, session, options)
}

// FinishPasskeyLogin checks the browser's assertion in r's body against account's passkeys
// and records the authenticator's new signature count.
func (s *Store) FinishPasskeyLogin(ctx context.Context, account string, r *http.Request) error {
	u, session, err := s.ceremony(ctx, "login", account, account, account)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxCredentialBytes)
	cred, err := s.passkeys.FinishLogin(u, session, r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWrongCode, err)
	}
	return s.update(ctx, account, func(f *Factors) error {
		for i := range f.Passkeys {
			if bytes.Equal(f.Passkeys[i].Credential.ID, cred.ID) {
				f.Passkeys[i].Credential.Authenticator = cred.Authenticator
			}
		}
		return nil
	})
}

func (s *Store) keepCeremony(ctx context.Context, kind, account string, session *webauthn.SessionData, options any) ([]byte, error) {
	b, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	if err := s.rdb.Set(ctx, s.ceremonyKey(kind, account), b, ceremonyTTL).Err(); err != nil {
		return nil, fmt.Errorf("secondfactor: keep ceremony: %w", err)
	}
	return json.Marshal(options)
}

// ceremony takes (once) the ceremony begun for account.
func (s *Store) ceremony(ctx context.Context, kind, account, username, name string) (webUser, webauthn.SessionData, error) {
	var session webauthn.SessionData
	if s.passkeys == nil {
		return webUser{}, session, ErrNoPasskeys
	}
	raw, err := s.rdb.GetDel(ctx, s.ceremonyKey(kind, account)).Bytes()
	if errors.Is(err, redis.Nil) {
		return webUser{}, session, ErrWrongCode
	}
	if err != nil {
		return webUser{}, session, fmt.Errorf("secondfactor: read ceremony: %w", err)
	}
	if err := json.NewDecoder(io.LimitReader(bytes.NewReader(raw), 1<<16)).Decode(&session); err != nil {
		return webUser{}, session, err
	}
	u, err := s.webUser(ctx, account, username, name)
	return u, session, err
}
