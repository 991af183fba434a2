package fhirproxy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The upstream's searchset, read in one pass, and the gateway's, written by copying the
// checked bytes of each released resource. This is the part of the search filter that touches
// Bundle JSON; filter.go decides what of it is released.

// maxEntries bounds the entries of one upstream page, includes and outcomes together.
const maxEntries = 5000

// searchHead is the part of an upstream searchset outside its entries.
type searchHead struct {
	ResourceType string
	Type         string
	Total        *int
	Link         []bundleLink
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// bundleEntry is one entry, read from the upstream and written to the client. Fields not
// listed (request, response, unknown extensions of the entry) are dropped.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource"`
	Search   *entrySearch    `json:"search,omitempty"`
}

type entrySearch struct {
	Mode  string   `json:"mode,omitempty"`
	Score *float64 `json:"score,omitempty"`
}

// outBundle is the searchset the proxy releases.
type outBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry"`
	// rendered is the searchset as JSON, when releaseSearch wrote it with the entries (whose
	// Resources lie in it); appendJSON writes it as it is.
	rendered []byte
}

// searchEntry is one upstream entry as readSearchset read it: its resource scanned, and how it
// was found. problem is why it must be dropped whatever its resource (a repeated member).
type searchEntry struct {
	resource    resourceScan
	hasResource bool
	mode        string
	score       *float64
	problem     error
}

// readSearchset reads an upstream searchset in one pass (jsonscan.go), with st made for body:
// the Bundle's members, and its entries one at a time, each handed to onEntry with its
// resource scanned (scan.go).
// A syntax error anywhere, a repeated Bundle member (two "entry" arrays, two "total"s: parsers
// disagree on which one counts) or a member of the wrong type makes the answer unusable.
func (h *Handler) readSearchset(body []byte, st *scanState, onEntry func(searchEntry)) (searchHead, error) {
	var head searchHead
	s := scanner{buf: body}
	var names [][]byte
	if s.expect('{'); s.err != nil {
		return head, fmt.Errorf("searchset: %w", s.err)
	}
	for n := 0; s.next('}', n); n++ {
		name, _ := s.name()
		names = append(names, name)
		if err := head.readMember(&s, string(name), st, onEntry); err != nil {
			return head, fmt.Errorf("searchset member %q: %w", clip(string(name)), err)
		}
	}
	switch s.end(); {
	case s.err != nil:
		return head, fmt.Errorf("searchset: %w", s.err)
	case repeats(names):
		return head, fmt.Errorf("searchset: %w", errDuplicateKey)
	case head.ResourceType != "Bundle" || head.Type != "searchset":
		return head, fmt.Errorf("searchset: got %q of type %q", clip(head.ResourceType), clip(head.Type))
	}
	return head, nil
}

// readMember reads the value of the searchset's member called name.
func (head *searchHead) readMember(s *scanner, name string, st *scanState, onEntry func(searchEntry)) error {
	if name == "entry" {
		return readEntries(s, st, onEntry)
	}
	s.ws()
	at := s.pos
	s.skip(1)
	if s.err != nil {
		return s.err
	}
	raw := s.buf[at:s.pos]
	var ok bool
	switch name {
	case "resourceType":
		head.ResourceType, ok = stringOf(raw)
	case "type":
		head.Type, ok = stringOf(raw)
	case "total":
		head.Total, ok = intOrNull(raw)
	case "link":
		head.Link, ok = readLinks(raw)
	default: // id, meta, timestamp, signature...: not released
		ok = true
	}
	if !ok {
		return errors.New("not of its FHIR type")
	}
	return nil
}

// readEntries reads the entry array one entry at a time.
func readEntries(s *scanner, st *scanState, onEntry func(searchEntry)) error {
	if s.expect('['); s.err != nil {
		return s.err
	}
	for n := 0; s.next(']', n); n++ {
		if n >= maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		e, err := readEntry(s, st)
		if err != nil {
			return fmt.Errorf("entry %d: %w", n, err)
		}
		onEntry(e)
	}
	return s.err
}

// readEntry reads one entry: its resource, its search mode and score, and its fullUrl (only
// checked: the gateway writes its own). Other members are dropped.
func readEntry(s *scanner, st *scanState) (searchEntry, error) {
	var e searchEntry
	var buf [8][]byte
	names := buf[:0]
	if s.ws() == 'n' { // null: an entry without a resource, dropped
		s.literal()
		return e, s.err
	}
	if s.expect('{'); s.err != nil {
		return e, s.err
	}
	for n := 0; s.next('}', n); n++ {
		name, _ := s.name()
		names = append(names, name)
		if string(name) == "resource" {
			e.resource, e.hasResource = scanResource(s, st), true
			continue
		}
		s.ws()
		at := s.pos
		s.skip(1)
		if err := e.readMember(string(name), s.buf[at:s.pos]); s.err == nil && err != nil {
			return e, err
		}
	}
	if repeats(names) {
		e.problem = errDuplicateKey
	}
	return e, s.err
}

// readMember reads an entry member other than its resource.
func (e *searchEntry) readMember(name string, raw []byte) error {
	switch name {
	case "fullUrl":
		if !isString(raw) && !isNull(raw) {
			return errors.New("fullUrl is not a string")
		}
	case "search":
		if isNull(raw) {
			return nil
		}
		var bad error
		err := objectMembers(raw, func(name, value []byte) {
			var ok bool
			switch string(name) {
			case "mode":
				if e.mode, ok = searchMode(value); !ok && !isNull(value) {
					bad = errors.New("search.mode is not a string")
				}
			case "score":
				if e.score, ok = floatOrNull(value); !ok {
					bad = errors.New("search.score is not a number")
				}
			}
		})
		return cmp.Or(err, bad)
	}
	return nil
}

// searchMode reads a search mode, without a copy for the three FHIR knows.
func searchMode(raw []byte) (string, bool) {
	for _, mode := range [...]string{"match", "include", "outcome"} {
		if len(raw) == len(mode)+2 && string(raw[1:len(raw)-1]) == mode && raw[0] == '"' {
			return mode, true
		}
	}
	return stringOf(raw)
}

// isNull reports whether raw is the literal null.
func isNull(raw []byte) bool { return string(raw) == "null" }

// intOrNull reads an integer, or null as nil.
func intOrNull(raw []byte) (*int, bool) {
	if isNull(raw) {
		return nil, true
	}
	n, err := strconv.Atoi(string(raw))
	return &n, err == nil
}

// floatOrNull reads a number, or null as nil.
func floatOrNull(raw []byte) (*float64, bool) {
	if isNull(raw) {
		return nil, true
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') { // raw is one JSON value
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return &f, err == nil
}

// readLinks reads the Bundle's links: an array of objects with a string relation and url.
func readLinks(raw []byte) ([]bundleLink, bool) {
	if raw[0] != '[' && !isNull(raw) {
		return nil, false
	}
	var links []bundleLink
	err := eachItem(raw, func(item []byte) error {
		var l bundleLink
		if isNull(item) { // no relation: dropped as any other
			links = append(links, l)
			return nil
		}
		ok := true
		err := objectMembers(item, func(name, value []byte) {
			var good bool
			switch string(name) {
			case "relation":
				l.Relation, good = stringOf(value)
			case "url":
				l.URL, good = stringOf(value)
			default:
				return
			}
			ok = ok && (good || isNull(value))
		})
		if err == nil && !ok {
			err = errors.New("a link member is not a string")
		}
		links = append(links, l)
		return err
	})
	return links, err == nil
}
