package fhirproxy

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// scrubber removes the upstream's address from released resources. The fast path replaces the
// exact base (raw and with JSON-escaped slashes) in the bytes, anywhere in any string, so the
// resource is not decoded. When the upstream's host still appears in another spelling (case,
// another path, JSON \u escapes), every string of the resource is decoded and rewritten.
type scrubber struct {
	fromBase, toBase string
	fromHost, toHost string
	// fromName is the upstream's host name without port, scrubbed too unless the gateway
	// shares it (both on 127.0.0.1, as in the demo); toName replaces it.
	fromName, toName string
	fast             [][2][]byte
}

func newScrubber(upstreamBase, public *url.URL) scrubber {
	from, to := upstreamBase.String(), public.String()
	name := strings.ToLower(upstreamBase.Hostname())
	if strings.EqualFold(name, public.Hostname()) {
		name = ""
	}
	return scrubber{
		fromBase: from, toBase: to, fromHost: strings.ToLower(upstreamBase.Host), toHost: public.Host,
		fromName: name, toName: public.Hostname(),
		fast: [][2][]byte{
			{[]byte(from), []byte(to)},
			{[]byte(strings.ReplaceAll(from, "/", `\/`)), []byte(strings.ReplaceAll(to, "/", `\/`))},
		},
	}
}

// resource returns b with every upstream address replaced.
func (s scrubber) resource(b []byte) []byte {
	for _, r := range s.fast {
		if bytes.Contains(b, r[0]) {
			b = bytes.ReplaceAll(b, r[0], r[1])
		}
	}
	lower := bytes.ToLower(b)
	if !bytes.Contains(lower, []byte(s.fromHost)) && (s.fromName == "" || !bytes.Contains(lower, []byte(s.fromName))) &&
		!bytes.Contains(b, []byte(`\u`)) {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Cannot happen for a resource that passed inspect; never release it unscrubbed.
		return []byte(`{}`)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s.walk(v)); err != nil {
		return []byte(`{}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// walk rewrites every string (and member name) below v.
func (s scrubber) walk(v any) any {
	switch x := v.(type) {
	case string:
		return s.text(x)
	case []any:
		for i := range x {
			x[i] = s.walk(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[s.text(k)] = s.walk(e)
		}
		return out
	}
	return v
}

// text replaces the upstream base, then any remaining mention of its host, case-insensitively.
// A replacement can itself complete a new mention with the characters around it ("e" +
// "hr.internal" after "ehr.internehr.internal"), so it repeats until none is left; a string
// that keeps forming the upstream's name is withheld rather than released.
func (s scrubber) text(t string) string {
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
