package fhirproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// A validating JSON scanner over bytes held in memory: the one reader of upstream answers.
// It accepts exactly the JSON texts of RFC 8259 (encoding/json's json.Valid agrees, which
// FuzzScanValid checks) and never builds a generic value; callers walk the text with its
// small steps (ws, str, number, skip, next) and keep offsets into the bytes, so a released
// resource is a copy of bytes that were checked. Invalid UTF-8 and repeated member names are
// reported beside syntax errors, so that a caller can refuse one resource rather than a whole
// answer.

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// errSyntax: the bytes are not JSON. The whole answer is refused.
var errSyntax = errors.New("invalid JSON")

// errBadUTF8: a string is not valid UTF-8; clients would read it differently.
var errBadUTF8 = errors.New("JSON string is not valid UTF-8")

// scanner is a position in buf and the first syntax error met. Every step is a no-op once
// err is set, so callers check err once after a series of steps.
type scanner struct {
	buf []byte
	pos int
	err error
}

// strFlags describe a string's content.
type strFlags uint8

const (
	strEscaped  strFlags = 1 << iota // holds a backslash escape: the bytes are not the text
	strNonASCII                      // holds bytes of multi-byte UTF-8 sequences
	strBadUTF8                       // not valid UTF-8 (syntax is fine)
)

func (s *scanner) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.pos)
	}
}

// ws skips whitespace and returns the next byte, 0 at the end (0 is never valid there).
func (s *scanner) ws() byte {
	if s.pos < len(s.buf) && s.buf[s.pos] > ' ' { // compact JSON: no whitespace at all
		return s.buf[s.pos]
	}
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// expect consumes c after whitespace.
func (s *scanner) expect(c byte) {
	if s.ws() != c {
		s.fail(fmt.Sprintf("want %q", c))
		return
	}
	s.pos++
}

// next reports whether the object or array being read has one more element, after the n
// already read: it consumes the comma before it, or the closing delimiter end.
func (s *scanner) next(end byte, n int) bool {
	c := s.ws()
	switch {
	case s.err != nil:
		return false
	case c == end:
		s.pos++
		return false
	case n == 0:
		return true
	case c == ',':
		s.pos++
		return true
	}
	s.fail(fmt.Sprintf("want ',' or %q", end))
	return false
}

// str reads a string at pos (after whitespace) and returns its content's span, quotes
// excluded, and what it holds.
func (s *scanner) str() (start, end int, flags strFlags) {
	if s.ws() != '"' {
		s.fail("want a string")
		return s.pos, s.pos, 0
	}
	start = s.pos + 1
	for i := start; ; {
		i += plainRun(s.buf[i:])
		if i >= len(s.buf) {
			s.pos = i
			s.fail("unterminated string")
			return start, start, 0
		}
		switch c := s.buf[i]; {
		case c == '"':
			s.pos = i + 1
			if flags&strNonASCII != 0 && !utf8.Valid(s.buf[start:i]) {
				flags |= strBadUTF8
			}
			return start, i, flags
		case c == '\\':
			flags |= strEscaped
			if i = s.escape(i); s.err != nil {
				return start, start, 0
			}
		case c < 0x20:
			s.pos = i
			s.fail("control character in string")
			return start, start, 0
		default: // c >= 0x80
			flags |= strNonASCII
			i++
		}
	}
}

// escape checks the escape sequence at buf[i] (a backslash) and returns the index after it.
func (s *scanner) escape(i int) int {
	if i+1 >= len(s.buf) {
		s.pos = i
		s.fail("unterminated escape")
		return i
	}
	switch s.buf[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if i+6 <= len(s.buf) && isHex(s.buf[i+2]) && isHex(s.buf[i+3]) && isHex(s.buf[i+4]) && isHex(s.buf[i+5]) {
			return i + 6
		}
	}
	s.pos = i
	s.fail("invalid escape")
	return i
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// plainRun returns how many bytes at the start of b can be skipped inside a string: none is a
// quote, a backslash, a control character or part of a multi-byte UTF-8 sequence. It tests
// eight bytes at a time, most strings being shorter than that.
func plainRun(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if sp := special(binary.LittleEndian.Uint64(b[i:])); sp != 0 {
			return i + bits.TrailingZeros64(sp)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	return i
}

// special returns x, eight bytes of a string in little-endian order, with the high bit of each
// byte that may need attention set, and no other bit: the lowest such bit is exactly the first
// byte that is >= 0x80 (x itself), below 0x20 (the subtraction wraps), '"' or '\\' (zero after
// the xor, then wrapping). A wrap borrows from the byte above, which may then be flagged
// falsely; a byte below the first special one never is.
func special(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x | (x - ones*0x20) | ((x ^ ones*'"') - ones) | ((x ^ ones*'\\') - ones)) & highs
}

// number reads a number at pos (after whitespace): -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() (start, end int) {
	start = s.pos
	i := start
	if i < len(s.buf) && s.buf[i] == '-' {
		i++
	}
	switch {
	case i < len(s.buf) && s.buf[i] == '0':
		i++
	case i < len(s.buf) && '1' <= s.buf[i] && s.buf[i] <= '9':
		i = digits(s.buf, i)
	default:
		s.fail("invalid number")
		return start, start
	}
	if i < len(s.buf) && s.buf[i] == '.' {
		if j := digits(s.buf, i+1); j > i+1 {
			i = j
		} else {
			s.fail("invalid number")
			return start, start
		}
	}
	if i < len(s.buf) && (s.buf[i] == 'e' || s.buf[i] == 'E') {
		i++
		if i < len(s.buf) && (s.buf[i] == '+' || s.buf[i] == '-') {
			i++
		}
		if j := digits(s.buf, i); j > i {
			i = j
		} else {
			s.fail("invalid number")
			return start, start
		}
	}
	s.pos = i
	return start, i
}

// digits returns the index after the run of decimal digits starting at i.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// literal reads true, false or null at pos.
func (s *scanner) literal() {
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(s.buf[s.pos:], []byte(lit)) {
			s.pos += len(lit)
			return
		}
	}
	s.fail("invalid value")
}

// name reads a member name and its colon; the name is decoded (a copy) when it holds escapes.
func (s *scanner) name() ([]byte, strFlags) {
	start, end, flags := s.str()
	s.expect(':')
	if flags&strEscaped != 0 && s.err == nil {
		return unescape(s.buf[start-1 : end+1]), flags
	}
	return s.buf[start:end], flags
}

// skip reads any value at pos, checking it, and returns whether it was free of invalid UTF-8
// and repeated member names.
func (s *scanner) skip(depth int) (clean bool) {
	clean = true
	switch c := s.ws(); {
	case depth > maxDepth:
		s.fail("nested too deeply")
	case c == '{':
		s.pos++
		var buf [16][]byte
		names := buf[:0]
		for n := 0; s.next('}', n); n++ {
			name, flags := s.name()
			names = append(names, name)
			clean = s.skip(depth+1) && clean && flags&strBadUTF8 == 0
		}
		clean = clean && !repeats(names)
	case c == '[':
		s.pos++
		for n := 0; s.next(']', n); n++ {
			clean = s.skip(depth+1) && clean
		}
	case c == '"':
		_, _, flags := s.str()
		clean = flags&strBadUTF8 == 0
	case c == '-' || '0' <= c && c <= '9':
		s.number()
	default:
		s.literal()
	}
	return clean && s.err == nil
}

// end checks that nothing but whitespace follows the value read.
func (s *scanner) end() {
	if s.ws(); s.pos != len(s.buf) && s.err == nil {
		s.fail("trailing data")
	}
}

// repeats reports whether two of an object's (decoded) member names are equal. Few names are
// compared pairwise; many are sorted first (which reorders them).
func repeats(names [][]byte) bool {
	if len(names) > 16 {
		slices.SortFunc(names, bytes.Compare)
		for i := 1; i < len(names); i++ {
			if bytes.Equal(names[i-1], names[i]) {
				return true
			}
		}
		return false
	}
	for i := 1; i < len(names); i++ {
		for _, prev := range names[:i] {
			if len(prev) == len(names[i]) && bytes.Equal(prev, names[i]) {
				return true
			}
		}
	}
	return false
}
