package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mypatients/gateway/mail"
	"github.com/mypatients/gateway/redisstore/redistest"
)

// startCapture runs a real SMTP server (go-smtp) on loopback for the test.
func startCapture(t *testing.T) (*mail.Capture, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := mail.StartCapture(ln)
	t.Cleanup(func() { c.Close() })
	return c, ln.Addr().String()
}

func TestSenderSpeaksSMTP(t *testing.T) {
	t.Parallel()
	capture, addr := startCapture(t)
	s, err := mail.NewSender(mail.SMTPOptions{Addr: addr, From: "MyPatients <no-reply@example.org>", TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	body := "Hello,\n\nA line with ünïcode and a long line " + strings.Repeat("x", 120) + "\n"
	if err := s.Send(context.Background(), mail.Message{To: "dr@example.org", Subject: "Test ✓", Body: body}); err != nil {
		t.Fatal(err)
	}
	got := capture.Messages()
	if len(got) != 1 || got[0].To[0] != "dr@example.org" || got[0].From != "no-reply@example.org" ||
		got[0].Subject != "Test ✓" || strings.TrimSpace(got[0].Body) != strings.TrimSpace(strings.ReplaceAll(body, "\n", "\r\n")) {
		t.Errorf("captured %+v", got)
	}
}

func TestSenderRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []mail.SMTPOptions{
		{Addr: "nohost", From: "a@example.org"},
		{Addr: "127.0.0.1:x", From: "a@example.org"},
		{Addr: "127.0.0.1:25"},
		{Addr: "127.0.0.1:25", From: "a@example.org", TLS: "sometimes"},
	} {
		if _, err := mail.NewSender(o); err == nil {
			t.Errorf("NewSender(%+v) accepted", o)
		}
	}
}

// TestOutboxSurvivesAnOutage: while the SMTP server refuses mail, messages stay queued in
// Redis; once it accepts again they are all delivered, each once.
func TestOutboxSurvivesAnOutage(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		capture, addr := startCapture(t)
		capture.SetFailing(true)
		rdb := srv.Client
		s, err := mail.NewSender(mail.SMTPOptions{Addr: addr, From: "no-reply@example.org", TLS: "none"})
		if err != nil {
			t.Fatal(err)
		}
		ob := mail.NewOutbox(rdb, mail.OutboxOptions{Prefix: "test:", Send: s, Backoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond})
		for _, to := range []string{"a@example.org", "b@example.org", "c@example.org"} {
			if err := ob.Enqueue(ctx, mail.Message{To: to, Subject: "hello", Body: "hi"}); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() { defer close(done); ob.Run(ctx) }()
		time.Sleep(300 * time.Millisecond)
		if n, err := ob.Pending(ctx); err != nil || n != 3 || len(capture.Messages()) != 0 {
			t.Fatalf("during the outage: pending %d (%v), delivered %d", n, err, len(capture.Messages()))
		}
		capture.SetFailing(false)
		deadline := time.Now().Add(10 * time.Second)
		for len(capture.Messages()) < 3 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if got := capture.Messages(); len(got) != 3 {
			t.Errorf("delivered %d messages after the outage, want 3", len(got))
		}
		if n, _ := ob.Pending(ctx); n != 0 {
			t.Errorf("%d still pending", n)
		}
		cancel()
		<-done
	})
}
