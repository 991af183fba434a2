package audit

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Kinds of tampering Verify reports.
const (
	Removed   = "removed"
	Changed   = "changed"
	Reordered = "reordered"
	Inserted  = "inserted"
)

// Problem is one place where the stream is not as the gateway wrote it.
type Problem struct {
	Kind string
	// Seq is the sequence number concerned and ID the stream id of the entry where it shows.
	Seq    int64
	ID     string
	Detail string
	pos    int // where in the stream it shows, for ordering
}

func (p Problem) String() string {
	return fmt.Sprintf("%s at seq %d (stream id %s): %s", p.Kind, p.Seq, p.ID, p.Detail)
}

// Report is what Verify found.
type Report struct {
	Entries, Checkpoints int
	FirstSeq, LastSeq    int64
	// Sealed is the last seq covered by a checkpoint that verified and matched, and
	// LastCheckpoint when that checkpoint was made.
	Sealed         int64
	LastCheckpoint time.Time
	// Problems are in stream order: the first is the first place it happened.
	Problems []Problem
}

// OK reports whether nothing was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify reads the whole stream and its head and checks them (Check).
func (t *Trail) Verify(ctx context.Context, keys Keyring) (Report, error) {
	entries, err := t.Entries(ctx, "", 0)
	if err != nil {
		return Report{}, err
	}
	head, err := t.Head(ctx)
	if err != nil {
		return Report{}, err
	}
	return Check(entries, head, keys), nil
}

// Check verifies entries (a stream's, oldest first) against the head and the checkpoint keys:
// every entry's seq follows the one before and names its digest, the head names the last
// entry, and each checkpoint's signature holds and its chain values match the entries it
// covers. It reports each removed, changed, reordered or inserted entry where it shows.
func Check(entries []Entry, head Head, keys Keyring) Report {
	v := &verifier{entries: entries, keys: keys, digests: map[int64]string{}, at: map[int64]int{}, later: map[int64]bool{}}
	v.links()
	v.head(head)
	v.checkpoints()
	slices.SortStableFunc(v.report.Problems, func(a, b Problem) int { return a.pos - b.pos })
	v.report.Entries = len(entries)
	return v.report
}

// verifier holds what Check learns on its way through the stream.
type verifier struct {
	entries []Entry
	keys    Keyring
	report  Report
	// digests and at hold, by seq, the digest and position of the entry taken as genuine.
	digests map[int64]string
	at      map[int64]int
	// later are seqs found missing where they belonged, but present further on (reordered).
	later  map[int64]bool
	maxSeq int64
}

func (v *verifier) problem(pos int, kind string, seq int64, format string, args ...any) {
	id := ""
	if pos < len(v.entries) {
		id = v.entries[pos].ID
	}
	v.report.Problems = append(v.report.Problems, Problem{Kind: kind, Seq: seq, ID: id, Detail: fmt.Sprintf(format, args...), pos: pos})
}

// links checks every entry's seq and prev against those before it.
func (v *verifier) links() {
	for i, e := range v.entries {
		switch {
		case e.Problem != "":
			v.problem(i, Inserted, 0, "this entry is not one the gateway wrote: %s", e.Problem)
			continue
		case v.digests[e.Seq] != "":
			if !v.duplicate(i) {
				continue
			}
		case v.maxSeq > 0 && e.Seq > v.maxSeq+1:
			v.gap(i)
		case e.Seq <= v.maxSeq && !v.later[e.Seq]:
			v.problem(i, Reordered, e.Seq, "seq %d comes after seq %d", e.Seq, v.maxSeq)
		}
		v.link(i)
		v.digests[e.Seq], v.at[e.Seq] = e.Digest(), i
		v.maxSeq = max(v.maxSeq, e.Seq)
	}
	if v.maxSeq > 0 {
		v.report.FirstSeq, v.report.LastSeq = v.firstSeq(), v.maxSeq
	}
}

// duplicate handles an entry whose seq was taken already: the genuine one of the two is the
// one the next seq's entry names. It reports the other and says whether entry i is genuine.
func (v *verifier) duplicate(i int) bool {
	e := v.entries[i]
	if next, ok := v.find(e.Seq+1, i); ok && v.entries[next].Prev == e.Digest() {
		v.problem(v.at[e.Seq], Inserted, e.Seq, "a second entry claims seq %d; the entry after them names the later one", e.Seq)
		return true
	}
	v.problem(i, Inserted, e.Seq, "a second entry claims seq %d", e.Seq)
	return false
}

// gap reports the seqs missing before entry i: reordered if they come later, else removed.
func (v *verifier) gap(i int) {
	e := v.entries[i]
	from, to := v.maxSeq+1, e.Seq-1
	if _, ok := v.find(from, i); ok {
		for s := from; s <= to; s++ {
			v.later[s] = true
		}
		v.problem(i, Reordered, e.Seq, "seq %d comes before seq %d", e.Seq, from)
		return
	}
	if from == to {
		v.problem(i, Removed, from, "the entry with seq %d is missing; it came before this one", from)
		return
	}
	v.problem(i, Removed, from, "the entries with seq %d to %d are missing; they came before this one", from, to)
}

// link checks that entry i names the digest of the entry before it.
func (v *verifier) link(i int) {
	e := v.entries[i]
	if e.Seq == 1 {
		if e.Prev != Genesis {
			v.problem(i, Inserted, 1, "the first entry names a predecessor")
		}
		return
	}
	if prev, ok := v.digests[e.Seq-1]; ok && e.Prev != prev {
		p := v.at[e.Seq-1]
		v.problem(p, Changed, e.Seq-1, "its content does not hash to what the entry after it (seq %d) names", e.Seq)
	}
}

// find returns the position after from of the first well-formed entry with seq.
func (v *verifier) find(seq int64, from int) (int, bool) {
	for j := from + 1; j < len(v.entries); j++ {
		if v.entries[j].Problem == "" && v.entries[j].Seq == seq {
			return j, true
		}
	}
	return 0, false
}

func (v *verifier) firstSeq() int64 {
	first := v.maxSeq
	for s := range v.digests {
		first = min(first, s)
	}
	return first
}

// head checks that the head names the newest entry: entries removed from the end of the stream
// show only there, until a checkpoint covers them.
func (v *verifier) head(h Head) {
	end := len(v.entries)
	switch {
	case v.maxSeq == 0 && h.Seq == 0:
	case h.Seq > v.maxSeq:
		v.problem(end, Removed, v.maxSeq+1, "the newest entries, seq %d to %d, are missing: the chain's head names seq %d", v.maxSeq+1, h.Seq, h.Seq)
	case h.Seq < v.maxSeq:
		v.problem(v.at[h.Seq+1], Inserted, h.Seq+1, "entries after seq %d were added behind the chain's head", h.Seq)
	case h.Digest != v.digests[h.Seq]:
		v.problem(v.at[h.Seq], Changed, h.Seq, "its content does not hash to what the chain's head names")
	}
}
