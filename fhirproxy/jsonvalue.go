package fhirproxy

import (
	"encoding/json"
	"errors"
)

// Small values that a scan already returned (a resource's top-level member, a Reference, a
// link), read with the scanner of jsonscan.go. Each is checked again as it is read, so these
// are safe on any bytes.

// objectMembers calls fn with each member of raw, which must be an object without repeated
// names.
func objectMembers(raw []byte, fn func(name, value []byte)) error {
	s := scanner{buf: raw}
	if s.ws() != '{' {
		return errors.New("not a JSON object")
	}
	s.pos++
	var buf [8][]byte
	names := buf[:0]
	for n := 0; s.next('}', n); n++ {
		name, _ := s.name()
		names = append(names, name)
		s.ws()
		at := s.pos
		s.skip(1)
		if s.err == nil {
			fn(name, raw[at:s.pos])
		}
	}
	if s.end(); s.err != nil {
		return s.err
	}
	if repeats(names) {
		return errDuplicateKey
	}
	return nil
}

// eachItem calls fn with each element of the JSON array raw, or with raw itself when it is
// another value; null and nothing are no elements. It stops at fn's first error.
func eachItem(raw []byte, fn func(item []byte) error) error {
	it := listItems(raw)
	for item, ok := it.next(); ok; item, ok = it.next() {
		if err := fn(item); err != nil {
			return err
		}
	}
	return it.err()
}

// items reads a JSON value as a list, element by element: the elements of an array, the
// value itself when it is another value, nothing for null.
type items struct {
	s     scanner
	array bool
	n     int  // elements read
	done  bool // no element follows
}

func listItems(raw []byte) items {
	it := items{s: scanner{buf: raw}}
	switch it.s.ws() {
	case 0:
		it.done = true
	case 'n':
		it.s.literal()
		it.s.end()
		it.done = true
	case '[':
		it.s.pos++
		it.array = true
	}
	return it
}

// next returns the next element, or ok false at the end (or at an error: see err).
func (it *items) next() (item []byte, ok bool) {
	switch {
	case it.done || it.s.err != nil:
		return nil, false
	case !it.array:
		it.done = true
		return it.s.buf[it.s.pos:], true
	case !it.s.next(']', it.n):
		it.done = true
		it.s.end()
		return nil, false
	}
	it.n++
	it.s.ws()
	at := it.s.pos
	it.s.skip(1)
	return it.s.buf[at:it.s.pos], it.s.err == nil
}

func (it *items) err() error { return it.s.err }

// stringOf returns the text of raw, a JSON string; ok is false for any other value.
func stringOf(raw []byte) (string, bool) {
	s := scanner{buf: raw}
	t, ok := s.text()
	s.end()
	return t, ok && s.err == nil
}

// text reads the value at pos, which must be a string of valid UTF-8 (ok is false otherwise,
// and the value is read past), and returns its text.
func (s *scanner) text() (t string, ok bool) {
	b, ok := s.textBytes()
	return string(b), ok
}

// textBytes is text without a copy: the string's bytes in buf, unless it holds escapes.
func (s *scanner) textBytes() (t []byte, ok bool) {
	if s.ws() != '"' {
		s.skip(1)
		return nil, false
	}
	start, end, flags := s.str()
	switch {
	case s.err != nil || flags&strBadUTF8 != 0:
		return nil, false
	case flags&strEscaped != 0:
		return unescape(s.buf[start-1 : end+1]), true
	}
	return s.buf[start:end], true
}

// isString reports whether raw is a JSON string of valid UTF-8, as stringOf would, without
// making a string of it.
func isString(raw []byte) bool {
	s := scanner{buf: raw}
	_, ok := s.textBytes()
	s.end()
	return ok && s.err == nil
}

// unescape decodes a JSON string literal, quotes included, that str accepted.
func unescape(quoted []byte) []byte {
	var t string
	if err := json.Unmarshal(quoted, &t); err != nil {
		return nil // cannot happen for a literal str accepted
	}
	return []byte(t)
}
