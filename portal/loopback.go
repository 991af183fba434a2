package portal

import (
	"bytes"
	"io"
	"net"
	"net/http"

	"github.com/mypatients/gateway"
)

// Loopback is an http.RoundTripper that serves each request with Handler in process: the
// gateway's own HTTP surfaces (token endpoint, FHIR API, /api) exactly as a client over the
// network reaches them (the same handlers, authentication, decisions and audit records),
// without a TCP round trip. The browser's address, as the gateway trusts it
// (gateway.ClientAddr of the page request), is the request's RemoteAddr, so that the gateway's
// per-address limits and audit records name the clinician's browser, not the portal.
type Loopback struct {
	Handler http.Handler
}

// RoundTrip serves req and returns the buffered response.
func (l Loopback) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if a := gateway.ClientAddr(req.Context()); a != "" {
		in.RemoteAddr = net.JoinHostPort(a, "0")
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	l.Handler.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		StatusCode: rec.status, Status: http.StatusText(rec.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()),
		Request: req,
	}, nil
}

// recorder is the ResponseWriter of an in-process request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
