package selfservice

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/mypatients/gateway/redisstore"
)

// A ticket carries one browser through a multi-step flow (set-up, a reset) after it proved
// something: a set-up link, an emailed code, a password. The cookie holds a random value;
// Redis holds the ticket under its hash, for ticketTTL.
type ticket struct {
	Account string `json:"account"`
	// Flow is "setup", "password" or "second-factor"; Stage how far it went.
	Flow, Stage string
	Email       string `json:"email,omitempty"`
	Failures    int    `json:"failures,omitempty"`
}

const (
	ticketTTL    = 30 * time.Minute
	ticketCookie = "mp_ticket"
)

func (p *Pages) ticketKey(value string) string {
	sum := sha256.Sum256([]byte(value))
	return p.d.Accounts.Prefix() + "selfservice:ticket:" + hex.EncodeToString(sum[:])
}

// issueTicket stores t and gives the browser its cookie.
func (p *Pages) issueTicket(ctx context.Context, w http.ResponseWriter, r *http.Request, t ticket) error {
	value := rand.Text() + rand.Text()
	if err := redisstore.PutJSON(ctx, p.d.Accounts.Redis(), p.ticketKey(value), t, ticketTTL); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ticketCookie, Value: value, Path: "/accounts/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(ticketTTL / time.Second)})
	return nil
}

var errNoTicket = errors.New("selfservice: no ticket")

// loadTicket returns this browser's ticket of flow.
func (p *Pages) loadTicket(r *http.Request, flow string) (ticket, error) {
	c, err := r.Cookie(ticketCookie)
	if err != nil || c.Value == "" {
		return ticket{}, errNoTicket
	}
	var t ticket
	err = redisstore.GetJSON(r.Context(), p.d.Accounts.Redis(), p.ticketKey(c.Value), &t)
	if errors.Is(err, redisstore.ErrNotFound) || (err == nil && t.Flow != flow) {
		return ticket{}, errNoTicket
	}
	return t, err
}

// saveTicket stores the changed ticket of this browser again.
func (p *Pages) saveTicket(r *http.Request, t ticket) error {
	c, err := r.Cookie(ticketCookie)
	if err != nil {
		return errNoTicket
	}
	return redisstore.PutJSON(r.Context(), p.d.Accounts.Redis(), p.ticketKey(c.Value), t, ticketTTL)
}

// dropTicket ends this browser's ticket.
func (p *Pages) dropTicket(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(ticketCookie); err == nil {
		p.d.Accounts.Redis().Del(r.Context(), p.ticketKey(c.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: ticketCookie, Value: "", Path: "/accounts/", MaxAge: -1})
}
