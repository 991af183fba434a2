package ehr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// fhirJSON is the media type of every FHIR response.
const fhirJSON = "application/fhir+json"

// outcomeError is a failure the client sees as an OperationOutcome with an HTTP status.
type outcomeError struct {
	status int
	// code is the OperationOutcome issue type (invalid, not-found, not-supported, login…).
	code, msg string
	// allow is the Allow header of a 405.
	allow string
}

// Error returns the diagnostics text.
func (e *outcomeError) Error() string { return e.msg }

// errOutcome returns an outcomeError.
func errOutcome(status int, code, msg string) error {
	return &outcomeError{status: status, code: code, msg: msg}
}

// writeError writes err as an OperationOutcome. This is the one place where errors become
// HTTP statuses; anything that is not an outcomeError is a bug and answers 500.
func writeError(w http.ResponseWriter, err error) {
	oe := &outcomeError{status: http.StatusInternalServerError, code: "exception", msg: "Internal error"}
	errors.As(err, &oe)
	if oe.allow != "" {
		w.Header().Set("Allow", oe.allow)
	}
	body, _ := json.Marshal(obj{
		"resourceType": "OperationOutcome",
		"issue":        []any{obj{"severity": "error", "code": oe.code, "diagnostics": oe.msg}},
	})
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(oe.status)
	_, _ = w.Write(body)
}

// respondJSON writes a 200 FHIR JSON response: raw as it is, or v encoded. "_pretty=true"
// indents it.
func (s *Server) respondJSON(w http.ResponseWriter, r *http.Request, raw []byte, v any) error {
	vals := r.URL.Query()
	if err := checkFormat(r, vals, nil); err != nil {
		return err
	}
	if v != nil {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return fmt.Errorf("demo ehr: encode response: %w", err)
		}
	}
	if vals.Get("_pretty") == "true" {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			raw = buf.Bytes()
		}
	}
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	return nil
}

// checkFormat refuses with 406 any representation other than JSON: an XML (or other)
// _format, or an Accept header that admits no JSON. A Binary (binary non-nil) may also be
// asked for in its own content type.
func checkFormat(r *http.Request, vals url.Values, binary *stored) error {
	if f := vals.Get("_format"); f != "" {
		switch strings.ToLower(f) {
		case "json", "application/json", fhirJSON, "application/json+fhir":
			return nil
		}
		return errOutcome(http.StatusNotAcceptable, "not-supported", fmt.Sprintf("Format %q is not supported; this server speaks JSON only", f))
	}
	accept := mediaTypes(r.Header.Values("Accept"))
	if len(accept) == 0 || acceptsJSON(accept) || (binary != nil && acceptsRaw(accept, binary)) {
		return nil
	}
	return errOutcome(http.StatusNotAcceptable, "not-supported", "None of the accepted media types is available; this server speaks JSON only")
}

// mediaTypes returns the media types of Accept headers, lower case, without parameters.
func mediaTypes(headers []string) []string {
	var out []string
	for _, h := range headers {
		for _, part := range strings.Split(h, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if mt = strings.ToLower(strings.TrimSpace(mt)); mt != "" {
				out = append(out, mt)
			}
		}
	}
	return out
}

// acceptsJSON reports whether any of the media types admits FHIR JSON.
func acceptsJSON(types []string) bool {
	for _, t := range types {
		switch t {
		case "*/*", "application/*", "application/json", fhirJSON, "application/json+fhir":
			return true
		}
	}
	return false
}

// acceptsRaw reports whether the media types ask for a Binary's own content type.
func acceptsRaw(types []string, binary *stored) bool {
	ct, _ := binary.doc["contentType"].(string)
	major, _, _ := strings.Cut(ct, "/")
	for _, t := range types {
		if t == strings.ToLower(ct) || t == major+"/*" {
			return true
		}
	}
	return false
}

// wantsRaw reports whether a Binary read asks for the content itself rather than the FHIR
// resource: no _format, and an Accept header naming the content type but not JSON.
func wantsRaw(r *http.Request, binary *stored) bool {
	accept := mediaTypes(r.Header.Values("Accept"))
	return r.URL.Query().Get("_format") == "" && !acceptsJSON(accept) && acceptsRaw(accept, binary)
}

// writeRaw writes a Binary's decoded content with its own content type.
func writeRaw(w http.ResponseWriter, binary *stored) error {
	ct, _ := binary.doc["contentType"].(string)
	data, _ := binary.doc["data"].(string)
	content, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fmt.Errorf("demo ehr: Binary/%s data: %w", binary.id, err)
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += "; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
	return nil
}

// maxFormBody bounds a POST _search body; search parameters are short.
const maxFormBody = 1 << 20

// addFormBody adds the parameters of a POST _search form body to vals.
func addFormBody(w http.ResponseWriter, r *http.Request, vals url.Values) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return errOutcome(http.StatusUnsupportedMediaType, "not-supported", "POST _search needs an application/x-www-form-urlencoded body")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
	if err != nil {
		return errOutcome(http.StatusRequestEntityTooLarge, "too-costly", "Search body too large or unreadable")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return errOutcome(http.StatusBadRequest, "invalid", "Malformed form body: "+err.Error())
	}
	for k, vs := range form {
		vals[k] = append(vals[k], vs...)
	}
	return nil
}

// lastUpdated returns a stored resource's meta.lastUpdated.
func lastUpdated(r *stored) string {
	meta, _ := r.doc["meta"].(map[string]any)
	s, _ := meta["lastUpdated"].(string)
	return s
}
