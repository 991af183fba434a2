package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// idPattern is the FHIR id datatype (R4 datatypes.html#id). Anything else never reaches a URL.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// maxBody bounds what the app reads from one gateway answer.
const maxBody = 8 << 20

// call is one FHIR request as the page shows it: what was asked, what came back, and in words
// why it failed if it did.
type call struct {
	Label  string
	URL    string
	Status int
	Body   []byte
	Raw    string // Body indented for the "raw JSON" panel
	// Problem is empty on success; otherwise a sentence for the user, e.g. "Access denied: ...".
	Problem string
	Denied  bool
}

// fhirGet GETs {fhirBase}/{resourceType}[/{id}]?{query} with the session's bearer token. The
// path parts are escaped, never spliced in raw.
func (a *app) fhirGet(ctx context.Context, token, label string, query url.Values, path ...string) call {
	u, err := url.Parse(a.fhirBase)
	if err != nil {
		return call{Label: label, Problem: "Bad FHIR base URL: " + err.Error()}
	}
	// JoinPath takes escaped segments, so each part is escaped first: an id can never add a
	// path segment or a query of its own.
	escaped := make([]string, len(path))
	for i, p := range path {
		escaped[i] = url.PathEscape(p)
	}
	u = u.JoinPath(escaped...)
	u.RawQuery = query.Encode()
	c := call{Label: label, URL: u.String()}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		c.Problem = "Could not build the request: " + err.Error()
		return c
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.http.Do(req)
	if err != nil {
		a.log.WarnContext(ctx, "FHIR request failed", "url", c.URL, "err", err)
		c.Problem = "The gateway did not answer: " + err.Error()
		return c
	}
	defer resp.Body.Close()
	c.Status = resp.StatusCode
	c.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		c.Problem = "Reading the gateway's answer failed: " + err.Error()
		return c
	}
	c.Raw = indentJSON(c.Body)
	if resp.StatusCode != http.StatusOK {
		c.Problem, c.Denied = describeFailure(resp.StatusCode, c.Body)
	}
	return c
}

// describeFailure words a non-200 answer, using the OperationOutcome's own text when the
// gateway sent one: the point of the demo is to show its reasons plainly.
func describeFailure(status int, body []byte) (string, bool) {
	msg := outcomeText(body)
	switch status {
	case http.StatusForbidden:
		if msg == "" {
			msg = "the gateway gave no reason"
		}
		return "Access denied: " + msg, true
	case http.StatusUnauthorized:
		return "The gateway did not accept the access token (it may have expired): sign out and sign in again.", false
	case http.StatusNotFound, http.StatusGone:
		return "Not found" + prefixed(": ", msg), false
	default:
		return fmt.Sprintf("The gateway answered %d %s", status, http.StatusText(status)) + prefixed(": ", msg), false
	}
}

func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// operationOutcome is the part of an OperationOutcome the app shows.
type operationOutcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity    string          `json:"severity"`
		Code        string          `json:"code"`
		Diagnostics string          `json:"diagnostics"`
		Details     codeableConcept `json:"details"`
	} `json:"issue"`
}

// messages returns each issue's text: diagnostics, else details, else its code.
func (o operationOutcome) messages() []string {
	var out []string
	for _, is := range o.Issue {
		switch {
		case is.Diagnostics != "":
			out = append(out, is.Diagnostics)
		case is.Details.String() != "":
			out = append(out, is.Details.String())
		case is.Code != "":
			out = append(out, is.Code)
		}
	}
	return out
}

// outcomeText returns the messages of an OperationOutcome body, or "" if it is not one.
func outcomeText(body []byte) string {
	var oo operationOutcome
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	return strings.Join(oo.messages(), "; ")
}

// indentJSON pretty-prints JSON for the raw panel; anything else is shown as it came.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}
