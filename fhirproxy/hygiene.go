package fhirproxy

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// overrideHeaders are refused outright: some servers and frameworks honour them, which would
// turn a request the gateway checked as a read into a write the upstream performs.
var overrideHeaders = [...]string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// parseRequest applies the protocol rules that hold whatever the path — read-only methods, no
// override headers, JSON only, no body but a small form on POST _search — and parses what is
// left into the canonical request.
func (h *Handler) parseRequest(r *http.Request) (*fhirRequest, *refusal) {
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
	if len(r.URL.RawQuery) > maxQueryBytes {
		return nil, badRequest("The query string is longer than %d bytes.", maxQueryBytes)
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("The query string cannot be parsed.")
	}
	if !post {
		if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
			return nil, badRequest("A GET request must not have a body.")
		}
		return h.parser.parseValues(r.URL.EscapedPath(), query, false)
	}
	form, rf := readForm(r)
	if rf != nil {
		return nil, rf
	}
	for k, vs := range form {
		query[k] = append(query[k], vs...)
	}
	return h.parser.parseValues(r.URL.EscapedPath(), query, true)
}

// readForm reads a POST _search body: application/x-www-form-urlencoded only (FHIR R4
// §3.1.0.1.1), at most maxQueryBytes.
func readForm(r *http.Request) (url.Values, *refusal) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &refusal{Status: http.StatusUnsupportedMediaType, Code: codeNotSupported, Reason: reasonInvalid,
			Diagnostics: "POST _search takes an application/x-www-form-urlencoded body."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQueryBytes+1))
	if err != nil {
		return nil, badRequest("The request body could not be read.")
	}
	if len(body) > maxQueryBytes {
		return nil, &refusal{Status: http.StatusRequestEntityTooLarge, Code: codeInvalid, Reason: reasonInvalid,
			Diagnostics: fmt.Sprintf("The request body is longer than %d bytes.", maxQueryBytes)}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("The form body cannot be parsed.")
	}
	return form, nil
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
