package authz

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mypatients/gateway"
)

// WriteText prints the explanation in plain words: the scenario's description, the request,
// the decision with each patient's basis or reason and the rule that defines it, the named
// rules that held and those asked that did not, and, for a scenario, whether the decision is
// the one expected.
func (e Explanation) WriteText(w io.Writer) error {
	if e.Document.Description != "" {
		fmt.Fprintf(w, "Scenario: %s\n", wrap(e.Document.Description, "          "))
	}
	in := e.Document.Input
	fmt.Fprintf(w, "Policy revision: %s\n", e.Decision.PolicyRevision)
	fmt.Fprintf(w, "Request: %s %s naming %s\n", in.Request.Interaction, in.Request.ResourceType,
		patientList(in.Request.Patients))
	fmt.Fprintf(w, "Asked by: %s, through app %s\n\n", caller(in), in.Token.ClientID)
	e.writeDecision(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, held := range []bool{true, false} {
		fmt.Fprintln(tw, map[bool]string{true: "\nRules that held:", false: "\nRules asked that did not hold:"}[held])
		listed := 0
		for _, r := range e.Rules {
			if r.Held == held {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Rule, r.Title, strings.Join(r.Where, ", "))
				listed++
			}
		}
		if listed == 0 {
			fmt.Fprintln(tw, "  (none)")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if e.Document.Expected != nil {
		fmt.Fprintf(w, "\nExpected: %s\n", map[bool]string{true: "matches the scenario's expected decision",
			false: "DIFFERS from the scenario's expected decision"}[e.Matches()])
	}
	return nil
}

// writeDecision prints allow or deny, then each patient's answer and each reason.
func (e Explanation) writeDecision(w io.Writer) {
	d := e.Decision
	switch {
	case d.Allow && d.Basis != "":
		fmt.Fprintf(w, "Decision: ALLOW on the basis %s%s\n", d.Basis, e.sourceNote(d.Basis))
	case d.Allow:
		fmt.Fprintln(w, "Decision: ALLOW")
	default:
		fmt.Fprintln(w, "Decision: DENY")
	}
	for _, id := range slices.Sorted(maps.Keys(d.Patients)) {
		pd := d.Patients[id]
		if pd.Allowed {
			fmt.Fprintf(w, "  %s: allowed on the basis %s%s\n", id, pd.Basis, e.sourceNote(pd.Basis))
			continue
		}
		e.writeReason(w, id+": refused", *pd.Reason)
	}
	if len(d.Patients) == 0 {
		for _, r := range d.Reasons {
			e.writeReason(w, "refused", r)
		}
	}
}

func (e Explanation) writeReason(w io.Writer, what string, r gateway.Reason) {
	fmt.Fprintf(w, "  %s for %s%s\n    %q\n", what, r.Code, e.sourceNote(r.Code), r.Message)
	if r.NextSteps != "" {
		fmt.Fprintf(w, "    next steps: %s\n", r.NextSteps)
	}
}

// sourceNote names the rule that gives a reason or allows on a basis.
func (e Explanation) sourceNote(name string) string {
	if r, ok := e.source(name); ok {
		return fmt.Sprintf(" (rule %s: %s)", r.Rule, r.Title)
	}
	return ""
}

// WriteJSON prints the decision document, the revision and the named rules asked, and for a
// scenario the expected decision and whether it matches.
func (e Explanation) WriteJSON(w io.Writer) error {
	out := struct {
		Revision string            `json:"policy_revision"`
		Decision DecisionDocument  `json:"decision"`
		Rules    []ExplainedRule   `json:"rules"`
		Expected *DecisionDocument `json:"expected,omitempty"`
		Matches  *bool             `json:"matches_expected,omitempty"`
	}{Revision: e.Decision.PolicyRevision, Decision: documentOf(e.Decision), Rules: e.Rules, Expected: e.Document.Expected}
	if out.Expected != nil {
		matches := e.Matches()
		out.Matches = &matches
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func patientList(ids []string) string {
	if len(ids) == 0 {
		return "no patient"
	}
	return strings.Join(ids, ", ")
}

// caller says who asks: the user and, for sponsored staff, the principal whose relationships count.
func caller(in Input) string {
	who := fmt.Sprintf("%s (%s)", in.User.ID, in.User.Username)
	if in.Principal.ID != in.User.ID {
		who += " for principal " + in.Principal.ID
	}
	return who
}

// wrap breaks s into lines of at most 96 characters, each after the first starting with indent.
func wrap(s, indent string) string {
	var b strings.Builder
	n := len(indent)
	for i, word := range strings.Fields(s) {
		if i > 0 && n+len(word) >= 96 {
			b.WriteString("\n" + indent)
			n = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
