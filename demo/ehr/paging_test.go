package ehr

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPagingWalk(t *testing.T) {
	t.Parallel()
	e := startEHR(t, func(o *Options) { o.DefaultCount, o.MaxCount = 20, 50 })
	tests := []struct {
		name, path string
		want       func(*Dataset) []string
		pageSize   int
	}{
		{"one patient's observations", "Observation?patient=child-03&_count=7",
			where("Observation", subjectAnd("child-03", nil)), 7},
		{"all observations, count capped at MaxCount", "Observation?_count=500",
			where("Observation", func(map[string]any) bool { return true }), 50},
		{"default count", "Encounter?status=finished",
			where("Encounter", hasValue("status", "finished")), 20},
		{"exact multiple of the page size", "Patient?_count=8",
			where("Patient", func(map[string]any) bool { return true }), 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			want := tc.want(e.d)
			if len(want) <= tc.pageSize {
				t.Fatalf("only %d matches: the walk would not page", len(want))
			}
			var got []string
			seen := map[string]bool{}
			next, pages := tc.path, 0
			for next != "" {
				b := e.search(next)
				pages++
				if b.Total != len(want) {
					t.Fatalf("page %d: total %d, want %d", pages, b.Total, len(want))
				}
				checkLinks(t, e, b, tc.path)
				if len(b.Entry) > tc.pageSize {
					t.Fatalf("page %d has %d entries, page size %d", pages, len(b.Entry), tc.pageSize)
				}
				for _, en := range b.Entry {
					id := en.Resource["resourceType"].(string) + "/" + en.Resource["id"].(string)
					if en.FullURL != e.base+"/"+id || en.Search.Mode != "match" {
						t.Errorf("entry %s: fullUrl %q, mode %q", id, en.FullURL, en.Search.Mode)
					}
					if seen[id] {
						t.Errorf("%s returned twice", id)
					}
					seen[id] = true
					got = append(got, id)
				}
				next = b.link("next")
				if pages > 100 {
					t.Fatal("next links never end")
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("walk collected %d resources, want %d in order", len(got), len(want))
			}
			if wantPages := (len(want) + tc.pageSize - 1) / tc.pageSize; pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
}

// checkLinks asserts that a Bundle's links are absolute URLs under the base that repeat the
// original search parameters, with _count and _offset.
func checkLinks(t *testing.T, e *testEHR, b testBundle, original string) {
	t.Helper()
	typ, rawQuery, _ := strings.Cut(original, "?")
	orig, _ := url.ParseQuery(rawQuery)
	if b.link("self") == "" || b.link("first") == "" {
		t.Errorf("missing self or first link: %+v", b.Link)
	}
	for _, l := range b.Link {
		u, err := url.Parse(l.URL)
		if err != nil || !strings.HasPrefix(l.URL, e.base+"/"+typ+"?") {
			t.Errorf("%s link %q is not an absolute search URL under %s", l.Relation, l.URL, e.base)
			continue
		}
		q := u.Query()
		if q.Get("_count") == "" || q.Get("_offset") == "" {
			t.Errorf("%s link %q lacks _count or _offset", l.Relation, l.URL)
		}
		for k, v := range orig {
			if k != "_count" && !slices.Equal(q[k], v) {
				t.Errorf("%s link %q drops %s=%v", l.Relation, l.URL, k, v)
			}
		}
	}
	if prev := b.link("previous"); prev != "" {
		if offsetOf(prev) >= offsetOf(b.link("self")) {
			t.Errorf("previous %q does not go back from self %q", prev, b.link("self"))
		}
	}
}

// offsetOf returns the _offset of a link.
func offsetOf(link string) int {
	u, _ := url.Parse(link)
	n, _ := strconv.Atoi(u.Query().Get("_offset"))
	return n
}

func TestPostSearchEqualsGet(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	queries := []string{
		"patient=child-03&code=http://loinc.org|4548-4",
		"patient=child-01,child-02&category=vital-signs&_count=5&_offset=5",
		"subject:Patient=child-03&date=ge2025-01-01&date=lt2026-06-01",
		"patient=child-01&flavour=mint",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			e := e.with(t)
			vals, _ := url.ParseQuery(q)
			get := e.get("Observation?"+vals.Encode(), nil)
			post := e.do(http.MethodPost, "Observation/_search", strings.NewReader(vals.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			if get.status != 200 || post.status != 200 {
				t.Fatalf("GET %d, POST %d: %s", get.status, post.status, post.body)
			}
			if string(get.body) != string(post.body) {
				t.Errorf("POST _search differs from GET:\nGET  %s\nPOST %s", get.body, post.body)
			}
			if len(decodeBundle(t, get.body).Entry) == 0 {
				t.Error("query matched nothing; the comparison proves little")
			}
		})
	}
	// Parameters may be split between the URL and the body.
	split := e.do(http.MethodPost, "Observation/_search?patient=child-03", strings.NewReader("code=4548-4"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if b := decodeBundle(t, split.body); b.Total != 3 {
		t.Errorf("URL+body POST _search: total %d, want 3", b.Total)
	}
}

func TestIncludeAndSummary(t *testing.T) {
	t.Parallel()
	e := startEHR(t, nil)
	b := e.search("MedicationRequest?patient=child-03&_include=MedicationRequest:requester")
	if got := b.ids("include"); !slices.Equal(got, []string{"Practitioner/dr-rossi"}) {
		t.Errorf("included %v, want [Practitioner/dr-rossi]", got)
	}
	if b.Total != len(b.ids("match")) || b.Total == 0 {
		t.Errorf("total %d counts includes or is empty (%d matches)", b.Total, len(b.ids("match")))
	}
	enc := e.search("Encounter?patient=child-03&_include=Encounter:participant:Practitioner&_include=Encounter:service-provider")
	inc := enc.ids("include")
	for _, want := range []string{"Practitioner/dr-kim", "Practitioner/dr-rossi", "Organization/dept-endocrinology", "Organization/dept-hospital-medicine"} {
		if !slices.Contains(inc, want) {
			t.Errorf("Encounter includes %v lack %s", inc, want)
		}
	}
	if resp := e.get("Encounter?patient=child-03&_include=Observation:subject", map[string]string{"Prefer": "handling=strict"}); resp.status != 400 {
		t.Errorf("strict foreign _include: status %d, want 400", resp.status)
	}
	count := e.search("Observation?patient=child-03&_summary=count")
	full := e.search("Observation?patient=child-03&_count=100")
	if count.Total != full.Total || len(count.Entry) != 0 || full.Total == 0 {
		t.Errorf("_summary=count: total %d with %d entries; full total %d", count.Total, len(count.Entry), full.Total)
	}
	zero := e.search("Observation?patient=child-03&_count=0")
	if zero.Total != full.Total || len(zero.Entry) != 0 || zero.link("next") != "" {
		t.Errorf("_count=0: total %d, %d entries, next %q", zero.Total, len(zero.Entry), zero.link("next"))
	}
}
