package authz

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// RuleCoverage says how much of the policy its tests exercise, in the policy's own terms
// rather than lines:
//
//   - a rule is covered when every one of its definitions (each body, each else branch and
//     the default) held in some passing test: each way the rule can decide was seen deciding;
//   - a reason code (a rule's METADATA custom.code) is exercised when, in some passing test, a
//     rule of the policy gave it, such as the decision refusing a patient for it. A test that
//     only names the reason in the value it expects does not count.
//
// Reason rules are counted as reason codes, not as rules.
type RuleCoverage struct {
	Rules, Reasons int
	// Uncovered lists each rule not covered, with the definitions that never held.
	Uncovered []UncoveredRule
	// Unexercised lists the reason codes no rule gave in a passing test.
	Unexercised []string
}

// UncoveredRule is a rule with definitions no passing test saw hold, each "file:row".
type UncoveredRule struct {
	Rule        string
	Definitions []string
}

// Complete reports whether every rule is covered and every reason code exercised.
func (c RuleCoverage) Complete() bool {
	return c.Rules > 0 && len(c.Uncovered) == 0 && len(c.Unexercised) == 0
}

// coverage compares what held in the tests with every rule and reason of the book.
func (b *ruleBook) coverage(fired []firing) RuleCoverage {
	held := map[string]bool{}
	given := map[string]bool{}
	for _, f := range fired {
		held[f.def] = true
		for _, code := range f.gives {
			given[code] = true
		}
	}
	var c RuleCoverage
	for _, r := range b.rules {
		if r.Code != "" {
			c.Reasons++
			if !given[r.Code] {
				c.Unexercised = append(c.Unexercised, r.Code)
			}
			continue
		}
		c.Rules++
		if missing := slices.DeleteFunc(slices.Clone(r.defs), func(d string) bool { return held[d] }); len(missing) > 0 {
			c.Uncovered = append(c.Uncovered, UncoveredRule{Rule: r.Path, Definitions: missing})
		}
	}
	slices.Sort(c.Unexercised)
	return c
}

// write prints the coverage summary: the counts, then each gap.
func (c RuleCoverage) write(w io.Writer) {
	fmt.Fprintf(w, "rules covered: %d/%d (every definition, else branch and default held in a passing test)\n",
		c.Rules-len(c.Uncovered), c.Rules)
	for _, u := range c.Uncovered {
		fmt.Fprintf(w, "  not covered: %s (never held: %s)\n", u.Rule, strings.Join(u.Definitions, ", "))
	}
	fmt.Fprintf(w, "reason codes exercised: %d/%d (given by a rule of the policy in a passing test)\n",
		c.Reasons-len(c.Unexercised), c.Reasons)
	for _, code := range c.Unexercised {
		fmt.Fprintf(w, "  not exercised: %s\n", code)
	}
}
