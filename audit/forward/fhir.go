package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mypatients/gateway/audit/auditevent"
)

// FHIR ships AuditEvents to an Audit Record Repository that speaks IHE RESTful ATNA (Record
// Audit Event, ITI-20): one batch Bundle of creates per send, each entry a conditional create
// (If-None-Exist on the event's key, entity-name:exact) so that an event sent again is found
// and not stored twice.
type FHIR struct {
	// Base is the repository's FHIR base URL; BearerToken the gateway's credential there.
	Base, BearerToken string
	// Client is the HTTP client; nil uses one with a 30s timeout.
	Client *http.Client
}

// Name implements Sink.
func (s *FHIR) Name() string { return "fhir" }

type bundleEntry struct {
	Resource auditevent.AuditEvent `json:"resource"`
	Request  struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		IfNoneExist string `json:"ifNoneExist"`
	} `json:"request"`
}

// Send implements Sink.
func (s *FHIR) Send(ctx context.Context, batch []Item) error {
	bundle := struct {
		ResourceType string        `json:"resourceType"`
		Type         string        `json:"type"`
		Entry        []bundleEntry `json:"entry"`
	}{ResourceType: "Bundle", Type: "batch"}
	for _, it := range batch {
		for _, ev := range it.Events {
			var e bundleEntry
			e.Resource = ev
			e.Resource.ID = "" // a create's id is the server's
			e.Request.Method, e.Request.URL = http.MethodPost, "AuditEvent"
			e.Request.IfNoneExist = "entity-name:exact=" + url.QueryEscape(ev.ID)
			bundle.Entry = append(bundle.Entry, e)
		}
	}
	body, err := json.Marshal(bundle)
	if err != nil {
		return fmt.Errorf("forward: encode bundle: %w", err)
	}
	reply, err := s.post(ctx, body)
	if err != nil {
		return err
	}
	return checkBatchReply(reply, len(bundle.Entry))
}

// post sends body to the repository's base and returns the answer of a 200.
func (s *FHIR) post(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.Base, "/"), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("forward: repository request: %w", err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Accept", "application/fhir+json")
	if s.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.BearerToken)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("forward: repository: %w", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("forward: repository answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("forward: repository answered %d: %s", resp.StatusCode, outcomeText(reply))
	}
	return reply, nil
}

// checkBatchReply requires a batch-response with a 2xx for each of the n entries.
func checkBatchReply(reply []byte, n int) error {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Response struct {
				Status   string          `json:"status"`
				Outcome  json.RawMessage `json:"outcome"`
				Location string          `json:"location"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(reply, &b); err != nil || b.ResourceType != "Bundle" {
		return errors.New("forward: the repository's answer is not a Bundle")
	}
	if len(b.Entry) != n {
		return fmt.Errorf("forward: the repository answered %d entries for %d sent", len(b.Entry), n)
	}
	for i, e := range b.Entry {
		if !strings.HasPrefix(e.Response.Status, "2") {
			return fmt.Errorf("forward: the repository refused entry %d (%s): %s", i, e.Response.Status, outcomeText(e.Response.Outcome))
		}
	}
	return nil
}

// outcomeText is what an OperationOutcome says, briefly.
func outcomeText(b []byte) string {
	var oo struct {
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
			Details     struct {
				Text string `json:"text"`
			} `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(b, &oo) != nil || len(oo.Issue) == 0 {
		return strings.TrimSpace(string(b[:min(len(b), 200)]))
	}
	var parts []string
	for _, i := range oo.Issue {
		parts = append(parts, strings.TrimSpace(i.Details.Text+" "+i.Diagnostics))
	}
	return strings.Join(parts, "; ")
}
