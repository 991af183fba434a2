package fhirproxy

// SearchParam is a search parameter the FHIR API forwards to the upstream, as `mypatients ehr
// check` probes it: its name, its FHIR type and, for a reference, a type it may point to.
type SearchParam struct {
	Name, Type, Target string
}

// Served returns every resource type the FHIR API serves with the search parameters it may
// forward (paging parameters left out): the part of the EHR contract that this table sets.
// A type that is only read (Binary) has none.
func Served() map[string][]SearchParam {
	out := map[string][]SearchParam{}
	for typ, spec := range resourceTable() {
		params := []SearchParam{}
		for _, name := range sortedKeys(spec.Params) {
			ps := spec.Params[name]
			if name == "_count" || name == "_offset" {
				continue
			}
			p := SearchParam{Name: name, Type: ps.Kind.fhirType()}
			if len(ps.Targets) > 0 {
				p.Target = ps.Targets[0]
			}
			params = append(params, p)
		}
		out[typ] = params
	}
	return out
}
