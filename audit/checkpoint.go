package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Checkpoint seals a run of entries: it names the chain value (Link) at the seq it starts
// after and at the last seq it covers, and is signed with the gateway's Ed25519 checkpoint key.
// Its own entry joins the chain like any other, so the next checkpoint covers it too. Each
// checkpoint starts where the one before ended, which makes the checkpoints a chain of their
// own that survives trimming: the stream is trimmed only at a checkpoint's start.
type Checkpoint struct {
	// From is the seq the checkpoint starts after (0: the stream's beginning) and FromChain
	// the chain value there; FirstID is the stream id of entry From+1.
	From      int64  `json:"from"`
	FromChain string `json:"from_chain"`
	FirstID   string `json:"first_id"`
	// To is the last seq covered, Chain the chain value there, LastID its stream id.
	To     int64     `json:"to"`
	Chain  string    `json:"chain"`
	LastID string    `json:"last_id"`
	Time   time.Time `json:"time"`
	// KeyID names the signing key (its RFC 7638 thumbprint).
	KeyID string `json:"kid"`
}

// Signer signs checkpoints. Every replica must have the same key, or, after a key change, the
// old public key must stay in the Keyring verifiers use.
type Signer struct {
	key ed25519.PrivateKey
	kid string
}

// NewSigner returns a signer of key.
func NewSigner(key ed25519.PrivateKey) (*Signer, error) {
	kid, err := keyID(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &Signer{key: key, kid: kid}, nil
}

// ParseSigningKey reads a PEM "PRIVATE KEY" (PKCS #8) holding an Ed25519 key.
func ParseSigningKey(pemBytes []byte) (*Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("audit: checkpoint key: want a PEM PRIVATE KEY (PKCS #8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("audit: checkpoint key: want an Ed25519 key")
	}
	return NewSigner(ek)
}

// EncodeSigningKey returns key as a PEM "PRIVATE KEY", for `mypatients audit keygen`.
func EncodeSigningKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("audit: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// KeyID is the signing key's id.
func (s *Signer) KeyID() string { return s.kid }

// Keyring returns the public half, for verifiers.
func (s *Signer) Keyring() Keyring {
	return Keyring{s.kid: s.key.Public().(ed25519.PublicKey)}
}

// sign returns the checkpoint's payload and signature.
func (s *Signer) sign(cp Checkpoint) ([]byte, string, error) {
	cp.KeyID = s.kid
	payload, err := json.Marshal(cp)
	if err != nil {
		return nil, "", fmt.Errorf("audit: encode checkpoint: %w", err)
	}
	return payload, base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.key, payload)), nil
}

// Seal signs cp and appends it to the trail, returning its entry.
func (t *Trail) Seal(ctx context.Context, s *Signer, cp Checkpoint) (Entry, error) {
	payload, sig, err := s.sign(cp)
	if err != nil {
		return Entry{}, err
	}
	id, seq, err := t.append(ctx, KindCheckpoint, payload, sig)
	if err != nil {
		return Entry{}, err
	}
	return Entry{ID: id, Seq: seq, Kind: KindCheckpoint, Payload: payload, Sig: sig}, nil
}

// Keyring holds the public keys checkpoints may be signed with, by key id.
type Keyring map[string]ed25519.PublicKey

// Checkpoint returns the checkpoint of e after checking its signature.
func (k Keyring) Checkpoint(e Entry) (Checkpoint, error) {
	var cp Checkpoint
	if e.Kind != KindCheckpoint {
		return cp, fmt.Errorf("entry %s is not a checkpoint", e.ID)
	}
	if err := json.Unmarshal(e.Payload, &cp); err != nil {
		return cp, fmt.Errorf("checkpoint %s cannot be read: %w", e.ID, err)
	}
	pub, ok := k[cp.KeyID]
	if !ok {
		return cp, fmt.Errorf("checkpoint %s is signed with key %q, which is not among the trusted keys", e.ID, cp.KeyID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(e.Sig)
	if err != nil || !ed25519.Verify(pub, e.Payload, sig) {
		return cp, fmt.Errorf("checkpoint %s has a signature that does not verify with key %q", e.ID, cp.KeyID)
	}
	return cp, nil
}

// Add puts every key of other into k.
func (k Keyring) Add(other Keyring) {
	for id, pub := range other {
		k[id] = pub
	}
}

// JWKS returns the keys as a JSON Web Key Set, the form the gateway publishes them in.
func (k Keyring) JWKS() ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for id, pub := range k {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: id, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return json.Marshal(set)
}

// ParseKeyring reads trusted keys from a JSON Web Key Set or from PEM blocks ("PUBLIC KEY",
// or a "PRIVATE KEY" whose public half is taken).
func ParseKeyring(data []byte) (Keyring, error) {
	k := Keyring{}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(trimmed, &set); err != nil {
			return nil, fmt.Errorf("audit: key set: %w", err)
		}
		for _, jwk := range set.Keys {
			if err := k.addPublic(jwk.Key); err != nil {
				return nil, err
			}
		}
		return k, nil
	}
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if err := k.addPEM(block); err != nil {
			return nil, err
		}
	}
	if len(k) == 0 {
		return nil, errors.New("audit: no Ed25519 key found (want a JWKS or PEM PUBLIC KEY blocks)")
	}
	return k, nil
}

func (k Keyring) addPEM(block *pem.Block) error {
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("audit: public key: %w", err)
		}
		return k.addPublic(pub)
	case "PRIVATE KEY":
		s, err := ParseSigningKey(pem.EncodeToMemory(block))
		if err != nil {
			return err
		}
		k.Add(s.Keyring())
		return nil
	}
	return fmt.Errorf("audit: unexpected PEM block %q", block.Type)
}

func (k Keyring) addPublic(key any) error {
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return fmt.Errorf("audit: a checkpoint key must be Ed25519, not %T", key)
	}
	id, err := keyID(pub)
	if err != nil {
		return err
	}
	k[id] = pub
	return nil
}

// EncodePublicKey returns pub as a PEM "PUBLIC KEY".
func EncodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("audit: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// keyID is the RFC 7638 thumbprint of pub, base64url.
func keyID(pub ed25519.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("audit: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
