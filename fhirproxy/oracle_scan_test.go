package fhirproxy

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// The oracle's reading of a resource's references and its scrubber (see oracle_test.go).

// scanTokens reads a whole resource token by token and returns every patient a "reference"
// member anywhere names; a contained Patient and a non-string "reference" are errors.
func (rr oracleResolver) scanTokens(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var at position
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		value, member := at.next(tok)
		v, isString := tok.(string)
		switch {
		case !value:
		case member && !isString && at.key == "reference":
			return nil, errNotString
		case !isString:
		case at.key == "resourceType" && v == "Patient" && len(at.stack) > 1:
			return nil, errContainedPatient
		case at.key == "reference":
			id, err := rr.patientOf(v)
			if err != nil {
				return nil, err
			}
			if id != "" {
				out = append(out, id)
			}
		}
	}
}

// position is where scanTokens is: the open objects and arrays, and the name of the member
// whose value comes next.
type position struct {
	stack []level
	key   string
}

type level struct{ object, keyNext bool }

func (at *position) next(tok json.Token) (value, member bool) {
	if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
		at.stack = at.stack[:len(at.stack)-1]
		return false, false
	}
	n := len(at.stack)
	if n > 0 && at.stack[n-1].object && at.stack[n-1].keyNext {
		if s, ok := tok.(string); ok {
			at.key, at.stack[n-1].keyNext = s, false
			return false, false
		}
	}
	if n > 0 && at.stack[n-1].object {
		at.stack[n-1].keyNext = true
		member = true
	} else if n > 0 {
		at.key = ""
	}
	switch tok {
	case json.Delim('{'):
		at.stack = append(at.stack, level{object: true, keyNext: true})
	case json.Delim('['):
		at.stack = append(at.stack, level{})
	}
	return true, member
}

// oracleScrub is the scrubber before the scanner: the exact base replaced in the bytes, and
// when the host may still hide in the resource, every string decoded and rewritten.
func oracleScrub(s scrubber, b []byte) []byte {
	for _, r := range [][2]string{{s.fromBase, s.toBase},
		{strings.ReplaceAll(s.fromBase, "/", `\/`), strings.ReplaceAll(s.toBase, "/", `\/`)}} {
		b = bytes.ReplaceAll(b, []byte(r[0]), []byte(r[1]))
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
		return []byte(`{}`)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return s.text(x)
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
			return x
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[s.text(k)] = walk(e)
			}
			return out
		}
		return v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(walk(v)); err != nil {
		return []byte(`{}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
