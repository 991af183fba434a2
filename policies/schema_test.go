package policies_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"testing"
)

// schemaNode is the part of JSON Schema that input.schema.json uses. The tests validate
// with it rather than a schema library so that the gateway needs no extra dependency; a
// keyword it does not know fails the test, so the schema cannot quietly outgrow it.
type schemaNode struct {
	Type                 string                 `json:"type"`
	Required             []string               `json:"required"`
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Enum                 []string               `json:"enum"`
	Pattern              string                 `json:"pattern"`
	UniqueItems          bool                   `json:"uniqueItems"`
}

var knownKeywords = []string{"$schema", "$id", "title", "description", "examples", "type", "required",
	"properties", "additionalProperties", "items", "enum", "pattern", "uniqueItems"}

func loadSchema(t *testing.T) *schemaNode {
	t.Helper()
	raw, err := os.ReadFile("input.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	checkKeywords(t, raw)
	var s schemaNode
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// checkKeywords fails on any schema keyword the validator below does not implement.
func checkKeywords(t *testing.T, raw []byte) {
	t.Helper()
	var node map[string]json.RawMessage
	if err := json.Unmarshal(raw, &node); err != nil {
		return // not an object: a boolean schema or a value
	}
	for k, v := range node {
		if !slices.Contains(knownKeywords, k) {
			t.Errorf("input.schema.json uses %q, which the test validator does not implement", k)
		}
		switch k {
		case "properties":
			var props map[string]json.RawMessage
			json.Unmarshal(v, &props)
			for _, p := range props {
				checkKeywords(t, p)
			}
		case "items", "additionalProperties":
			checkKeywords(t, v)
		}
	}
}

// validate returns every way v breaks s, each prefixed with where.
func (s *schemaNode) validate(where string, v any) []string {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want an object")
			return problems
		}
		for _, r := range s.Required {
			if _, ok := obj[r]; !ok {
				bad("lacks required %q", r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := s.Properties[k]
			switch {
			case ok:
				problems = append(problems, sub.validate(where+"."+k, obj[k])...)
			case string(s.AdditionalProperties) == "false":
				bad("has unexpected %q", k)
			case len(s.AdditionalProperties) > 0:
				var extra schemaNode
				json.Unmarshal(s.AdditionalProperties, &extra)
				problems = append(problems, extra.validate(where+"."+k, obj[k])...)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("want an array")
			return problems
		}
		seen := map[string]bool{}
		for i, item := range arr {
			b, _ := json.Marshal(item)
			if s.UniqueItems && seen[string(b)] {
				bad("repeats %s", b)
			}
			seen[string(b)] = true
			if s.Items != nil {
				problems = append(problems, s.Items.validate(fmt.Sprintf("%s[%d]", where, i), item)...)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string")
			return problems
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			bad("%q is not one of %v", str, s.Enum)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			bad("%q does not match %s", str, s.Pattern)
		}
	default:
		bad("schema type %q is not supported by the test validator", s.Type)
	}
	return problems
}
