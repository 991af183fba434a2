package gateway

import (
	"net/http"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"child-01", true}, {"a.b-C9", true}, {strings.Repeat("a", 64), true},
		{"", false}, {".", false}, {"..", false}, {"...", false}, {strings.Repeat("a", 65), false},
		{"a/b", false}, {"a b", false}, {"a%2F", false}, {"é", false}, {"a_b", false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   string
	}{
		{"bearer", []string{"Bearer abc"}, "abc"},
		{"case-insensitive scheme", []string{"bEaReR abc"}, "abc"},
		{"none", nil, ""},
		{"two headers", []string{"Bearer abc", "Bearer def"}, ""},
		{"basic", []string{"Basic YWJj"}, ""},
		{"empty token", []string{"Bearer "}, ""},
		{"no space", []string{"Bearerabc"}, ""},
		{"token with a space", []string{"Bearer abc def"}, ""},
		{"token with a tab", []string{"Bearer abc\tdef"}, ""},
	} {
		h := http.Header{}
		for _, v := range tc.values {
			h.Add("Authorization", v)
		}
		got, err := BearerToken(h)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s: BearerToken = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
