package fhirproxy

import (
	"bytes"
	"cmp"
	"net/url"
	"strings"
	"unicode/utf8"
)

// scrubber removes the upstream's address from released resources: every string (member
// names too) that names the upstream's host, in any case or escaping, is rewritten by text;
// every other byte of a resource is released as the upstream sent it. scanResource finds the
// strings: a plain ASCII string names the host when one of the scrubber's hits over the
// buffer lies inside it; a string with escapes or non-ASCII bytes is decoded and checked with
// mentions.
type scrubber struct {
	fromBase, toBase string
	fromHost, toHost string
	// fromName is the upstream's host name without port, scrubbed too unless the gateway
	// shares it (both on 127.0.0.1, as in the demo); toName replaces it.
	fromName, toName string
	// needle is what every mention of the upstream contains, in lower case: its name, or its
	// host with the port when the name is shared.
	needle string
	// anchor is an index of needle whose byte has no case, to search for with IndexByte; -1
	// when needle is all letters.
	anchor int
}

func newScrubber(upstreamBase, public *url.URL) scrubber {
	name := strings.ToLower(upstreamBase.Hostname())
	if strings.EqualFold(name, public.Hostname()) {
		name = ""
	}
	s := scrubber{
		fromBase: upstreamBase.String(), toBase: public.String(), fromHost: strings.ToLower(upstreamBase.Host),
		toHost: public.Host, fromName: name, toName: public.Hostname(),
		needle: cmp.Or(name, strings.ToLower(upstreamBase.Host)),
	}
	s.anchor = strings.IndexFunc(s.needle, func(r rune) bool { return !isLetter(byte(r)) && r != ':' })
	if s.anchor < 0 {
		s.anchor = strings.IndexFunc(s.needle, func(r rune) bool { return !isLetter(byte(r)) })
	}
	return s
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// hits appends to dst the offset of every occurrence of the needle in b, in any ASCII case,
// in ascending order.
func (s scrubber) hits(b []byte, dst []int) []int {
	n := s.needle
	if s.anchor < 0 { // all letters: rare, and a byte loop will do
		for i := 0; i+len(n) <= len(b); i++ {
			if b[i]|0x20 == n[0] && equalFoldASCII(b[i:i+len(n)], n) {
				dst = append(dst, i)
			}
		}
		return dst
	}
	for from := 0; ; {
		i := bytes.IndexByte(b[from:], n[s.anchor])
		if i < 0 {
			return dst
		}
		at := from + i - s.anchor
		if at >= 0 && at+len(n) <= len(b) && equalFoldASCII(b[at:at+len(n)], n) {
			dst = append(dst, at)
		}
		from += i + 1
	}
}

// equalFoldASCII reports whether b equals lower, a lower-case ASCII string, in any ASCII case.
func equalFoldASCII[T ~string | ~[]byte](b T, lower string) bool {
	for i := range len(lower) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// rewrite appends to dst raw, a resource that scanResource read, with each string at names
// (offsets from raw's start) rewritten by text.
func (s scrubber) rewrite(dst, raw []byte, names []span) []byte {
	last := 0
	for _, n := range names {
		dst = append(dst, raw[last:n.start]...)
		dst = s.rewriteString(dst, raw[n.start:n.end])
		last = n.end
	}
	return append(dst, raw[last:]...)
}

// rewriteString appends lit, a JSON string literal naming the upstream, rewritten by text.
func (s scrubber) rewriteString(dst, lit []byte) []byte {
	if bytes.IndexByte(lit, '\\') < 0 && bytes.Contains(lit, []byte(s.fromBase)) {
		// The usual case, an absolute reference to the upstream, without copying it to a string
		// first: what text returns too when nothing else names the upstream.
		at := len(dst)
		for rest := lit; ; {
			i := bytes.Index(rest, []byte(s.fromBase))
			if i < 0 {
				dst = append(dst, rest...)
				break
			}
			dst = append(append(dst, rest[:i]...), s.toBase...)
			rest = rest[i+len(s.fromBase):]
		}
		if len(s.hits(dst[at:], nil)) == 0 && plainRun(dst[at+1:len(dst)-1]) == len(dst)-at-2 {
			return dst
		}
		dst = dst[:at]
	}
	t := string(lit[1 : len(lit)-1])
	if bytes.IndexByte(lit, '\\') >= 0 || plainRun([]byte(t)) != len(t) {
		t = string(unescape(lit))
	}
	return appendJSONString(dst, s.text(t))
}

// appendJSONString appends t, valid UTF-8, as a JSON string literal, escaping what
// encoding/json escapes without HTML escaping.
func appendJSONString(dst []byte, t string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	if n := plainRun([]byte(t)); n == len(t) { // nothing to escape, the usual case
		return append(append(dst, t...), '"')
	}
	for _, r := range t {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			dst = append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

// text replaces the upstream base, then any remaining mention of its host, case-insensitively.
// A replacement can itself complete a new mention with the characters around it ("e" +
// "hr.internal" after "ehr.internehr.internal"), so it repeats until none is left; a string
// that keeps forming the upstream's name is withheld rather than released.
func (s scrubber) text(t string) string {
	if strings.Contains(t, s.fromBase) { // the usual case: an absolute reference to the upstream
		if out := strings.ReplaceAll(t, s.fromBase, s.toBase); !s.mentions(out) {
			return out // what the loop below returns too, only sooner
		}
	}
	for range 8 {
		t = replaceFold(t, s.fromBase, s.toBase)
		t = replaceFold(t, s.fromHost, s.toHost)
		t = replaceFold(t, s.fromName, s.toName)
		if !s.mentions(t) {
			return t
		}
	}
	return "[withheld]"
}

// mentions reports whether t still names the upstream's host, in any ASCII case.
func (s scrubber) mentions(t string) bool {
	lower := strings.ToLower(t)
	return strings.Contains(lower, s.fromHost) || (s.fromName != "" && strings.Contains(lower, s.fromName))
}

// replaceFold replaces every ASCII-case-insensitive occurrence of old in t with repl.
func replaceFold(t, old, repl string) string {
	lower := strings.ToLower(t)
	lold := strings.ToLower(old)
	if old == "" || !strings.Contains(lower, lold) || len(lower) != len(t) {
		if len(lower) != len(t) && strings.Contains(lower, lold) {
			return strings.ReplaceAll(lower, lold, repl) // non-ASCII case mapping: keep it simple and safe
		}
		return t
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lold)
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		b.WriteString(repl)
		t, lower = t[i+len(old):], lower[i+len(old):]
	}
}

// resource scrubs a resource alone: one scan, then rewrite. A resource that is not JSON is
// released as {}, never unscrubbed.
func (s scrubber) resource(b []byte) []byte {
	sc := scanner{buf: b}
	rs := scanResource(&sc, newScanState(s, b))
	if sc.end(); sc.err != nil {
		return []byte(`{}`)
	}
	return s.rewrite(nil, b[rs.start:rs.end], rs.names)
}
