package fhirproxy

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// overrideHeaders are refused outright: some servers and frameworks honour them, which would
// turn a request the gateway checked as a read into a write the upstream performs.
var overrideHeaders = [...]string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// parse is the second step: it applies the protocol rules that hold whatever the path
// (read-only methods, no override headers, JSON only, no body but a small form on POST
// _search) and parses what is left into the canonical request.
func (h *Handler) parse(r *http.Request) (*fhirRequest, *refusal) {
	for _, name := range overrideHeaders {
		if _, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
			return nil, &refusal{Status: http.StatusBadRequest, Code: codeNotSupported, Reason: reasonOverride,
				Diagnostics: fmt.Sprintf("The %s header is not accepted.", name)}
		}
	}
	rest, _ := strings.CutPrefix(r.URL.EscapedPath(), h.parser.prefix+"/")
	typ, search, _ := strings.Cut(rest, "/")
	post := r.Method == http.MethodPost && search == "_search" && validTypeName(typ)
	if r.Method != http.MethodGet && !post {
		return nil, &refusal{Status: http.StatusMethodNotAllowed, Code: codeNotSupported, Reason: reasonMethod,
			Diagnostics: "This FHIR API is read-only: only GET read and search, and POST [type]/_search, are supported."}
	}
	if rf := acceptsJSON(r.Header.Values("Accept")); rf != nil {
		return nil, rf
	}
	var buf [16]pair // the parameters of most requests, without an allocation
	params, rf := queryPairs(buf[:0], r.URL.RawQuery, "query string")
	if rf != nil {
		return nil, rf
	}
	if !post {
		if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
			return nil, badRequest("A GET request must not have a body.")
		}
		return h.parser.parseParams(r.URL.EscapedPath(), params, false)
	}
	form, rf := readForm(r)
	if rf != nil {
		return nil, rf
	}
	if params, rf = queryPairs(params, form, "form body"); rf != nil {
		return nil, rf
	}
	return h.parser.parseParams(r.URL.EscapedPath(), params, true)
}

// readForm reads a POST _search body: application/x-www-form-urlencoded only (FHIR R4
// §3.1.0.1.1), at most maxQueryBytes.
func readForm(r *http.Request) (string, *refusal) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return "", &refusal{Status: http.StatusUnsupportedMediaType, Code: codeNotSupported, Reason: reasonInvalid,
			Diagnostics: "POST _search takes an application/x-www-form-urlencoded body."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQueryBytes+1))
	if err != nil {
		return "", badRequest("The request body could not be read.")
	}
	if len(body) > maxQueryBytes {
		return "", &refusal{Status: http.StatusRequestEntityTooLarge, Code: codeInvalid, Reason: reasonInvalid,
			Diagnostics: fmt.Sprintf("The request body is longer than %d bytes.", maxQueryBytes)}
	}
	return string(body), nil
}

// acceptsJSON refuses a request whose Accept header asks for XML (or anything but JSON) and
// nothing the gateway can give; a missing Accept or */* is JSON.
func acceptsJSON(values []string) *refusal {
	if len(values) == 0 {
		return nil
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mt {
			case "*/*", "application/*", "application/json", "application/fhir+json", "application/json+fhir":
				return nil
			}
		}
	}
	return notAcceptable()
}

// fhirRequest is the canonical form of one FHIR request: everything the gateway acts on and
// forwards, and nothing it did not parse.
type fhirRequest struct {
	Interaction string // gateway.Read, gateway.VRead or gateway.Search
	Type        string
	ID          string     // read and vread
	Version     string     // vread only
	Query       canonQuery // search only: the canonical query sent upstream
	Patients    []string   // the patients the request names: sorted, unique, bare ids
	// Includes are the vetted _include joins asked for, sorted by parameter.
	Includes []join
	// PageToken is the caller-binding of a paging link the gateway wrote (_page), if any.
	PageToken string
	// store holds a search's canonical query and patients when they fit, so that parsing a
	// request allocates little more than the request.
	store struct {
		query    [8]pair
		patients [4]string
	}
}

// join is one vetted _include join a search asked for: the search parameter that joins, and
// the types the joined resources may have, sorted.
type join struct {
	Param string
	Types []string
	value string // "Type:param", as forwarded
}

// includesType reports whether one of the request's _include joins may bring in typ.
func (r *fhirRequest) includesType(typ string) bool {
	for _, j := range r.Includes {
		if slices.Contains(j.Types, typ) {
			return true
		}
	}
	return false
}

// parser turns request URLs into canonical requests using the resource table.
type parser struct {
	prefix    string // the path of the public FHIR base, e.g. "/fhir"
	types     map[string]typeSpec
	typeNames map[string]string // each served type's name, to read it without a copy
	refs      refResolver
	maxCount  int
}

// parse validates a GET request's path and query (a paging link the gateway rewrites, a
// search of SearchAs).
func (p *parser) parse(u *url.URL) (*fhirRequest, *refusal) {
	var buf [16]pair
	params, rf := queryPairs(buf[:0], u.RawQuery, "query string")
	if rf != nil {
		return nil, rf
	}
	return p.parseParams(u.EscapedPath(), params, false)
}

// parseParams validates an escaped path and its parameters, which it owns. post is true for POST [type]/_search, whose parameters are the URL's
// and then the form body's. Refusals: 400 for what is malformed or unknown, 403 for
// well-formed requests the gateway does not serve.
func (p *parser) parseParams(path string, params []pair, post bool) (*fhirRequest, *refusal) {
	req, spec, rf := p.parsePath(path, post)
	if rf != nil {
		return nil, rf
	}
	if rf := checkFormat(params); rf != nil {
		return nil, rf
	}
	// _format is checked to be JSON, which is all the gateway asks for anyway.
	params = slices.DeleteFunc(params, func(pr pair) bool { return pr.key == "_format" })
	if req.Interaction != gateway.Search {
		if len(params) > 0 {
			first := slices.MinFunc(params, func(a, b pair) int { return strings.Compare(a.key, b.key) })
			return nil, badRequest("A read takes no parameters (got %q).", clip(first.key))
		}
		if req.Type == "Patient" {
			req.Patients = []string{req.ID}
		}
		return req, nil
	}
	if rf := p.parseQuery(req, spec, params); rf != nil {
		return nil, rf
	}
	return req, nil
}

// parsePath splits the escaped path below the prefix into type, id and version, and returns
// the table's entry for the type.
func (p *parser) parsePath(path string, post bool) (*fhirRequest, typeSpec, *refusal) {
	segs, n, spec, rf := p.segments(path)
	if rf != nil {
		return nil, spec, rf
	}
	typ := segs[0]
	switch {
	case n == 1 && !post, n == 2 && segs[1] == "_search" && post:
		if spec.Params == nil {
			return nil, spec, unsupported("%s can be read only through the resource that refers to it, not searched.", typ)
		}
		return &fhirRequest{Interaction: gateway.Search, Type: typ}, spec, nil
	case post:
		return nil, spec, unsupported("POST is accepted only for [type]/_search.")
	case n == 2 && segs[1][0] == '_':
		return nil, spec, unsupported("%q is not supported; use GET %s/%s?params.", clip(segs[1]), p.prefix, typ)
	case (n == 2 || n == 4 && segs[2] == "_history") && !gateway.ValidID(segs[1]):
		return nil, spec, badRequest("%q is not a valid FHIR id.", clip(segs[1]))
	case n == 2:
		return &fhirRequest{Interaction: gateway.Read, Type: typ, ID: segs[1]}, spec, nil
	case n == 4 && segs[2] == "_history" && gateway.ValidID(segs[3]):
		return &fhirRequest{Interaction: gateway.VRead, Type: typ, ID: segs[1], Version: segs[3]}, spec, nil
	case n == 4 && segs[2] == "_history":
		return nil, spec, badRequest("%q is not a valid version id.", clip(segs[3]))
	default:
		return nil, spec, unsupported("History and compartment paths are not supported.")
	}
}

// segments returns the first four of the path's segments below the prefix, the first of them
// a served type, how many there are, and the type's entry in the table. Escapes, empty and dot
// segments, operations and system-level paths are refused.
func (p *parser) segments(path string) (segs [4]string, n int, spec typeSpec, rf *refusal) {
	if strings.Contains(path, "%") {
		return segs, 0, spec, badRequest("Percent-encoded characters are not allowed in the path.")
	}
	rest, ok := strings.CutPrefix(path, p.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return segs, 0, spec, unsupported("This path is not part of the FHIR API.")
	}
	if rest == "" || rest == "/" {
		return segs, 0, spec, unsupported("System-level interactions (batch, transaction, history, search) are not supported.")
	}
	rest = rest[1:]
	for more := true; more; n++ {
		var s string
		s, rest, more = strings.Cut(rest, "/")
		switch {
		case s == "" || s == "." || s == "..":
			return segs, 0, spec, badRequest("Empty or dot segments are not allowed in the path.")
		case s[0] == '$':
			return segs, 0, spec, unsupported("Operations are not supported.")
		case n < len(segs):
			segs[n] = s
		}
	}
	if segs[0][0] == '_' {
		return segs, 0, spec, unsupported("System-level interactions (batch, transaction, history, search) are not supported.")
	}
	spec, ok = p.types[segs[0]]
	if !ok {
		return segs, 0, spec, unsupported("Resource type %q is not supported.", clip(segs[0]))
	}
	return segs, n, spec, nil
}

// checkFormat refuses any _format but JSON without looking further: XML is never parsed.
func checkFormat(params []pair) *refusal {
	for _, pr := range params {
		switch {
		case pr.key != "_format":
		case pr.value == "json", pr.value == "application/json", pr.value == "application/fhir+json":
		default:
			return notAcceptable()
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip bounds caller-supplied text echoed in a diagnostic.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
