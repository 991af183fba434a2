package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// PolicyDocument is what an auditor asks the policy about: an input document as the gateway
// builds it, or a scenario of policies/testdata (a description in plain words, an input and
// the decision the policy must give for it).
type PolicyDocument struct {
	Description string
	Input       Input
	// Expected is the scenario's expected decision; nil for a bare input document.
	Expected *DecisionDocument
}

// DecisionDocument is the access decision as the policy writes it (policies.Query), without
// the revision and decision id the gateway adds.
type DecisionDocument struct {
	Allow    bool                               `json:"allow"`
	Patients map[string]gateway.PatientDecision `json:"patients"`
	Reasons  []gateway.Reason                   `json:"reasons"`
	Basis    string                             `json:"basis,omitempty"`
}

func documentOf(d gateway.Decision) DecisionDocument {
	return DecisionDocument{Allow: d.Allow, Patients: d.Patients, Reasons: d.Reasons, Basis: d.Basis}
}

// Equal reports whether two decisions say the same, an empty list being no list.
func (d DecisionDocument) Equal(o DecisionDocument) bool {
	return d.Allow == o.Allow && d.Basis == o.Basis && slices.Equal(d.Reasons, o.Reasons) &&
		maps.EqualFunc(d.Patients, o.Patients, func(a, b gateway.PatientDecision) bool {
			return a.Allowed == b.Allowed && a.Basis == b.Basis && (a.Reason == nil) == (b.Reason == nil) &&
				(a.Reason == nil || *a.Reason == *b.Reason)
		})
}

// ReadPolicyDocument reads raw as a scenario when it has an "input" member, otherwise as an
// input document. The input must match policies/input.schema.json and fit Input exactly;
// the error names every way it does not.
func ReadPolicyDocument(ctx context.Context, raw []byte) (PolicyDocument, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return PolicyDocument{}, fmt.Errorf("the document is not a JSON object: %w", err)
	}
	doc, input := PolicyDocument{}, raw
	if _, ok := top["input"]; ok {
		var sc struct {
			Description string            `json:"description"`
			Input       json.RawMessage   `json:"input"`
			Expected    *DecisionDocument `json:"expected"`
		}
		if err := decodeStrict(raw, &sc); err != nil {
			return PolicyDocument{}, fmt.Errorf("the scenario is not of the form {description, input, expected}: %w", err)
		}
		doc.Description, doc.Expected, input = sc.Description, sc.Expected, sc.Input
	}
	if err := validateInput(ctx, input); err != nil {
		return PolicyDocument{}, err
	}
	if err := decodeStrict(input, &doc.Input); err != nil {
		return PolicyDocument{}, fmt.Errorf("the input document does not fit the gateway's input: %w", err)
	}
	return doc, nil
}

func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// validateInput checks raw against policies/input.schema.json with OPA's JSON Schema
// built-in, json.match_schema.
func validateInput(ctx context.Context, raw []byte) error {
	var doc, schema any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("the input document is not JSON: %w", err)
	}
	if err := json.Unmarshal(policies.InputSchema, &schema); err != nil {
		return fmt.Errorf("authz: decode input.schema.json: %w", err)
	}
	rs, err := rego.New(rego.Query("result := json.match_schema(input.document, input.schema)"),
		rego.Input(map[string]any{"document": doc, "schema": schema}), rego.StrictBuiltinErrors(true)).Eval(ctx)
	if err != nil {
		return fmt.Errorf("authz: validate the input document: %w", err)
	}
	var result []json.RawMessage
	if len(rs) == 1 {
		raw, _ := json.Marshal(rs[0].Bindings["result"])
		json.Unmarshal(raw, &result)
	}
	var problems []struct{ Field, Desc string }
	if len(result) != 2 || json.Unmarshal(result[1], &problems) != nil {
		return errors.New("authz: validate the input document: json.match_schema gave no answer")
	}
	if len(problems) == 0 {
		return nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		field := "input"
		if p.Field != "(Root)" {
			field += "." + p.Field
		}
		lines[i] = fmt.Sprintf("  %s: %s", field, p.Desc)
	}
	return fmt.Errorf("the input document does not match policies/input.schema.json:\n%s", strings.Join(lines, "\n"))
}
