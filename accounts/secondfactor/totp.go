package secondfactor

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"
	qrcode "github.com/skip2/go-qrcode"
)

// ErrWrongCode is every second-factor code that does not check out.
var ErrWrongCode = errors.New("secondfactor: code not accepted")

// totpOpts are the parameters every authenticator app understands (RFC 6238's defaults).
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const pendingTTL = 15 * time.Minute

// Enrollment is a TOTP secret offered to the user, not yet confirmed with a code.
type Enrollment struct {
	Secret string
	URL    string
	// QR is the otpauth URL as an inline SVG QR code.
	QR template.HTML
}

func (s *Store) pendingKey(account string) string { return s.prefix + "pending-totp:" + account }

// BeginTOTP draws a new secret for account (username shown in the app) and keeps it sealed
// until ConfirmTOTP sees a code from it.
func (s *Store) BeginTOTP(ctx context.Context, account, username string) (Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer, AccountName: username, SecretSize: 20})
	if err != nil {
		return Enrollment{}, fmt.Errorf("secondfactor: new TOTP secret: %w", err)
	}
	box := s.totp.Seal("pending:"+account, []byte(key.Secret()+" "+key.URL()))
	if err := s.rdb.Set(ctx, s.pendingKey(account), box, pendingTTL).Err(); err != nil {
		return Enrollment{}, fmt.Errorf("secondfactor: keep TOTP secret: %w", err)
	}
	qr, err := qrSVG(key.URL())
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Secret: key.Secret(), URL: key.URL(), QR: qr}, nil
}

// PendingTOTP returns the enrollment begun for account, to show it again.
func (s *Store) PendingTOTP(ctx context.Context, account string) (Enrollment, error) {
	secret, url, err := s.pending(ctx, account)
	if err != nil {
		return Enrollment{}, err
	}
	qr, err := qrSVG(url)
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Secret: secret, URL: url, QR: qr}, nil
}

func (s *Store) pending(ctx context.Context, account string) (secret, url string, err error) {
	box, err := s.rdb.Get(ctx, s.pendingKey(account)).Bytes()
	if errors.Is(err, redis.Nil) {
		return "", "", ErrWrongCode
	}
	if err != nil {
		return "", "", fmt.Errorf("secondfactor: read TOTP secret: %w", err)
	}
	plain, err := s.totp.Open("pending:"+account, box)
	if err != nil {
		return "", "", err
	}
	secret, url, _ = strings.Cut(string(plain), " ")
	return secret, url, nil
}

// ConfirmTOTP adds the pending secret as an authenticator app of account when code is one
// of its current codes.
func (s *Store) ConfirmTOTP(ctx context.Context, account, label, code string) error {
	secret, _, err := s.pending(ctx, account)
	if err != nil {
		return err
	}
	step, ok := matchStep(secret, code, time.Now())
	if !ok {
		return ErrWrongCode
	}
	id := newID()
	err = s.update(ctx, account, func(f *Factors) error {
		f.TOTP = append(f.TOTP, TOTP{ID: id, Label: label, Sealed: s.totp.Seal(account+":"+id, []byte(secret)), Added: time.Now().UTC()})
		f.LastStep = max(f.LastStep, step)
		return nil
	})
	if err != nil {
		return err
	}
	return s.rdb.Del(ctx, s.pendingKey(account)).Err()
}

// CheckTOTP accepts code when it is a current code of one of account's apps and no code of
// its time step or later was accepted before (RFC 6238 §5.2).
func (s *Store) CheckTOTP(ctx context.Context, account, code string) error {
	return s.update(ctx, account, func(f *Factors) error {
		for _, t := range f.TOTP {
			secret, err := s.totp.Open(account+":"+t.ID, t.Sealed)
			if err != nil {
				return err
			}
			if step, ok := matchStep(string(secret), code, time.Now()); ok && step > f.LastStep {
				f.LastStep = step
				return nil
			}
		}
		return ErrWrongCode
	})
}

// matchStep returns the time step, one either side of now allowed for clock drift, whose
// code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / 30, true
		}
	}
	return 0, false
}

// qrSVG draws text as a QR code in SVG, one path of the dark modules, so that the page can
// show it inline under a Content-Security-Policy that loads no image.
func qrSVG(text string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("secondfactor: QR code: %w", err)
	}
	bits := q.Bitmap()
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="220" height="220" role="img" aria-label="QR code for your authenticator app" shape-rendering="crispEdges"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, len(bits), len(bits))
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // #nosec: built here from numbers only
}
