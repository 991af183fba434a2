package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mypatients/gateway/redisstore/redistest"
)

// sealedStream writes the stream every tampering case starts from: records seq 1-10, a
// checkpoint (11) over them, records 12-21, a checkpoint (22) over 11-21, records 23-27 not yet
// sealed. It returns the trail and its signer.
func sealedStream(t *testing.T, rdb redis.UniversalClient) (*Trail, *Signer) {
	t.Helper()
	ctx := context.Background()
	trail := NewTrail(rdb, TrailOptions{Prefix: "t:", Stream: "audit"})
	signer := newSigner(t)
	for _, n := range []int{10, 10, 5} {
		for i := range n {
			if err := trail.Write(ctx, Record{RequestID: fmt.Sprintf("r%d-%d", n, i), User: "accounts:u-pcp", Patients: []string{"child-01"}}); err != nil {
				t.Fatal(err)
			}
		}
		if n == 5 {
			break
		}
		if _, sealed, err := trail.SealNext(ctx, signer, 1000); err != nil || !sealed {
			t.Fatalf("SealNext = %v, %v", sealed, err)
		}
	}
	return trail, signer
}

func newSigner(t *testing.T) *Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tampering rewrites the stream's messages (and what the head says), as someone with write
// access to Redis could.
type tampering func(msgs []redis.XMessage, head Head) ([]redis.XMessage, Head)

func at(i int, f func(redis.XMessage) []redis.XMessage) tampering {
	return func(msgs []redis.XMessage, head Head) ([]redis.XMessage, Head) {
		return slices.Concat(msgs[:i], f(msgs[i]), msgs[i+1:]), head
	}
}

func editRecord(m redis.XMessage) redis.XMessage {
	values := map[string]any{}
	for k, v := range m.Values {
		values[k] = v
	}
	values[KindRecord] = strings.Replace(values[KindRecord].(string), "accounts:u-pcp", "accounts:u-pcp2", 1)
	return redis.XMessage{Values: values}
}

// relink recomputes every prev after message i and the head: a careful forger's rewrite.
func relink(msgs []redis.XMessage, head Head) ([]redis.XMessage, Head) {
	prev := Genesis
	for _, m := range msgs {
		m.Values["prev"] = prev
		e := entryOf(m)
		prev = e.Digest()
	}
	head.Digest = prev
	return msgs, head
}

// TestVerifyFindsEachTampering tampers with a sealed stream in each way and requires Check to
// name the kind and the first place; the untouched stream passes.
func TestVerifyFindsEachTampering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tamper  tampering
		kind    string // "" for a stream that must pass
		seq     int64
		problem string
	}{
		{"untouched", nil, "", 0, ""},
		{"remove", at(4, func(redis.XMessage) []redis.XMessage { return nil }), Removed, 5, "seq 5 is missing"},
		{"change", at(4, func(m redis.XMessage) []redis.XMessage { return []redis.XMessage{editRecord(m)} }), Changed, 5, "does not hash"},
		{"reorder", func(msgs []redis.XMessage, h Head) ([]redis.XMessage, Head) {
			msgs[4], msgs[5] = msgs[5], msgs[4]
			return msgs, h
		}, Reordered, 6, "seq 6 comes before seq 5"},
		{"insert a foreign entry", at(5, func(m redis.XMessage) []redis.XMessage {
			return []redis.XMessage{{Values: map[string]any{KindRecord: `{"user":"accounts:u-pcp"}`}}, m}
		}), Inserted, 0, "not one the gateway wrote"},
		{"insert a chained copy", at(5, func(m redis.XMessage) []redis.XMessage {
			forged := editRecord(m)
			return []redis.XMessage{forged, m}
		}), Inserted, 6, "second entry claims seq 6"},
		{"change and relink everything after", func(msgs []redis.XMessage, h Head) ([]redis.XMessage, Head) {
			msgs[4] = editRecord(msgs[4])
			return relink(msgs, h)
		}, Changed, 1, "do not match the checkpoint"},
		{"remove the newest", func(msgs []redis.XMessage, h Head) ([]redis.XMessage, Head) {
			return msgs[:len(msgs)-1], h
		}, Removed, 27, "head names seq 27"},
		{"forge a checkpoint", at(10, func(m redis.XMessage) []redis.XMessage {
			m.Values[KindCheckpoint] = strings.Replace(m.Values[KindCheckpoint].(string), `"to":10`, `"to":9`, 1)
			return []redis.XMessage{m}
		}), Changed, 11, "does not verify"},
		{"trim at a checkpoint's start", func(msgs []redis.XMessage, h Head) ([]redis.XMessage, Head) {
			return msgs[10:], h // the second checkpoint covers seq 11 (the first checkpoint) on
		}, "", 0, ""},
		{"remove the oldest", func(msgs []redis.XMessage, h Head) ([]redis.XMessage, Head) {
			return msgs[5:], h
		}, Removed, 1, "starts at seq 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdb := redistest.Embedded(t).Client
			trail, signer := sealedStream(t, rdb)
			entries, head := tamperWith(t, trail, tc.tamper)
			report := Check(entries, head, signer.Keyring())
			if tc.kind == "" {
				if !report.OK() || report.Sealed != 21 {
					t.Fatalf("untampered stream: %+v", report)
				}
				return
			}
			if report.OK() {
				t.Fatalf("%s went unnoticed: %+v", tc.name, report)
			}
			first := report.Problems[0]
			if first.Kind != tc.kind || first.Seq != tc.seq || !strings.Contains(first.Detail, tc.problem) {
				t.Errorf("first problem = %s, want %s at seq %d (%q); all: %v", first, tc.kind, tc.seq, tc.problem, report.Problems)
			}
		})
	}
}

// tamperWith applies f to the stream by rebuilding it, and returns what Check is given.
func tamperWith(t *testing.T, trail *Trail, f tampering) ([]Entry, Head) {
	t.Helper()
	ctx := context.Background()
	head, err := trail.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		msgs, err := trail.rdb.XRange(ctx, trail.Key(), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		msgs, head = f(msgs, head)
		if err := trail.rdb.Del(ctx, trail.Key()).Err(); err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			if err := trail.rdb.XAdd(ctx, &redis.XAddArgs{Stream: trail.Key(), ID: fmt.Sprintf("%d-1", 1000+i), Values: m.Values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := trail.Entries(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return entries, head
}

// TestVerifyNeedsTheCheckpointKey: a checkpoint signed with a key the auditor does not trust
// fails, so that whoever can write to Redis cannot seal a forged stream with a key of their own.
func TestVerifyNeedsTheCheckpointKey(t *testing.T) {
	t.Parallel()
	rdb := redistest.Embedded(t).Client
	trail, _ := sealedStream(t, rdb)
	report, err := trail.Verify(context.Background(), newSigner(t).Keyring())
	if err != nil {
		t.Fatal(err)
	}
	if report.OK() || report.Problems[0].Seq != 11 || !strings.Contains(report.Problems[0].Detail, "not among the trusted keys") {
		t.Errorf("report = %+v", report)
	}
}

// TestSealNextContinuesTheChain seals in rounds, from a fresh process each time (no remembered
// checkpoint): every checkpoint starts where the one before ended and Verify passes.
func TestSealNextContinuesTheChain(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		ctx := context.Background()
		trail, signer := sealedStream(t, srv.Client)
		if err := srv.Client.Del(ctx, trail.KeyFor("sealed")).Err(); err != nil {
			t.Fatal(err)
		}
		cp, sealed, err := trail.SealNext(ctx, signer, 2)
		if err != nil || !sealed || cp.From != 21 || cp.To != 23 {
			t.Fatalf("SealNext after losing the remembered checkpoint = %+v, %v, %v", cp, sealed, err)
		}
		if _, sealed, err := trail.SealNext(ctx, signer, 1000); err != nil || !sealed {
			t.Fatalf("second SealNext = %v, %v", sealed, err)
		}
		if _, sealed, err := trail.SealNext(ctx, signer, 1000); err != nil || !sealed {
			t.Fatalf("third SealNext (over the second checkpoint alone) = %v, %v", sealed, err)
		}
		report, err := trail.Verify(ctx, signer.Keyring())
		if err != nil || !report.OK() || report.Checkpoints != 5 || report.Sealed != report.LastSeq-1 {
			t.Errorf("Verify = %+v, %v", report, err)
		}
	})
}
