package fhirproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// answer is what a request ends with: data to release, or a refusal.
type answer struct {
	status int
	body   []byte
	header http.Header // extra response headers chosen by the proxy (ETag, Last-Modified)
	rf     *refusal
}

func refused(rf *refusal) *answer { return &answer{status: rf.Status, rf: rf} }

func released(body []byte, header http.Header) *answer {
	return &answer{status: http.StatusOK, body: body, header: header}
}

// encoded releases b as JSON, without HTML escaping so that narrative and values keep their
// text. A searchset is written by copying its checked resources (outBundle.appendJSON).
func encoded(b any) *answer {
	if ob, ok := b.(outBundle); ok {
		if ob.rendered != nil {
			return released(ob.rendered, nil)
		}
		return released(ob.appendJSON(make([]byte, 0, ob.size())), nil)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return refused(upstreamFailed(fmt.Errorf("encode searchset: %w", err)))
	}
	return released(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil)
}

// writeAnswer is the last step: it writes a to the client, once its audit record is stored.
func writeAnswer(w http.ResponseWriter, requestID string, a *answer) {
	if a.rf != nil {
		writeRefusal(w, requestID, a.rf)
		return
	}
	h := w.Header()
	for k, vs := range a.header {
		h[k] = vs
	}
	setCommonHeaders(h, requestID)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// operationOutcome is the FHIR R4 OperationOutcome the proxy writes, with one issue.
type operationOutcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

type outcomeIssue struct {
	Severity    string          `json:"severity"`
	Code        string          `json:"code"`
	Details     *outcomeDetails `json:"details,omitempty"`
	Diagnostics string          `json:"diagnostics,omitempty"`
}

// outcomeDetails carries the next steps of a denial as codings an app can act on.
type outcomeDetails struct {
	Coding []outcomeCoding `json:"coding"`
	Text   string          `json:"text,omitempty"`
}

type outcomeCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// NextStepSystem is the code system of the next steps a denial offers.
const NextStepSystem = "https://mypatients.example.org/fhir/CodeSystem/next-step"

// outcomeJSON renders an OperationOutcome with one error issue, and the next steps as its
// details when there are any.
func outcomeJSON(code, diagnostics string, nextSteps ...string) []byte {
	issue := outcomeIssue{Severity: "error", Code: code, Diagnostics: diagnostics}
	if len(nextSteps) > 0 {
		issue.Details = &outcomeDetails{Text: "Ask for access with POST /api/access-requests."}
		for _, s := range nextSteps {
			issue.Details.Coding = append(issue.Details.Coding, outcomeCoding{System: NextStepSystem, Code: s})
		}
	}
	b, err := json.Marshal(operationOutcome{ResourceType: "OperationOutcome", Issue: []outcomeIssue{issue}})
	if err != nil { // cannot happen for these string fields
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}`)
	}
	return b
}

// setCommonHeaders sets the headers every /fhir answer carries.
func setCommonHeaders(h http.Header, requestID string) {
	h.Set("Content-Type", "application/fhir+json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if requestID != "" {
		h.Set("X-Request-Id", requestID)
	}
}

// writeRefusal writes rf as an OperationOutcome; 401 and 405 carry the headers RFC 6750 and
// RFC 9110 require.
func writeRefusal(w http.ResponseWriter, requestID string, rf *refusal) {
	h := w.Header()
	setCommonHeaders(h, requestID)
	switch rf.Status {
	case http.StatusUnauthorized:
		// RFC 6750 §3: no error code when the request carried no token at all.
		if rf.Reason == reasonInvalidToken {
			h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		} else {
			h.Set("WWW-Authenticate", "Bearer")
		}
	case http.StatusMethodNotAllowed:
		h.Set("Allow", "GET")
	case http.StatusTooManyRequests:
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(rf.Status)
	_, _ = w.Write(outcomeJSON(rf.Code, rf.Diagnostics, rf.NextSteps...))
}
