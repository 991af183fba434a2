package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
