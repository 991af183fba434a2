package fhirproxy

import (
	"context"
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

// audited is the end of an exchange: its record, the answer to deliver and why the record
// could not be stored, if it could not.
type audited struct {
	rec    audit.Record
	answer *answer
	err    error
}

// audit is the step before the answer: it stores the exchange's audit record. If the record
// cannot be stored the caller gets a 503 and none of the data: nothing is released unaudited.
func (h *Handler) audit(ctx context.Context, ex exchange) audited {
	rec := ex.record(ctx)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := h.trail.Write(actx, rec); err != nil {
		return audited{rec: rec, err: err, answer: refused(&refusal{Status: http.StatusServiceUnavailable,
			Code: codeTransient, Reason: reasonAudit, Err: err,
			Diagnostics: "The request could not be recorded in the audit trail; no data was released."})}
	}
	return audited{rec: rec, answer: ex.answer}
}

// record builds the exchange's audit record.
func (ex exchange) record(ctx context.Context) audit.Record {
	var named []string
	if ex.req != nil {
		named = ex.req.Patients
	}
	rec := audit.Record{Time: ex.start.UTC(), RequestID: ex.id, Patients: ex.decided.patients(named),
		Decision: "allow", Status: ex.answer.status}
	rec.DecisionID, rec.PolicyRevision = ex.decided.ids()
	if rec.Patients == nil {
		rec.Patients = []string{}
	}
	if basis := ex.decided.basis(); len(basis) > 0 {
		rec.Basis = basis
	}
	if c := ex.caller; c != nil {
		rec.User, rec.Username, rec.FHIRUser, rec.Sponsor = c.Subject, c.Username, c.FHIRUser, c.Sponsor
		rec.Client, rec.TokenID = c.ClientID, c.TokenID
	}
	rec.Event = "fhir.request" // refused before it could be read as an interaction
	if r := ex.req; r != nil {
		rec.Event, rec.ResourceType, rec.Interaction = "fhir."+r.Interaction, r.Type, r.Interaction
		rec.Resource, rec.Query = r.resource(), r.Query.Encode()
	}
	rec.Source = gateway.ClientAddr(ctx)
	if rf := ex.answer.rf; rf != nil {
		rec.Decision, rec.Reason = "deny", rf.Reason
	} else {
		// When no patient decided this answer (the directory), say which rule released it.
		rec.Reason = ex.decided.requestBasis()
		rec.Disclosed = ex.decided.allowed()
	}
	return rec
}

// resource is what a read or vread names, "Type/id" or "Type/id/_history/vid"; "" for a
// search.
func (r *fhirRequest) resource() string {
	switch {
	case r.ID == "":
		return ""
	case r.Version != "":
		return r.Type + "/" + r.ID + "/_history/" + r.Version
	}
	return r.Type + "/" + r.ID
}

// allowed returns the patients the decisions allowed, sorted: those some of whose data an
// answer that was not refused released.
func (ds decisions) allowed() []string {
	var out []string
	for _, d := range ds {
		for id, pd := range d.Patients {
			if pd.Allowed {
				out = append(out, id)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return unique(out)
}

// patients returns the patients the request named and every patient the authorizer was asked
// about, sorted and unique.
func (ds decisions) patients(named []string) []string {
	out := slices.Clone(named)
	for _, d := range ds {
		out = append(out, d.asked.Patients...)
		for id := range d.Patients {
			out = append(out, id)
		}
	}
	return unique(out)
}

// basis maps each decided patient to the rule that allowed it or the reason code it was
// refused for; a later decision about the same patient wins.
func (ds decisions) basis() map[string]string {
	out := map[string]string{}
	for _, d := range ds {
		for id, pd := range d.Patients {
			switch {
			case pd.Allowed:
				out[id] = pd.Basis
			case pd.Reason != nil:
				out[id] = pd.Reason.Code
			default:
				out[id] = "denied"
			}
		}
	}
	return out
}

// ids returns the distinct decision ids and policy revisions, each comma-separated in the
// order decided.
func (ds decisions) ids() (decisionIDs, revisions string) {
	var ids, revs []string
	for _, d := range ds {
		if d.DecisionID != "" && !slices.Contains(ids, d.DecisionID) {
			ids = append(ids, d.DecisionID)
		}
		if d.PolicyRevision != "" && !slices.Contains(revs, d.PolicyRevision) {
			revs = append(revs, d.PolicyRevision)
		}
	}
	return strings.Join(ids, ","), strings.Join(revs, ",")
}

// requestBasis is the rule that allowed a question naming no patient (the directory), if one
// did: no patient decided what it released.
func (ds decisions) requestBasis() string {
	for _, d := range ds {
		if d.Allow && len(d.asked.Patients) == 0 && d.Basis != "" {
			return d.Basis
		}
	}
	return ""
}

// logLine writes the request's JSON log line: ids and codes only, never query values, which
// may hold names or birth dates.
func (h *Handler) logLine(ctx context.Context, ex exchange, done audited) {
	rec, a := done.rec, done.answer
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
	if done.err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("audit_error", done.err.Error()))
	}
	h.log.LogAttrs(ctx, level, "fhir request", attrs...)
}
