package fhirproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/mypatients/gateway"
)

// The oracle: the Bundle filter as it was before the single-pass scanner, kept here so that
// FuzzFilterDifferential can hold the fast filter to it. It is slow and plain: encoding/json
// token by token, every resource decoded into a map of raw members, every Reference decoded
// on its own, and the whole resource decoded and re-encoded when an upstream address may hide
// in it. Only the decisions (decideFound) and the link rewriting are shared with production.

// oracleFilterSearch is filterSearch with the oracle's reading and release.
func oracleFilterSearch(h *Handler, c gateway.Caller, req *fhirRequest, body []byte) (outBundle, *refusal) {
	ctx := context.Background()
	named := allowedNamed(req)
	var got found
	head, err := oracleDecodeSearchset(body, func(e oracleEntry) error {
		if fe, ok := oracleCandidate(h, req, e); ok {
			got.entries = append(got.entries, fe)
		} else if fe.mode != "outcome" {
			got.dropped++
		}
		return nil
	})
	if err != nil {
		return outBundle{}, upstreamFailed(err)
	}
	got.head = head
	found, rf := h.decideFound(ctx, c, req, named, got)
	if rf != nil {
		return outBundle{}, rf
	}
	allowed := slices.Concat(named, found).access()
	out := outBundle{ResourceType: "Bundle", Type: "searchset", Entry: []bundleEntry{}}
	dropped, matches := got.dropped, 0
	for _, e := range got.entries {
		if !allowed[e.info.Type].permits(e.info) ||
			!h.parser.scopeRulesFor(c, e.info.Type, gateway.Search).admits(h.parser.types[e.info.Type], e.info.Fields) {
			dropped++
			continue
		}
		out.Entry = append(out.Entry, bundleEntry{FullURL: h.links.base + "/" + e.info.Type + "/" + e.info.ID,
			Resource: oracleScrub(h.scrub, e.raw), Search: &entrySearch{Mode: e.mode, Score: e.score}})
		if e.mode == "match" {
			matches++
		}
	}
	if dropped == 0 && got.head.Total != nil && *got.head.Total == matches && !paged(got.head.Link) {
		out.Total = got.head.Total
	}
	out.Link = h.links.bundleLinks(c, req, got.head.Link, nil)
	return out, nil
}

// allowedNamed is the decision serve takes before the upstream for a search whose named
// patients are all allowed.
func allowedNamed(req *fhirRequest) decisions {
	named := decisions{{asked: gateway.Request{Interaction: req.Interaction, ResourceType: req.Type, Patients: req.Patients},
		Decision: gateway.Decision{Allow: true, Patients: map[string]gateway.PatientDecision{}}}}
	for _, p := range req.Patients {
		named[0].Patients[p] = gateway.PatientDecision{Allowed: true, Basis: "pcp"}
	}
	return named
}

type oracleEntry struct {
	Resource json.RawMessage `json:"resource"`
	Search   *entrySearch    `json:"search,omitempty"`
}

func oracleCandidate(h *Handler, req *fhirRequest, e oracleEntry) (fe foundEntry, ok bool) {
	fe.mode = "match"
	if e.Search != nil && e.Search.Mode != "" {
		fe.mode = e.Search.Mode
	}
	if fe.mode == "outcome" {
		return fe, false
	}
	info, err := oracleInspect(h, e.Resource)
	switch {
	case err != nil:
		return foundEntry{}, false
	case fe.mode == "match" && info.Type == req.Type:
	case fe.mode == "include" && req.includesType(info.Type):
	default:
		return foundEntry{}, false
	}
	if e.Search != nil && fe.mode == "match" {
		fe.score = e.Search.Score
	}
	fe.raw, fe.info = e.Resource, info
	return fe, true
}

func oracleDecodeSearchset(body []byte, onEntry func(oracleEntry) error) (searchHead, error) {
	var head searchHead
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return head, fmt.Errorf("searchset: not a JSON object (%v)", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return head, err
		}
		key, _ := tok.(string)
		if seen[key] {
			return head, errDuplicateKey
		}
		seen[key] = true
		switch key {
		case "resourceType":
			err = dec.Decode(&head.ResourceType)
		case "type":
			err = dec.Decode(&head.Type)
		case "total":
			err = dec.Decode(&head.Total)
		case "link":
			var raw json.RawMessage
			if err = dec.Decode(&raw); err == nil {
				head.Link, err = oracleLinks(raw)
			}
		case "entry":
			err = oracleDecodeEntries(dec, onEntry)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return head, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return head, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return head, errors.New("searchset: trailing data")
	}
	if head.ResourceType != "Bundle" || head.Type != "searchset" {
		return head, errors.New("searchset: not a searchset")
	}
	return head, nil
}

func oracleDecodeEntries(dec *json.Decoder, onEntry func(oracleEntry) error) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("entry is not an array (%v)", err)
	}
	for n := 0; dec.More(); n++ {
		if n >= maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err != nil {
			return err
		}
		e, err := oracleEntryOf(m)
		if err != nil {
			return err
		}
		if err := onEntry(e); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// oracleEntryOf reads an entry's members, by their exact names (encoding/json would match
// struct fields in any case: FHIR names are case-sensitive, and so is the filter).
func oracleEntryOf(m map[string]json.RawMessage) (oracleEntry, error) {
	var e oracleEntry
	var fullURL string
	if raw, ok := m["fullUrl"]; ok {
		if err := json.Unmarshal(raw, &fullURL); err != nil {
			return e, err
		}
	}
	e.Resource = m["resource"]
	if raw, ok := m["search"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		var sm map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sm); err != nil {
			return e, err
		}
		e.Search = &entrySearch{}
		if v, ok := sm["mode"]; ok {
			if err := json.Unmarshal(v, &e.Search.Mode); err != nil {
				return e, err
			}
		}
		if v, ok := sm["score"]; ok {
			if err := json.Unmarshal(v, &e.Search.Score); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

// oracleLinks reads the Bundle's links by their members' exact names.
func oracleLinks(raw json.RawMessage) ([]bundleLink, error) {
	var ms []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, err
	}
	var links []bundleLink
	for _, m := range ms {
		var l bundleLink
		for k, dst := range map[string]*string{"relation": &l.Relation, "url": &l.URL} {
			if v, ok := m[k]; ok {
				if err := json.Unmarshal(v, dst); err != nil {
					return nil, err
				}
			}
		}
		links = append(links, l)
	}
	return links, nil
}

// oracleDecodeObject reads one JSON object's members token by token, refusing repeated names
// and trailing data.
func oracleDecodeObject(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if _, dup := fields[key]; dup {
			return nil, errDuplicateKey
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return fields, nil
}

func oracleInspect(h *Handler, raw json.RawMessage) (resourceInfo, error) {
	m, err := oracleDecodeObject(raw)
	if err != nil {
		return resourceInfo{}, err
	}
	info := resourceInfo{}
	for k, v := range m {
		info.Fields = append(info.Fields, member{name: []byte(k), value: v})
	}
	if err := json.Unmarshal(m["resourceType"], &info.Type); err != nil {
		return resourceInfo{}, err
	}
	if err := json.Unmarshal(m["id"], &info.ID); err != nil || !gateway.ValidID(info.ID) {
		return resourceInfo{}, errors.New("no valid id")
	}
	spec, ok := h.parser.types[info.Type]
	if !ok {
		return info, errors.New("not served")
	}
	rr := oracleResolver{h.parser.refs}
	var patients []string
	if spec.Class == classPatient {
		patients = []string{info.ID}
	}
	for _, path := range spec.Compartment {
		if patients, err = rr.patientsAt(m, path, patients); err != nil {
			return info, err
		}
	}
	if spec.Class == classCompartment && len(patients) == 0 {
		return info, errNoPatient
	}
	if spec.Class != classBinary {
		more, err := rr.scanTokens(raw)
		if err != nil {
			return info, err
		}
		patients = append(patients, more...)
	}
	info.Patients = unique(patients)
	return info, nil
}

// oracleResolver is the reference reading of the oracle, with url.Parse for absolute URLs.
type oracleResolver struct{ refResolver }

func (rr oracleResolver) parse(s string) (ref, error) {
	if strings.ContainsAny(s, "%?#\\ ") || s == "" {
		return ref{}, errBadReference
	}
	rel := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.User != nil || u.Opaque != "" {
			return ref{}, errBadReference
		}
		rel = ""
		for _, b := range rr.bases {
			if rest, ok := strings.CutPrefix(u.Path, b.Path+"/"); ok &&
				strings.EqualFold(u.Scheme, b.Scheme) && strings.EqualFold(u.Host, b.Host) {
				rel = rest
				break
			}
		}
		if rel == "" {
			return ref{}, errBadReference
		}
	} else if strings.Contains(s, ":") {
		return ref{}, errBadReference
	}
	parts := strings.Split(rel, "/")
	var r ref
	switch {
	case len(parts) == 2:
		r = ref{Type: parts[0], ID: parts[1]}
	case len(parts) == 4 && parts[2] == "_history" && gateway.ValidID(parts[3]):
		r = ref{Type: parts[0], ID: parts[1], Version: parts[3]}
	default:
		return ref{}, errBadReference
	}
	if !validTypeName(r.Type) || !gateway.ValidID(r.ID) {
		return ref{}, errBadReference
	}
	return r, nil
}

func (rr oracleResolver) patientOf(s string) (string, error) {
	r, err := rr.parse(s)
	switch {
	case err == nil && r.Type == "Patient":
		return r.ID, nil
	case err == nil:
		return "", nil
	case strings.Contains(s, "Patient"):
		return "", errBadReference
	}
	return "", nil
}

func (rr oracleResolver) patientsAt(fields map[string]json.RawMessage, path string, out []string) ([]string, error) {
	first, rest, nested := strings.Cut(path, ".")
	raw, ok := fields[first]
	if !ok {
		return out, nil
	}
	items, err := oracleListOf(raw)
	if err != nil {
		return out, err
	}
	for _, item := range items {
		if nested {
			obj, err := oracleDecodeObject(item)
			if err != nil {
				return out, err
			}
			if out, err = rr.patientsAt(obj, rest, out); err != nil {
				return out, err
			}
			continue
		}
		obj, err := oracleDecodeObject(item)
		if err != nil {
			return out, err
		}
		var x struct{ Reference, Type string }
		for k, dst := range map[string]*string{"reference": &x.Reference, "type": &x.Type} {
			if v, ok := obj[k]; ok {
				if err := json.Unmarshal(v, dst); err != nil {
					return out, err
				}
			}
		}
		if x.Reference == "" {
			if x.Type == "" || x.Type == "Patient" {
				return out, errBadReference
			}
			continue
		}
		r, err := rr.parse(x.Reference)
		if err != nil {
			return out, err
		}
		if x.Type != "" && x.Type != r.Type {
			return out, errBadReference
		}
		if r.Type == "Patient" {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

func oracleListOf(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		return items, nil
	}
	return []json.RawMessage{raw}, nil
}
