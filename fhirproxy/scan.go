package fhirproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errContainedPatient: a resource carrying another Patient inside it (contained) would release
// that patient's demographics under someone else's record.
var errContainedPatient = errors.New("resource contains a Patient")

// errNotString: a "reference" member that is not a string is not FHIR; parsers could read it
// differently, so the resource is not released.
var errNotString = errors.New(`a "reference" member is not a string`)

// scanPatients reads a whole resource token by token and returns every patient any Reference
// anywhere in it names, not only in the compartment fields: an Observation of one child whose
// "focus" names another child still names that child, so both must be allowed for it to be
// released. A reference that mentions Patient but cannot be resolved locally, and a contained
// Patient, are errors (the resource is not released).
func (rr refResolver) scanPatients(raw []byte, typ string) ([]string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return rr.scanPlain(raw, typ)
	}
	return rr.scanTokens(raw)
}

// scanPlain is scanTokens for a resource without a single backslash, the usual case: with no
// escapes every quote delimits a string, so a member named "reference" is exactly the bytes
// "reference" followed by a colon, and bytes.Index finds them all without tokenising.
func (rr refResolver) scanPlain(raw []byte, typ string) ([]string, error) {
	var out []string
	rest := raw
	for {
		i := bytes.Index(rest, []byte(`"reference"`))
		if i < 0 {
			break
		}
		rest = bytes.TrimLeft(rest[i+len(`"reference"`):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			return nil, errNotString
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, errors.New("scan resource: unterminated string")
		}
		id, err := rr.patientOf(string(rest[1 : 1+end]))
		if err != nil {
			return nil, err
		}
		if id != "" {
			out = append(out, id)
		}
		rest = rest[2+end:]
	}
	own := 0
	if typ == "Patient" {
		own = 1
	}
	if patientTypes(raw) > own {
		return nil, errContainedPatient
	}
	return out, nil
}

// patientTypes counts the members "resourceType":"Patient" in a resource without escapes.
func patientTypes(raw []byte) int {
	n := 0
	for rest := raw; ; {
		i := bytes.Index(rest, []byte(`"resourceType"`))
		if i < 0 {
			return n
		}
		rest = bytes.TrimLeft(rest[i+len(`"resourceType"`):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' && bytes.HasPrefix(bytes.TrimLeft(rest[1:], " \t\r\n"), []byte(`"Patient"`)) {
			n++
		}
	}
}

// scanTokens is the general scan, token by token, for resources with escapes.
func (rr refResolver) scanTokens(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers are not read, and 1E700 is valid JSON
	var at position
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("scan resource: %w", err)
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

// position is where scanTokens is in a resource: the open objects and arrays, and the name of
// the member whose value comes next.
type position struct {
	stack []level
	key   string
}

// level is one open object (keyNext: a member name comes next) or array.
type level struct{ object, keyNext bool }

// next takes one token. value is false for a member name or a closing delimiter; member is
// true for the value of an object's member, whose name is then at.key.
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
		at.stack[n-1].keyNext = true // this token starts (or is) the member's value
		member = true
	} else if n > 0 {
		at.key = "" // array elements are no member's value
	}
	switch tok {
	case json.Delim('{'):
		at.stack = append(at.stack, level{object: true, keyNext: true})
	case json.Delim('['):
		at.stack = append(at.stack, level{})
	}
	return true, member
}

// patientOf returns the patient a reference string names, "" for another type. A string that
// mentions Patient but is not a local literal reference is an error.
func (rr refResolver) patientOf(s string) (string, error) {
	r, err := rr.parse(s)
	switch {
	case err == nil && r.Type == "Patient":
		return r.ID, nil
	case err == nil:
		return "", nil
	case strings.Contains(s, "Patient"):
		return "", fmt.Errorf("reference %q: %w", clip(s), errBadReference)
	}
	return "", nil
}
