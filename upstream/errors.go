package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// StatusError is GetJSON's error for an answer that is not 2xx. It matches ErrNotFound for
// 404 and 410, and ErrUnavailable for 5xx and for a credential the EHR refused.
type StatusError struct {
	Path   string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("upstream: GET %s: status %d", e.Path, e.Status)
}

// Is makes errors.Is see the kinds of failure a status stands for.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound || e.Status == http.StatusGone
	case ErrUnavailable:
		return e.Status >= 500 || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}

// ErrUnavailable is what an error matches when the EHR could not be used at all: it was not
// reached, answered 5xx, refused the gateway's credential, or its circuit is open. The FHIR
// API answers such faults 502 or 504, naming the EHR, rather than as its own.
var ErrUnavailable = errors.New("upstream: the EHR is not available")

// ErrTimeout is what an error matches, besides ErrUnavailable, when the EHR did not answer in
// time.
var ErrTimeout = errors.New("upstream: the EHR did not answer in time")

// Classify marks a transport error with the kinds it stands for: every one is ErrUnavailable,
// a timeout also ErrTimeout. It keeps the error's own text.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return fmt.Errorf("%w: %w: %w", ErrUnavailable, ErrTimeout, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Ready asks the EHR a search that needs the gateway's credential and matches nothing, so it
// fails when the EHR is down or refuses the credential.
func (c *Client) Ready(ctx context.Context) error {
	var b struct {
		ResourceType string `json:"resourceType"`
	}
	if err := c.GetJSON(ctx, "Patient", url.Values{"_id": {"mypatients-readiness-probe"}}, &b); err != nil {
		return err
	}
	if b.ResourceType != "Bundle" {
		return fmt.Errorf("upstream: readiness search answered a %q", b.ResourceType)
	}
	return nil
}

// Explain names the kind of an EHR fault in a word, for readiness answers: never an address.
func Explain(err error) string {
	var se *StatusError
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden), errors.As(err, &re):
		return "credential_refused"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrCircuitOpen):
		return "circuit_open"
	case errors.Is(err, ErrUnavailable):
		return "unreachable"
	}
	return "bad_answer"
}
