package fhirproxy

import (
	"errors"
	"sync"
)

// One pass over a returned resource (scanResource) checks it as JSON and collects everything
// the response checks need, so that nothing reads it again: its top-level members (type, id,
// meta, the compartment fields, the fields a scope query constrains), the value of every
// "reference" member anywhere in it, whether it contains a Patient, and every string that
// names the upstream (the scrubber rewrites those, and only those, on release). A resource
// that is valid JSON but must not be released (a repeated member name at any depth, invalid
// UTF-8, a "reference" that is not a string, a contained Patient) gets a problem; the pass
// still reads to its end, so that the rest of a Bundle can be read.

// errContainedPatient: a resource carrying another Patient inside it (contained) would release
// that patient's demographics under someone else's record.
var errContainedPatient = errors.New("resource contains a Patient")

// errNotString: a "reference" member that is not a string is not FHIR; parsers could read it
// differently, so the resource is not released.
var errNotString = errors.New(`a "reference" member is not a string`)

// errDuplicateKey: a JSON object naming a member twice. Parsers disagree on which one wins,
// so the gateway could check one value while the client reads the other.
var errDuplicateKey = errors.New("duplicate JSON object member")

// member is one top-level member of a resource: its decoded name and its raw value.
type member struct {
	name  []byte
	value []byte
}

// fields are a resource's top-level members, in order, without repeats.
type fields []member

// get returns the raw value of the member called name, nil when there is none.
func (f fields) get(name string) []byte {
	for _, m := range f {
		if string(m.name) == name {
			return m.value
		}
	}
	return nil
}

// span is the byte range of one JSON string literal, quotes included.
type span struct{ start, end int }

// resourceScan is what one pass over a resource found. Offsets are into the scanned buffer.
type resourceScan struct {
	start, end int
	fields     fields
	refs       [][]byte // every "reference" member's value, decoded, in order
	names      []span   // strings that name the upstream, from start
	problem    error    // why the resource must not be released; nil when none
}

// scanState is what the scans of one buffer's resources share: the scrubber, its hits over the
// buffer (the offsets, ascending, where the upstream's host name appears in any ASCII case,
// consumed as the scans pass them: a plain string names the upstream exactly when one lies
// inside it; strings with escapes or non-ASCII bytes are decoded and checked instead), and
// buffers reused from one resource to the next.
type scanState struct {
	scrub  scrubber
	hits   []int
	fields []member // every resource's top-level members, one after the other
	spans  []span   // every resource's strings that name the upstream, one after the other
	// refs are every resource's references, one after the other: the bytes of the buffer
	// itself, or a decoded copy when the string holds escapes.
	refs [][]byte
	// patients are every resource's patients, one resource after the other, and refMemo how
	// the references they were read from resolved (resourceInfo's).
	patients []string
	refMemo  refMemo
	entries  []foundEntry // a searchset's entries (found.entries), grown as a search needs
}

func newScanState(sc scrubber, buf []byte) *scanState {
	// About one top-level member per 64 bytes of FHIR JSON: the fields rarely grow.
	return &scanState{scrub: sc, hits: sc.hits(buf, make([]int, 0, 64)), fields: make([]member, 0, 16+len(buf)/64),
		refs: make([][]byte, 0, 8+len(buf)/256), patients: make([]string, 0, 8+len(buf)/512)}
}

// scanPool keeps the buffers of searchset scans for reuse, so that a search does not allocate
// them (and the collector trace them) anew. A state goes back only once nothing of the answer
// it read is used any more (serve, after the release), cleared of everything it pointed to.
type scanPool struct{ p sync.Pool }

// maxPooledFields bounds what the pool keeps: the buffers of a huge answer are let go.
const maxPooledFields = 1 << 14

func (sp *scanPool) get(sc scrubber, buf []byte) *scanState {
	st, ok := sp.p.Get().(*scanState)
	if !ok {
		return newScanState(sc, buf)
	}
	st.scrub, st.hits = sc, sc.hits(buf, st.hits[:0])
	return st
}

func (sp *scanPool) put(st *scanState) {
	if st == nil || cap(st.fields) > maxPooledFields {
		return
	}
	clear(st.fields)
	clear(st.refs)
	clear(st.patients)
	clear(st.entries)
	st.refMemo = refMemo{}
	st.fields, st.spans, st.refs = st.fields[:0], st.spans[:0], st.refs[:0]
	st.patients, st.entries = st.patients[:0], st.entries[:0]
	sp.p.Put(st)
}

// resourceWalk is one scan of one resource.
type resourceWalk struct {
	*scanner
	*scanState
	out resourceScan
}

// memberRole is what a member's name makes of its value.
type memberRole uint8

const (
	roleNone         memberRole = iota
	roleReference               // the value of a "reference" member: must be a string
	roleResourceType            // the value of a "resourceType" member
)

// scanResource reads the value at s.pos, which must be an object, with st made for s.buf.
func scanResource(s *scanner, st *scanState) resourceScan {
	w := resourceWalk{scanner: s, scanState: st}
	if w.ws() != '{' {
		w.value(1, roleNone) // read past it
		w.out.problem = errors.New("a resource is not a JSON object")
	} else {
		w.out.start = w.pos
		first, firstSpan, firstRef := len(st.fields), len(st.spans), len(st.refs)
		w.object(1)
		w.out.refs = st.refs[firstRef:len(st.refs):len(st.refs)]
		w.out.fields = st.fields[first:len(st.fields):len(st.fields)]
		w.out.names = st.spans[firstSpan:len(st.spans):len(st.spans)]
	}
	w.out.end = w.pos
	return w.out
}

func (w *resourceWalk) flag(err error) {
	if w.out.problem == nil {
		w.out.problem = err
	}
}

// value reads one value at depth (the resource object is depth 1).
func (w *resourceWalk) value(depth int, role memberRole) {
	c := w.ws()
	if role == roleReference && c != '"' && w.err == nil {
		w.flag(errNotString)
	}
	switch {
	case depth > maxDepth:
		w.fail("nested too deeply")
	case c == '{':
		w.object(depth + 1)
	case c == '[':
		w.pos++
		for n := 0; w.next(']', n); n++ {
			w.value(depth+1, roleNone)
		}
	case c == '"':
		w.stringValue(depth, role)
	case c == '-' || '0' <= c && c <= '9':
		w.number()
	default:
		w.literal()
	}
}

// object reads an object at pos; at depth 1 its members are the resource's fields.
func (w *resourceWalk) object(depth int) {
	w.pos++
	var buf [16][]byte // on the stack, as skip's: most objects have fewer members
	names := buf[:0]
	for n := 0; w.next('}', n); n++ {
		nameAt := w.pos
		name, flags := w.name()
		if w.needsText(flags) && w.text(nameAt, w.pos, flags) {
			// Compared as released: two names could become one when rewritten.
			name = []byte(w.scrub.text(string(name)))
		}
		names = append(names, name)
		role := roleNone
		switch string(name) {
		case "reference":
			role = roleReference
		case "resourceType":
			role = roleResourceType
		}
		w.ws()
		start := w.pos
		w.value(depth, role)
		if depth == 1 {
			w.fields = append(w.fields, member{name: name, value: w.buf[start:w.pos]})
		}
	}
	if repeats(names) {
		w.flag(errDuplicateKey)
	}
}

// stringValue reads a string value and keeps what its member's role asks for.
func (w *resourceWalk) stringValue(depth int, role memberRole) {
	at := w.pos
	start, end, flags := w.str()
	if w.needsText(flags) {
		w.text(at, w.pos, flags)
	}
	if w.err != nil || role == roleNone {
		return
	}
	v := w.buf[start:end]
	if flags&strEscaped != 0 {
		v = unescape(w.buf[start-1 : end+1])
	}
	switch {
	case role == roleReference:
		w.refs = append(w.refs, v)
	case depth > 1 && string(v) == "Patient": // a "resourceType" below the resource's own
		w.flag(errContainedPatient)
	}
}

// needsText reports whether the string just read, with flags, needs text: it is not plain
// ASCII, or a mention of the upstream begins before its end (hits not yet consumed are at or
// after its start). Most strings need nothing, and this test inlines where text cannot.
func (w *resourceWalk) needsText(flags strFlags) bool {
	return flags != 0 || len(w.hits) > 0 && w.hits[0] < w.pos
}

// text checks one string literal (a name or a value) at [at, end): invalid UTF-8 is a
// problem, and a string naming the upstream is kept for the scrubber (named is then true).
func (w *resourceWalk) text(at, end int, flags strFlags) (named bool) {
	if w.err != nil {
		return false
	}
	if flags&strBadUTF8 != 0 {
		w.flag(errBadUTF8)
		return false
	}
	for len(w.hits) > 0 && w.hits[0] < at {
		w.hits = w.hits[1:]
	}
	named = len(w.hits) > 0 && w.hits[0]+len(w.scrub.needle) <= end
	if !named && flags&(strEscaped|strNonASCII) != 0 {
		named = w.scrub.mentions(string(unescape(w.buf[at:end])))
	}
	if named {
		w.spans = append(w.spans, span{at - w.out.start, end - w.out.start})
	}
	return named
}
