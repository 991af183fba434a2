package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Check is one dependency's probe; nil means it answers as the gateway needs.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
	// Explain turns a failure into a short code for the JSON answer (the full error is
	// logged, never shown): it may name the kind of fault, never an address or credential.
	Explain func(error) string
}

// State is one dependency's state in /readyz's answer.
type State struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Healthz answers 200 while the process serves: an orchestrator restarts it otherwise.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers 200 when every check passes and 503 otherwise, with each check's state. The
// checks run concurrently, each bounded by timeout.
func Readyz(checks []Check, timeout time.Duration, logf func(ctx context.Context, name string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		states := make(map[string]State, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				st := State{OK: true}
				if err := c.Probe(ctx); err != nil {
					st = State{Error: "unavailable"}
					if c.Explain != nil {
						st.Error = c.Explain(err)
					}
					logf(ctx, c.Name, err)
				}
				mu.Lock()
				states[c.Name] = st
				mu.Unlock()
			})
		}
		wg.Wait()
		status, word := http.StatusOK, "ok"
		for _, st := range states {
			if !st.OK {
				status, word = http.StatusServiceUnavailable, "unavailable"
			}
		}
		writeJSON(w, status, map[string]any{"status": word, "checks": states})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Discovery checks that an OpenID Provider serves its discovery document for issuer.
func Discovery(client *http.Client, issuer string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var doc struct {
			Issuer string `json:"issuer"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("discovery at %s: status %d (%v)", issuer, resp.StatusCode, err)
		}
		if doc.Issuer != issuer {
			return fmt.Errorf("discovery at %s names issuer %q", issuer, doc.Issuer)
		}
		return nil
	}
}
