package audit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The auditors' questions, asked of the records the stream still holds (older ones are at the
// Audit Record Repository, see audit/forward): every access to one patient, everything one
// user did, every refusal with its reason, each in a time range.

// scanPage is how many entries one XRANGE of a scan reads.
const scanPage = 1000

// writeLag bounds how much later than its Time a record reaches the stream: the record is
// written when the request ends, and stream ids are the time of the write.
const writeLag = 5 * time.Minute

// Range is a time range of records; a zero bound is open.
type Range struct {
	From, To time.Time
}

// Contains reports whether t lies in the range, From included, To excluded.
func (r Range) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// Filter is one auditor's question.
type Filter struct {
	Range
	// Patient keeps the records about this patient: only those that released some of the
	// patient's data (an accounting of disclosures), unless AllAboutPatient.
	Patient         string
	AllAboutPatient bool
	// User keeps the records of what this user did: their requests and their actions.
	User string
	// Refusals keeps only refused requests and failed actions.
	Refusals bool
}

// Match reports whether r answers the question.
func (f Filter) Match(r Record) bool {
	switch {
	case !f.Contains(r.Time):
		return false
	case f.Refusals && !r.Failed():
		return false
	case f.User != "" && r.User != f.User && r.Actor != f.User:
		return false
	case f.Patient == "":
		return true
	case f.AllAboutPatient:
		return slices.Contains(r.Patients, f.Patient)
	}
	return slices.Contains(r.Disclosed, f.Patient)
}

// Scan calls fn with every record entry whose stream id may fall in rg, oldest first, until fn
// returns false. It reads the stream a page at a time; an entry that is no record is skipped
// (Verify reports those).
func (t *Trail) Scan(ctx context.Context, rg Range, fn func(Entry, Record) bool) error {
	start, end := "-", "+"
	if !rg.From.IsZero() {
		start = strconv.FormatInt(rg.From.UnixMilli(), 10)
	}
	if !rg.To.IsZero() {
		end = strconv.FormatInt(rg.To.Add(writeLag).UnixMilli(), 10)
	}
	for {
		msgs, err := t.rdb.XRangeN(ctx, t.base, start, end, scanPage).Result()
		if err != nil {
			return fmt.Errorf("audit: read %s: %w", t.base, err)
		}
		for _, m := range msgs {
			e := entryOf(m)
			if e.Kind != KindRecord {
				continue
			}
			r, err := e.Record()
			if err != nil {
				continue
			}
			if !fn(e, r) {
				return nil
			}
		}
		if len(msgs) < scanPage {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// Query returns the records that answer f, oldest first, at most limit of them (0: all).
func (t *Trail) Query(ctx context.Context, f Filter, limit int) ([]Record, error) {
	var out []Record
	err := t.Scan(ctx, f.Range, func(_ Entry, r Record) bool {
		if f.Match(r) {
			out = append(out, r)
		}
		return limit <= 0 || len(out) < limit
	})
	return out, err
}

// ParseTime reads a range bound as an auditor writes it: an RFC 3339 time, or a date
// (YYYY-MM-DD, midnight UTC). Empty is an open bound.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-01-31) nor an RFC 3339 time (2026-01-31T08:00:00Z)", s)
	}
	return t, nil
}
