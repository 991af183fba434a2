package mail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mypatients/gateway/web"
)

// Captured is one message a Capture server received.
type Captured struct {
	From     string
	To       []string
	Subject  string
	Body     string
	Received time.Time
}

// Capture is a real SMTP server that keeps every message it receives in memory, for the demo
// ("mail is captured and viewable locally") and for tests. It accepts mail for anyone, without
// authentication, and must only ever listen on loopback.
type Capture struct {
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Captured
	// Fail, when set, makes the server refuse every message: a mail outage on demand.
	fail bool
}

// StartCapture serves SMTP on ln until Close.
func StartCapture(ln net.Listener) *Capture {
	c := &Capture{}
	c.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &captureSession{c: c}, nil
	}))
	c.srv.Domain = "localhost"
	c.srv.MaxMessageBytes = 1 << 20
	c.srv.ReadTimeout, c.srv.WriteTimeout = 30*time.Second, 30*time.Second
	go func() { _ = c.srv.Serve(ln) }()
	return c
}

// Close stops the server.
func (c *Capture) Close() error { return c.srv.Close() }

// SetFailing makes the server refuse (true) or accept (false) messages.
func (c *Capture) SetFailing(fail bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = fail
}

// Messages returns what was received so far, oldest first.
func (c *Capture) Messages() []Captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

type captureSession struct {
	c    *Capture
	from string
	to   []string
}

func (s *captureSession) Reset()        { s.from, s.to = "", nil }
func (s *captureSession) Logout() error { return nil }

func (s *captureSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *captureSession) Data(r io.Reader) error {
	s.c.mu.Lock()
	fail := s.c.fail
	s.c.mu.Unlock()
	if fail {
		_, _ = io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "capture is failing on purpose"}
	}
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return fmt.Errorf("capture: parse message: %w", err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return fmt.Errorf("capture: read body: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	got := Captured{From: s.from, To: slices.Clone(s.to), Subject: subject,
		Body: decodeBody(msg.Header.Get("Content-Transfer-Encoding"), body), Received: time.Now()}
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, got)
	s.c.mu.Unlock()
	return nil
}

var capturePage = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Captured mail (demo)</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>
</head><body><h1>Captured mail</h1>
<p>Every email the demo gateway sent. Nothing here left this machine.</p>
{{range .}}<article><h2>{{.Subject}}</h2><p>To: {{range .To}}{{.}} {{end}}· {{.Received.Format "15:04:05"}}</p><pre>{{.Body}}</pre></article>
{{else}}<p>No mail yet.</p>{{end}}
</body></html>`))

// ServeHTTP lists the captured messages, newest first.
func (c *Capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	msgs := c.Messages()
	slices.Reverse(msgs)
	web.Write(w, http.StatusOK, capturePage, msgs)
}

// decodeBody undoes quoted-printable or base64, which go-mail may choose for the body.
func decodeBody(encoding string, body []byte) string {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err == nil {
			return string(b)
		}
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
		if err == nil {
			return string(b)
		}
	}
	return string(body)
}
