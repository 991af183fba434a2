package fhirproxy

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/audit"
)

// auditTimeout bounds writing one audit record. The write does not follow the client's
// cancellation: a request the client abandoned is still recorded.
const auditTimeout = 5 * time.Second

// answer is what a request ends with: data to release, or a refusal.
type answer struct {
	status int
	body   []byte
	header http.Header // extra response headers chosen by the proxy (ETag, Last-Modified)
	rf     *refusal
}

func refused(rf *refusal) *answer { return &answer{status: rf.Status, rf: rf} }

func released(body []byte, header http.Header) *answer {
	return &answer{status: http.StatusOK, body: body, header: header}
}

// exchange is the state of one request: who asked, what was parsed and decided. It produces
// the request's single audit record and log line, and delivers the answer only after the
// record is stored.
type exchange struct {
	h      *Handler
	method string
	path   string
	id     string
	start  time.Time
	caller *gateway.Caller
	req    *fhirRequest

	directory   bool              // a directory type was released on the clinician rule
	patients    []string          // every patient named or considered
	basis       map[string]string // patient → basis, or reason code when refused
	decisionIDs []string
}

// newExchange starts the exchange of one request; path is its escaped URL path, for the log.
func (h *Handler) newExchange(method, path string) *exchange {
	// The request id is always ours: a client's X-Request-Id would let it forge or collide
	// with other records in the audit trail.
	return &exchange{h: h, method: method, path: path, id: rand.Text(),
		start: time.Now(), basis: map[string]string{}}
}

func (ex *exchange) setRequest(req *fhirRequest) {
	ex.req = req
	ex.addPatients(req.Patients)
}

func (ex *exchange) addPatients(ids []string) {
	ex.patients = append(ex.patients, ids...)
}

// noteDecision records a decision's per-patient outcome for the audit record.
func (ex *exchange) noteDecision(d gateway.Decision) {
	for id, pd := range d.Patients {
		ex.addPatients([]string{id})
		switch {
		case pd.Allowed:
			ex.basis[id] = pd.Basis
		case pd.Reason != nil:
			ex.basis[id] = pd.Reason.Code
		default:
			ex.basis[id] = "denied"
		}
	}
	if d.DecisionID != "" && !slices.Contains(ex.decisionIDs, d.DecisionID) {
		ex.decisionIDs = append(ex.decisionIDs, d.DecisionID)
	}
}

// record builds the audit record for a.
func (ex *exchange) record(a *answer) audit.Record {
	slices.Sort(ex.patients)
	rec := audit.Record{
		Time: ex.start.UTC(), RequestID: ex.id, Patients: slices.Compact(ex.patients),
		Decision: "allow", DecisionID: strings.Join(ex.decisionIDs, ","), Status: a.status,
	}
	if rec.Patients == nil {
		rec.Patients = []string{}
	}
	if len(ex.basis) > 0 {
		rec.Basis = ex.basis
	}
	if ex.caller != nil {
		rec.User, rec.Username, rec.Client, rec.TokenID =
			ex.caller.Subject, ex.caller.Username, ex.caller.ClientID, ex.caller.TokenID
	}
	if ex.req != nil {
		rec.ResourceType, rec.Interaction = ex.req.Type, ex.req.Interaction
	}
	if a.rf != nil {
		rec.Decision, rec.Reason = "deny", a.rf.Reason
	} else if ex.directory {
		// No patient decided this answer: say which rule released it.
		rec.Reason = "clinician_directory"
	}
	return rec
}

// finish stores the audit record, then hands the answer to deliver (ServeHTTP writes it to the
// client, SearchAs returns it). If the record cannot be stored the caller gets a 503 and none
// of the data: nothing is released unaudited.
func (ex *exchange) finish(ctx context.Context, a *answer, deliver func(*answer)) {
	rec := ex.record(a)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	auditErr := ex.h.audit.Write(actx, rec)
	if auditErr != nil {
		a = refused(&refusal{Status: http.StatusServiceUnavailable, Code: codeTransient, Reason: reasonAudit,
			Diagnostics: "The request could not be recorded in the audit trail; no data was released.", Err: auditErr})
	}
	deliver(a)
	ex.logLine(ctx, rec, a, auditErr)
}

// write writes a to the client.
func (ex *exchange) write(w http.ResponseWriter, a *answer) {
	if a.rf != nil {
		writeRefusal(w, ex.id, a.rf)
		return
	}
	h := w.Header()
	for k, vs := range a.header {
		h[k] = vs
	}
	setCommonHeaders(h, ex.id)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// logLine writes the request's JSON log line: ids and codes only, never query values, which
// may hold names or birth dates.
func (ex *exchange) logLine(ctx context.Context, rec audit.Record, a *answer, auditErr error) {
	attrs := []slog.Attr{
		slog.String("request_id", ex.id), slog.String("method", ex.method), slog.String("path", clip(ex.path)),
		slog.String("user", rec.User), slog.String("client", rec.Client),
		slog.String("resource_type", rec.ResourceType), slog.String("interaction", rec.Interaction),
		slog.Any("patients", rec.Patients), slog.String("decision", rec.Decision),
		slog.String("reason", rec.Reason), slog.String("decision_id", rec.DecisionID),
		slog.Int("status", a.status), slog.Duration("duration", time.Since(ex.start)),
	}
	level := slog.LevelInfo
	if a.rf != nil && a.rf.Err != nil {
		attrs = append(attrs, slog.String("error", a.rf.Err.Error()))
		if a.status >= 500 {
			level = slog.LevelWarn
		}
	}
	if auditErr != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("audit_error", auditErr.Error()))
	}
	ex.h.log.LogAttrs(ctx, level, "fhir request", attrs...)
}
