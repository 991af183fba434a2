package fhirproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/upstream"
)

// Why a plain round trip and not httputil.ReverseProxy (STYLE.md's default):
//
//   - ReverseProxy starts from a clone of the client's request and removes what it knows to be
//     dangerous; we build the outgoing request from nothing, so no client header, body, method
//     or raw query can reach the upstream by construction, and hop-by-hop tricks (a client
//     "Connection: Prefer") have nothing to remove.
//   - ReverseProxy relays upstream 1xx responses with their headers to the client
//     (httptrace Got1xxResponse) before ModifyResponse runs, so some upstream bytes would
//     escape the response check.
//   - Every answer must be read whole, checked, audited and then replaced (body, headers,
//     trailers); ModifyResponse would have to undo ReverseProxy's copying and streaming, and the
//     per-request decision state would have to travel through the request context.
//
// The three phases keep ReverseProxy's shape: outbound (its Rewrite), the response checks of
// filter.go (its ModifyResponse) and upstreamError (its ErrorHandler).

// upstreamReply is an upstream answer read in full. Of its headers only the version
// validators are kept (keptHeaders): nothing else of them reaches the client.
type upstreamReply struct {
	validators http.Header
	body       []byte
}

// errTooLarge: an upstream answer over Options.MaxResponseBytes is never released.
var errTooLarge = errors.New("upstream answer too large")

// fetch sends the canonical request upstream, with query for a search, and reads the whole
// answer, bounded in time and size. A status other than 2xx is a refusal; its body is never
// read.
func (h *Handler) fetch(ctx context.Context, id string, req *fhirRequest, query url.Values) (*upstreamReply, *refusal) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	out, err := h.outbound(ctx, id, req, query)
	if err != nil {
		return nil, upstreamFailed(err)
	}
	resp, err := h.up.Transport().RoundTrip(out)
	if err != nil {
		return nil, upstreamError(req, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, statusRefusal(req, resp.StatusCode)
	}
	body, err := io.ReadAll(&limitedReader{r: resp.Body, n: h.maxBody})
	if errors.Is(err, errTooLarge) {
		return nil, upstreamFailed(fmt.Errorf("GET %s: answer larger than %d bytes", req.upstreamPath(), h.maxBody))
	} else if err != nil {
		return nil, upstreamError(req, err)
	}
	return &upstreamReply{validators: keptHeaders(resp.Header), body: body}, nil
}

// outbound builds the upstream request from the canonical request only: the parsed path and
// query, the gateway's credential, strict handling, JSON, and our request id for correlation.
func (h *Handler) outbound(ctx context.Context, id string, req *fhirRequest, query url.Values) (*http.Request, error) {
	u := h.up.URL(req.upstreamPath(), query)
	out, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build upstream request for %s: %w", req.upstreamPath(), err)
	}
	out.Header = http.Header{
		"Accept":       {"application/fhir+json"},
		"Prefer":       {"handling=strict"},
		"User-Agent":   {"mypatients-gateway"},
		"X-Request-Id": {id},
	}
	return out, nil
}

// upstreamPath is the request's path relative to the upstream FHIR base.
func (r *fhirRequest) upstreamPath() string {
	switch r.Interaction {
	case gateway.Read:
		return r.Type + "/" + r.ID
	case gateway.VRead:
		return r.Type + "/" + r.ID + "/_history/" + r.Version
	}
	return r.Type
}

// keptHeaders returns the upstream response headers deliberately passed on: the version
// validators of a single resource. Nothing else of the upstream's headers reaches the client.
func keptHeaders(up http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"ETag", "Last-Modified"} {
		if v := up.Get(k); v != "" && len(v) <= 128 && strings.IndexFunc(v, isControl) < 0 {
			out.Set(k, v)
		}
	}
	return out
}

// upstreamError maps a transport failure to 504 (any timeout) or 502. The error kept for the
// log names the path only: a *url.Error's text carries the full URL, whose query may hold a
// patient's name or birth date.
func upstreamError(req *fhirRequest, err error) *refusal {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	err = fmt.Errorf("GET %s: %w", req.upstreamPath(), err)
	var nerr net.Error
	if errors.Is(err, upstream.ErrCircuitOpen) {
		rf := upstreamFailed(err)
		rf.Reason = reasonCircuit
		return rf
	}
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return upstreamTimeout(err)
	}
	return upstreamFailed(err)
}

// statusRefusal maps an upstream non-2xx status to the proxy's answer; the upstream's body is
// never shown. On a read, 404 and 410 look exactly like a denial.
func statusRefusal(req *fhirRequest, status int) *refusal {
	err := fmt.Errorf("GET %s: upstream status %d", req.upstreamPath(), status)
	if req.Interaction != gateway.Search && (status == http.StatusNotFound || status == http.StatusGone) {
		return hidden(reasonNotFound, err)
	}
	return upstreamFailed(err)
}

// limitedReader fails once more than n bytes were read, so an oversized answer is an error
// rather than silently truncated JSON.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}
