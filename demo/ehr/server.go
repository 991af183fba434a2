package ehr

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Options configures a Server.
type Options struct {
	// BaseURL is the absolute FHIR base as clients see it, for example
	// "http://127.0.0.1:8081/fhir". The server answers under its path and writes it into
	// fullUrl and paging links.
	BaseURL string
	// BearerToken, when set, is the one credential accepted: every request except
	// GET [base]/metadata must carry "Authorization: Bearer <token>". Empty accepts anyone.
	BearerToken string
	// DefaultCount is the page size when a search names no _count (default 20); MaxCount
	// caps _count (default 100).
	DefaultCount, MaxCount int
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
}

// Server serves a Dataset as a read-only FHIR R4 REST API. It is an http.Handler and safe
// for concurrent use: the Dataset never changes.
type Server struct {
	d                      *Dataset
	base, prefix           string
	auth                   []byte
	defaultCount, maxCount int
	log                    *slog.Logger
	params                 map[string]map[string]searchParam
	types                  []string
	capability             []byte
}

// NewServer returns a Server for d configured by opts.
func NewServer(d *Dataset, opts Options) (*Server, error) {
	if d == nil {
		return nil, errors.New("demo ehr: nil dataset")
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("demo ehr: base URL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	s := &Server{
		d: d, base: base, prefix: u.Path,
		defaultCount: orDefault(opts.DefaultCount, 20), maxCount: orDefault(opts.MaxCount, 100),
		log: opts.Logger, params: searchable(),
	}
	if opts.DefaultCount < 0 || opts.MaxCount < 0 || s.defaultCount > s.maxCount {
		return nil, fmt.Errorf("demo ehr: page sizes: need 0 < DefaultCount (%d) <= MaxCount (%d)", s.defaultCount, s.maxCount)
	}
	if opts.BearerToken != "" {
		s.auth = []byte("Bearer " + opts.BearerToken)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.types = resourceTypes(s.params)
	if s.capability, err = s.capabilityStatement(); err != nil {
		return nil, fmt.Errorf("demo ehr: capability statement: %w", err)
	}
	return s, nil
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// ServeHTTP routes one FHIR request: authentication, method, format, then the interaction.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	err := s.serve(rec, r)
	if err != nil {
		writeError(rec, err)
	}
	s.log.Debug("demo ehr request", "method", r.Method, "path", r.URL.Path,
		"status", rec.status, "duration", time.Since(start))
}

// serve does the work of ServeHTTP; an error becomes an OperationOutcome.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) error {
	rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return errOutcome(http.StatusNotFound, "not-found", "Not a FHIR endpoint: "+r.URL.Path)
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if segs[0] == "metadata" && len(segs) == 1 {
		if err := allowMethods(r, http.MethodGet, http.MethodHead); err != nil {
			return err
		}
		return s.respondJSON(w, r, s.capability, nil)
	}
	if s.auth != nil && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="demo-ehr"`)
		return errOutcome(http.StatusUnauthorized, "login", "A valid bearer token is required")
	}
	search := len(segs) == 1 || (len(segs) == 2 && segs[1] == "_search")
	if search && len(segs) == 2 {
		if err := allowMethods(r, http.MethodGet, http.MethodHead, http.MethodPost); err != nil {
			return err
		}
	} else if err := allowMethods(r, http.MethodGet, http.MethodHead); err != nil {
		return err
	}
	if segs[0] == "" {
		return errOutcome(http.StatusBadRequest, "not-supported", "System-level interactions are not supported")
	}
	if !slices.Contains(s.types, segs[0]) {
		return errOutcome(http.StatusNotFound, "not-supported", "Unknown or unsupported resource type: "+segs[0])
	}
	switch {
	case search:
		return s.handleSearch(w, r, segs[0])
	case len(segs) == 2:
		return s.handleRead(w, r, segs[0], segs[1], "")
	case len(segs) == 4 && segs[2] == "_history":
		return s.handleRead(w, r, segs[0], segs[1], segs[3])
	}
	return errOutcome(http.StatusBadRequest, "not-supported", "Unsupported interaction: "+r.URL.Path)
}

// authorized compares the Authorization header with the configured one in constant time.
func (s *Server) authorized(r *http.Request) bool {
	got := r.Header.Values("Authorization")
	return len(got) == 1 && subtle.ConstantTimeCompare([]byte(got[0]), s.auth) == 1
}

// allowMethods refuses any method not listed with 405, naming the allowed ones.
func allowMethods(r *http.Request, methods ...string) error {
	if slices.Contains(methods, r.Method) {
		return nil
	}
	return &outcomeError{
		status: http.StatusMethodNotAllowed, code: "not-supported",
		msg:   fmt.Sprintf("Method %s is not allowed here; this server is read-only", r.Method),
		allow: strings.Join(methods, ", "),
	}
}

// handleRead serves read and vread of typ/id; version "" is a plain read.
func (s *Server) handleRead(w http.ResponseWriter, r *http.Request, typ, id, version string) error {
	res := s.d.lookup(typ, id)
	if res == nil {
		return errOutcome(http.StatusNotFound, "not-found", fmt.Sprintf("Resource %s/%s is not known", typ, id))
	}
	if version != "" && version != "1" {
		return errOutcome(http.StatusNotFound, "not-found", fmt.Sprintf("Version %s of %s/%s is not known", version, typ, id))
	}
	var binary *stored
	if typ == "Binary" {
		binary = res
	}
	if err := checkFormat(r, r.URL.Query(), binary); err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", `W/"1"`)
	if t, err := time.Parse(time.RFC3339, lastUpdated(res)); err == nil {
		h.Set("Last-Modified", t.UTC().Format(http.TimeFormat))
	}
	h.Set("Content-Location", s.base+"/"+typ+"/"+id+"/_history/1")
	if binary != nil && wantsRaw(r, binary) {
		return writeRaw(w, res)
	}
	return s.respondJSON(w, r, res.raw, nil)
}

// handleSearch serves GET [type]?… and POST [type]/_search (form body and URL parameters
// together, as FHIR allows).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, typ string) error {
	if _, ok := s.params[typ]; !ok {
		return errOutcome(http.StatusBadRequest, "not-supported", typ+" can be read but not searched")
	}
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errOutcome(http.StatusBadRequest, "invalid", "Malformed query string: "+err.Error())
	}
	if r.Method == http.MethodPost {
		if err := addFormBody(w, r, vals); err != nil {
			return err
		}
	}
	strict := preferStrict(r)
	if err := checkFormat(r, vals, nil); err != nil {
		return err
	}
	q, err := s.parseQuery(typ, vals, strict)
	if err != nil {
		return err
	}
	return s.respondJSON(w, r, nil, s.search(typ, q))
}

// preferStrict reports whether the client sent "Prefer: handling=strict".
func preferStrict(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "handling=strict") {
				return true
			}
		}
	}
	return false
}

// statusRecorder remembers the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status and passes it on.
func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
