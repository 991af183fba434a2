package gateway

import (
	"errors"
	"net/http"
	"strings"
)

// ValidID reports whether s is a FHIR logical id ([A-Za-z0-9\-\.]{1,64}). Ids made only of dots
// are valid FHIR but are path segments with a meaning of their own in a URL, so they are
// refused everywhere the gateway takes an id. It takes the bytes of a JSON text as well as a
// string, so that an id read from an upstream answer is checked without a copy.
func ValidID[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
		if c == '.' {
			dots++
		}
	}
	return dots < len(s)
}

// ErrNoToken is BearerToken's answer when a request carries no usable bearer credential.
var ErrNoToken = errors.New("no bearer token")

// BearerToken returns the bearer token of a request (RFC 6750 §2.1: the Authorization header
// only, exactly one, scheme case-insensitive). A token in the query or the body is never
// looked at: tokens in URLs end up in logs.
func BearerToken(h http.Header) (string, error) {
	values := h.Values("Authorization")
	if len(values) != 1 {
		return "", ErrNoToken
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", ErrNoToken
	}
	return token, nil
}
