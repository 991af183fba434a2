package ehr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Seed().Resources(), Seed().Resources()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("resource counts %d and %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("resource %d differs between runs:\n%s\n%s", i, a[i], b[i])
		}
	}
	// Resources returns copies: scribbling on one must not change the dataset.
	a[0][2] = 'X'
	if c := Seed().Resources(); !bytes.Equal(c[0], b[0]) {
		t.Fatal("Resources shares memory with the Dataset")
	}
}

func TestSeedIDsUniqueAndMeta(t *testing.T) {
	t.Parallel()
	d := Seed()
	seen := map[string]bool{}
	for _, raw := range d.Resources() {
		var r struct {
			ResourceType, ID string
			Meta             struct{ VersionID, LastUpdated string }
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("resource does not decode: %v", err)
		}
		key := r.ResourceType + "/" + r.ID
		if r.ID == "" || seen[key] {
			t.Errorf("missing or duplicate id %q", key)
		}
		seen[key] = true
		if r.Meta.VersionID != "1" {
			t.Errorf("%s meta.versionId = %q", key, r.Meta.VersionID)
		}
		if _, err := time.Parse(time.RFC3339, r.Meta.LastUpdated); err != nil {
			t.Errorf("%s meta.lastUpdated %q: %v", key, r.Meta.LastUpdated, err)
		}
		if !bytes.HasPrefix(raw, []byte(`{"resourceType":"`)) {
			t.Errorf("%s does not start with resourceType", key)
		}
	}
	if len(seen) != len(d.index) {
		t.Errorf("%d distinct resources, index has %d", len(seen), len(d.index))
	}
}

func TestSeedReferencesResolve(t *testing.T) {
	t.Parallel()
	d := Seed()
	position := map[string]int{}
	for i, r := range d.all {
		position[r.typ+"/"+r.id] = i
	}
	for i, r := range d.all {
		for _, key := range referencesIn(r.doc) {
			at, ok := position[key]
			switch {
			case !ok:
				t.Errorf("%s/%s references missing %s", r.typ, r.id, key)
			case at > i && r.typ != "Binary":
				t.Errorf("%s/%s comes before %s, which it references", r.typ, r.id, key)
			}
		}
	}
	pointedTo := map[string]int{}
	for _, doc := range d.byType["DocumentReference"] {
		for _, u := range valuesAt(doc.doc, "content.attachment.url") {
			id, ok := strings.CutPrefix(u.(string), "Binary/")
			b := d.lookup("Binary", id)
			if !ok || b == nil {
				t.Errorf("DocumentReference/%s attachment %v has no Binary", doc.id, u)
				continue
			}
			pointedTo[id]++
			text, err := base64.StdEncoding.DecodeString(b.doc["data"].(string))
			if err != nil || !bytes.Contains(text, []byte("NOT A REAL PATIENT")) || b.doc["contentType"] != valuesAt(doc.doc, "content.attachment.contentType")[0] {
				t.Errorf("Binary/%s: bad note (err %v)", id, err)
			}
			if !refIs(b.doc, "securityContext", "DocumentReference/"+doc.id) {
				t.Errorf("Binary/%s securityContext = %v", id, b.doc["securityContext"])
			}
		}
	}
	for _, b := range d.byType["Binary"] {
		if pointedTo[b.id] != 1 {
			t.Errorf("Binary/%s is the content of %d DocumentReferences, want 1", b.id, pointedTo[b.id])
		}
	}
}

// referencesIn returns every literal reference ("Type/id") anywhere inside v.
func referencesIn(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["reference"].(string); ok {
			out = append(out, s)
		}
		for _, child := range x {
			out = append(out, referencesIn(child)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, referencesIn(child)...)
		}
	}
	return out
}

func TestSeedPatientCompartments(t *testing.T) {
	t.Parallel()
	d := Seed()
	ref, _ := time.Parse(time.DateOnly, referenceDate)
	perPatient := map[string]int{}
	birth := map[string]time.Time{}
	for _, p := range d.byType["Patient"] {
		birth["Patient/"+p.id], _ = time.Parse(time.DateOnly, p.doc["birthDate"].(string))
		perPatient["Patient/"+p.id]++
	}
	for _, typ := range []string{"Encounter", "Observation", "MedicationRequest", "DiagnosticReport", "DocumentReference"} {
		for _, r := range d.byType[typ] {
			subject, _ := r.doc["subject"].(map[string]any)["reference"].(string)
			born, ok := birth[subject]
			if !ok {
				t.Errorf("%s/%s subject %q is not a patient", typ, r.id, subject)
				continue
			}
			perPatient[subject] += 1
			if typ == "DocumentReference" {
				perPatient[subject]++ // its Binary
			}
			if r.sortAt.Before(born) || r.sortAt.After(ref) {
				t.Errorf("%s/%s dated %v, outside %v..%v", typ, r.id, r.sortAt, born, ref)
			}
		}
	}
	for p, n := range perPatient {
		if n < 10 || n > 200 {
			t.Errorf("%s has %d resources, want 10-200", p, n)
		}
	}
}
