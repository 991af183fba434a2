package fhirproxy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mypatients/gateway"
)

// canonical validates one occurrence's items and returns the upstream key and value, plus the
// patients it names. Reference values are rewritten to "Type/id" and the type modifier is
// dropped, so the upstream sees one spelling only, whatever form the caller used.
func (p *parser) canonical(name, modifier string, ps paramSpec, items []string) (string, string, []string, *refusal) {
	var named []string
	switch ps.Kind {
	case kindNumber:
		if len(items[0]) > 6 || strings.Trim(items[0], "0123456789") != "" {
			return "", "", nil, badRequest("%q must be a non-negative integer.", name)
		}
	case kindID:
		for _, it := range items {
			if !gateway.ValidID(it) {
				return "", "", nil, badRequest("A value of %q is not a valid FHIR id.", name)
			}
		}
		if ps.NamesPatients {
			named = items
		}
	case kindDate:
		for _, it := range items {
			if !validDate(it) {
				return "", "", nil, badRequest("A value of %q is not a supported date.", name)
			}
		}
	case kindToken:
		for _, it := range items {
			if strings.HasSuffix(it, `\`) {
				// An escaped comma ("a\,b") is one value to FHIR but two to this parser; refuse
				// rather than forward a value whose meaning depends on who splits it.
				return "", "", nil, badRequest("Escaped commas are not supported in %q.", name)
			}
		}
	case kindReference:
		out := make([]string, len(items))
		for i, it := range items {
			r, err := p.refs.searchValue(ps, modifier, it)
			if errors.Is(err, errOtherType) {
				return "", "", nil, forbidden(reasonUnsupported, fmt.Sprintf("%q must name one of %s.", name, strings.Join(ps.Targets, ", ")))
			} else if err != nil {
				return "", "", nil, badRequest("A value of %q is not a supported reference.", name)
			}
			out[i] = r.Type + "/" + r.ID
			if r.Type == "Patient" {
				named = append(named, r.ID)
			}
		}
		return name, strings.Join(out, ","), named, nil
	}
	key := name
	if modifier != "" {
		key = name + ":" + modifier
	}
	return key, strings.Join(items, ","), named, nil
}
