package smart

import (
	"testing"
	"time"
)

// TestRememberedTokensAreCheckedAsFresh: a token whose signature was verified once is still
// refused once it has expired, and a token that failed verification is never remembered.
func TestRememberedTokensAreCheckedAsFresh(t *testing.T) {
	ts, raw := benchToken(t)
	now := time.Now()
	if _, err := ts.verifyRemembered(raw, now); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.verifyRemembered(raw, now.Add(2*time.Hour)); err == nil {
		t.Error("an expired token was accepted from memory")
	}
	forged := raw[:len(raw)-4] + "AAAA"
	for range 2 {
		if _, err := ts.verifyRemembered(forged, now); err == nil {
			t.Fatal("a token with a wrong signature was accepted")
		}
	}
	if n := len(ts.verified.claims); n != 1 {
		t.Errorf("%d tokens remembered, want 1", n)
	}
}
