package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// check sends every request of every workload once to each target and requires the
// planned status and, for a 200, the whole answer: the Patient asked for, or a Bundle with
// as many entries as _count asked for. Figures of a gateway that refused or dropped what it
// should have released would compare nothing. It returns each workload's upstream body size
// (as the bare proxy relayed it) for the table; 0 where it has none to give.
func (s *system) check(ctx context.Context, workloads []workload) (map[string]int, error) {
	sizes := map[string]int{}
	for _, w := range workloads {
		for _, t := range s.targets(w) {
			for _, p := range w.requests {
				n, err := s.checkOne(ctx, t, p)
				if err != nil {
					return nil, fmt.Errorf("check %s against %s: GET %s: %w", w.name, t.name, p.path, err)
				}
				if t.name == "bare" && len(w.requests) == 1 {
					sizes[w.name] = n
				}
			}
		}
	}
	return sizes, nil
}

func (s *system) checkOne(ctx context.Context, t target, p probe) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+p.path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	want := p.bare
	if t.name == "gateway" {
		want = p.gateway
	}
	if resp.StatusCode != want {
		return 0, fmt.Errorf("status %d, want %d: %.500s", resp.StatusCode, want, body)
	}
	if want != http.StatusOK {
		return len(body), nil
	}
	return len(body), complete(p.path, body)
}

// complete checks that a 200 answer holds what the path asked for.
func complete(path string, body []byte) error {
	var got struct {
		ResourceType string            `json:"resourceType"`
		ID           string            `json:"id"`
		Entry        []json.RawMessage `json:"entry"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	u, err := url.Parse(path)
	if err != nil {
		return err
	}
	if count := u.Query().Get("_count"); count != "" {
		n, _ := strconv.Atoi(count)
		if got.ResourceType != "Bundle" || len(got.Entry) != n {
			return fmt.Errorf("answer is a %s with %d entries, want a Bundle with %d", got.ResourceType, len(got.Entry), n)
		}
		return nil
	}
	if got.ResourceType != "Patient" || "/fhir/Patient/"+got.ID != path {
		return fmt.Errorf("answer is %s/%s", got.ResourceType, got.ID)
	}
	return nil
}
