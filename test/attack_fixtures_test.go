package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// victims are the facts about patients the attackers may not see, learnt through the gateway
// as a user who may see them, so that the suite needs no knowledge of the upstream's ids.
type victims struct {
	values  map[string]string // placeholder → value, e.g. "obs10" → "obs-10-001"
	secrets []string
}

// discoverVictims reads child-10's record as pcp2 (its PCP) and a paging link as pcp.
func discoverVictims(t *testing.T, g *gateway, tokens map[string]string) victims {
	t.Helper()
	v := victims{values: map[string]string{"gw": g.base + "/fhir"}}
	var p struct {
		Name       []struct{ Family string } `json:"name"`
		Identifier []struct{ Value string }  `json:"identifier"`
	}
	g.getJSON(t, tokens["pcp2"], "/Patient/child-10", &p)
	for _, n := range p.Name {
		v.secrets = append(v.secrets, n.Family)
	}
	for _, id := range p.Identifier {
		v.values["mrn10"] = id.Value
		v.secrets = append(v.secrets, id.Value)
	}
	// Each victim resource, read as its patient's PCP; the key's digits name the child.
	for key, typ := range map[string]string{"obs10": "Observation", "enc10": "Encounter", "med10": "MedicationRequest",
		"doc10": "DocumentReference", "dr10": "DiagnosticReport", "doc01": "DocumentReference", "cond10": "Condition",
		"alg12": "AllergyIntolerance", "alg01": "AllergyIntolerance"} {
		user, patient := "pcp2", "child-"+key[len(key)-2:]
		if strings.HasSuffix(key, "01") {
			user = "pcp"
		}
		var b struct {
			Entry []struct{ Resource json.RawMessage } `json:"entry"`
		}
		g.getJSON(t, tokens[user], "/"+typ+"?patient="+patient+"&_count=1", &b)
		if len(b.Entry) == 0 {
			continue
		}
		var r struct {
			ID      string `json:"id"`
			Content []struct {
				Attachment struct{ URL string } `json:"attachment"`
			} `json:"content"`
		}
		if err := json.Unmarshal(b.Entry[0].Resource, &r); err != nil {
			t.Fatal(err)
		}
		v.values[key] = r.ID
		if user == "pcp2" {
			v.secrets = append(v.secrets, r.ID)
		}
		if len(r.Content) > 0 {
			if bin, ok := strings.CutPrefix(r.Content[0].Attachment.URL, "Binary/"); ok {
				v.values["bin"+key[3:]] = bin
			}
		}
	}
	for n := 10; n <= 24; n++ {
		v.secrets = append(v.secrets, fmt.Sprintf("child-%02d", n))
	}
	v.pagingLinks(t, g, tokens["pcp"])
	return v
}

// pagingLinks records a next link the gateway gave pcp, and a tampered copy of it.
func (v victims) pagingLinks(t *testing.T, g *gateway, token string) {
	var b struct {
		Link []struct{ Relation, URL string } `json:"link"`
	}
	g.getJSON(t, token, "/Observation?patient=child-01&_count=1", &b)
	for _, l := range b.Link {
		if l.Relation != "next" {
			continue
		}
		path := strings.TrimPrefix(l.URL, g.base+"/fhir")
		v.values["next01"] = path
		u, err := url.Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("_offset", "0")
		u.RawQuery = q.Encode()
		v.values["next01tampered"] = u.String()
	}
}

// getJSON reads a gateway path that must answer 200 and decodes it.
func (g *gateway) getJSON(t *testing.T, token, path string, out any) {
	t.Helper()
	status, body := g.fhir(t, http.MethodGet, path, token)
	if status != http.StatusOK {
		t.Fatalf("fixture GET %s: status %d: %.300s", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("fixture GET %s: %v", path, err)
	}
}

// expand fills a path's {placeholders}; ok is false when one has no value on this upstream.
func (v victims) expand(path string) (string, bool) {
	out := v.replace(path)
	return out, !strings.Contains(out, "{")
}

// replace fills the placeholders it knows.
func (v victims) replace(s string) string {
	for k, val := range v.values {
		s = strings.ReplaceAll(s, "{"+k+"}", val)
	}
	return s
}
