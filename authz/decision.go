package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// Evaluate asks the access decision (policies.Query) about input. Any evaluation fault, a
// panic inside OPA, an empty result or a result of the wrong shape is an error: the caller
// must deny. The returned Decision carries the policy revision but no decision id.
func (p *Policy) Evaluate(ctx context.Context, input Input) (gateway.Decision, error) {
	return p.evaluate(ctx, input)
}

// evaluate is Evaluate with options for OPA, such as a tracer.
func (p *Policy) evaluate(ctx context.Context, input Input, opts ...rego.EvalOption) (gateway.Decision, error) {
	var rd regoDecision
	if err := p.eval(ctx, p.decision, policies.Query, input, &rd, opts...); err != nil {
		return gateway.Decision{}, err
	}
	if err := rd.check(input.Request.Patients); err != nil {
		return gateway.Decision{}, err
	}
	return gateway.Decision{Allow: *rd.Allow, Patients: rd.Patients, Reasons: rd.Reasons, Basis: rd.Basis,
		PolicyRevision: p.revision}, nil
}

// standingOf asks the standing decision (policies.StandingQuery) about input: whether the
// principal's relationships count at all.
func (p *Policy) standingOf(ctx context.Context, input Input) (standingDecision, error) {
	var sd standingDecision
	if err := p.eval(ctx, p.standing, policies.StandingQuery, input, &sd); err != nil {
		return standingDecision{}, err
	}
	if sd.InGoodStanding == nil || *sd.InGoodStanding != (sd.Basis != "") || *sd.InGoodStanding == (sd.Reason != nil) {
		return standingDecision{}, errors.New("authz: policy standing decision is malformed")
	}
	return sd, nil
}

// eval runs query on input and decodes its one value into v, refusing unknown fields. An
// answer the memo holds for exactly this query and input is decoded instead, unless OPA is
// given options (a tracer, for an explanation: that wants the evaluation itself).
func (p *Policy) eval(ctx context.Context, query rego.PreparedEvalQuery, name string, input Input, v any,
	opts ...rego.EvalOption) (err error) {
	in, err := json.Marshal(input)
	if err != nil {
		return fmt.Errorf("authz: encode policy input: %w", err)
	}
	memo, key := p.memo, name+"\x00"+string(in)
	if len(opts) > 0 {
		memo = nil
	}
	raw, ok := memo.get(key)
	if !ok {
		if raw, err = evalJSON(ctx, query, in, opts...); err != nil {
			return err
		}
		memo.put(key, raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("authz: decode policy decision: %w", err)
	}
	return nil
}

// evalJSON evaluates query on the input document in (JSON) and returns its one value as JSON.
func evalJSON(ctx context.Context, query rego.PreparedEvalQuery, in []byte, opts ...rego.EvalOption) (raw []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("authz: policy evaluation panicked: %v", r)
		}
	}()
	value, err := ast.ValueFromReader(bytes.NewReader(in))
	if err != nil {
		return nil, fmt.Errorf("authz: policy input: %w", err)
	}
	rs, err := query.Eval(ctx, append([]rego.EvalOption{rego.EvalParsedInput(value)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("authz: evaluate policy: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, errors.New("authz: policy gave no decision")
	}
	if raw, err = json.Marshal(rs[0].Expressions[0].Value); err != nil {
		return nil, fmt.Errorf("authz: encode policy decision: %w", err)
	}
	return raw, nil
}

// regoDecision is the access decision as the policy writes it. Pointers tell a missing field
// from a zero one.
type regoDecision struct {
	Allow    *bool                              `json:"allow"`
	Patients map[string]gateway.PatientDecision `json:"patients"`
	Reasons  []gateway.Reason                   `json:"reasons"`
	Basis    string                             `json:"basis"`
}

// check verifies the decision's internal consistency for a request naming patients: a
// decision that allows must have allowed every requested patient, or name no patient and give
// the basis that allowed the request; a denial must say why.
func (rd regoDecision) check(patients []string) error {
	if rd.Allow == nil || rd.Patients == nil {
		return errors.New("authz: policy decision lacks allow or patients")
	}
	allow := *rd.Allow
	for _, id := range patients {
		if _, ok := rd.Patients[id]; !ok {
			return fmt.Errorf("authz: policy decision says nothing about patient %q", id)
		}
	}
	switch {
	case allow && len(rd.Reasons) > 0:
		return errors.New("authz: policy allowed with reasons")
	case !allow && len(rd.Reasons) == 0:
		return errors.New("authz: policy denied without a reason")
	case rd.Basis != "" && (!allow || len(patients) > 0):
		return errors.New("authz: policy gave a basis other than for an allowed request naming no patient")
	case allow && len(patients) == 0 && rd.Basis == "":
		return errors.New("authz: policy allowed a request naming no patient without a basis")
	}
	for id, pd := range rd.Patients {
		if allow && !pd.Allowed {
			return fmt.Errorf("authz: policy allowed but refused patient %q", id)
		}
		if pd.Allowed == (pd.Basis == "") || !pd.Allowed && pd.Reason == nil {
			return fmt.Errorf("authz: policy answer for patient %q is malformed", id)
		}
	}
	return nil
}

// standingDecision is the standing decision as the policy writes it: in good standing on a
// basis ("own_account", "sponsored_staff"), or not, for a reason.
type standingDecision struct {
	InGoodStanding *bool           `json:"in_good_standing"`
	Basis          string          `json:"basis"`
	Reason         *gateway.Reason `json:"reason"`
}
