package audit

import "slices"

// checkpoints checks each checkpoint's signature, that it starts where the one before ended,
// and that its chain values match the entries it covers. A mismatch is what an entry rewritten
// together with every link after it leaves: nothing but a signature can show it.
func (v *verifier) checkpoints() {
	chains := v.fold()
	var prev *Checkpoint
	for i, e := range v.entries {
		if e.Kind != KindCheckpoint || e.Problem != "" {
			continue
		}
		v.report.Checkpoints++
		cp, err := v.keys.Checkpoint(e)
		if err != nil {
			v.replace(i, Changed, e.Seq, err.Error())
			continue
		}
		if prev != nil && (cp.From != prev.To || cp.FromChain != prev.Chain) {
			v.problem(i, Removed, prev.To+1, "this checkpoint starts after seq %d, but the one before it ended at seq %d: a checkpoint is missing", cp.From, prev.To)
		}
		prev = &cp
		from, fromOK := chains[cp.From]
		to, toOK := chains[cp.To]
		switch {
		case !toOK:
			// A gap lies before it, reported already.
		case v.explained(cp.From+1, cp.To):
			// A problem found in its range says more than the mismatch would.
		case (fromOK && from != cp.FromChain) || to != cp.Chain:
			pos := i
			if p, ok := v.at[cp.From+1]; ok {
				pos = p
			}
			v.problem(pos, Changed, cp.From+1, "the entries seq %d to %d do not match the checkpoint at stream id %s made %s: "+
				"one of them was changed, removed, inserted or reordered and the links after it rewritten",
				cp.From+1, cp.To, e.ID, cp.Time.Format("2006-01-02T15:04:05Z07:00"))
		default:
			v.report.Sealed, v.report.LastCheckpoint = max(v.report.Sealed, cp.To), cp.Time
		}
	}
}

// fold computes the chain value at each seq from the start of the stream on, as far as the
// seqs run without a gap. A stream that does not start at seq 1 was trimmed, which happens only
// where a checkpoint starts: that checkpoint's FromChain anchors the fold.
func (v *verifier) fold() map[int64]string {
	chains := map[int64]string{}
	if v.maxSeq == 0 {
		return chains
	}
	first := v.report.FirstSeq
	anchor, ok := Genesis, first == 1
	if !ok {
		anchor, ok = v.anchor(first - 1)
	}
	if !ok {
		v.problem(0, Removed, 1, "the stream starts at seq %d and no checkpoint starts there: the entries before it are missing", first)
		return chains
	}
	chains[first-1] = anchor
	for s := first; ; s++ {
		d, ok := v.digests[s]
		if !ok {
			return chains
		}
		chains[s] = Link(chains[s-1], s, d)
	}
}

// anchor returns the chain value a verified checkpoint gives for the seq it starts after.
func (v *verifier) anchor(seq int64) (string, bool) {
	for _, e := range v.entries {
		if e.Kind != KindCheckpoint || e.Problem != "" {
			continue
		}
		if cp, err := v.keys.Checkpoint(e); err == nil && cp.From == seq {
			return cp.FromChain, true
		}
	}
	return "", false
}

// replace reports a problem at pos in place of one found there already: a forged checkpoint
// breaks its successor's link too, and the signature says more.
func (v *verifier) replace(pos int, kind string, seq int64, detail string) {
	v.report.Problems = slices.DeleteFunc(v.report.Problems, func(p Problem) bool { return p.pos == pos })
	v.problem(pos, kind, seq, "%s", detail)
}

// explained reports whether a problem was found for a seq from..to already.
func (v *verifier) explained(from, to int64) bool {
	return slices.ContainsFunc(v.report.Problems, func(p Problem) bool { return p.Seq >= from && p.Seq <= to })
}
