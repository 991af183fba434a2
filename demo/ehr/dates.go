package ehr

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// span is the range of instants a date value stands for, half open: [lo, hi). "2026-03" is
// the whole of March; an instant is one second (or finer, with fractions).
type span struct{ lo, hi time.Time }

// dateRE matches FHIR date, dateTime and instant values of any precision; search values may
// also stop at minutes.
var dateRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$`)

// Far ends for open periods.
var (
	beginningOfTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	endOfTime       = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// parseSpan parses a date value. Values without a zone are taken as UTC, the zone the
// demo world is recorded in. A space stands for "+", because an unencoded "+" in a query
// string arrives as one.
func parseSpan(s string) (span, error) {
	m := dateRE.FindStringSubmatch(strings.ReplaceAll(s, " ", "+"))
	if m == nil {
		return span{}, fmt.Errorf("%q is not a FHIR date, dateTime or instant", s)
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" {
		t, err := time.Parse("-07:00", z)
		if err != nil {
			return span{}, fmt.Errorf("bad time zone in %q: %w", s, err)
		}
		loc = t.Location()
	}
	lo := time.Date(num(1, 0), time.Month(num(2, 1)), num(3, 1), num(4, 0), num(5, 0), num(6, 0), 0, loc)
	if lo.Month() != time.Month(num(2, 1)) || lo.Day() != num(3, 1) {
		return span{}, fmt.Errorf("%q is not a calendar date", s)
	}
	var hi time.Time
	switch {
	case m[7] != "":
		frac, _ := strconv.ParseFloat("0"+m[7], 64)
		lo = lo.Add(time.Duration(frac * float64(time.Second)))
		hi = lo.Add(time.Duration(pow10(9 - (len(m[7]) - 1))))
	case m[6] != "":
		hi = lo.Add(time.Second)
	case m[5] != "":
		hi = lo.Add(time.Minute)
	case m[3] != "":
		hi = lo.AddDate(0, 0, 1)
	case m[2] != "":
		hi = lo.AddDate(0, 1, 0)
	default:
		hi = lo.AddDate(1, 0, 0)
	}
	return span{lo.UTC(), hi.UTC()}, nil
}

// pow10 returns 10^n for small n.
func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// spanOf returns the range of a date element: a date, dateTime or instant string, or a
// Period with optional start and end.
func spanOf(v any) (span, bool) {
	switch x := v.(type) {
	case string:
		s, err := parseSpan(x)
		return s, err == nil
	case map[string]any:
		start, hasStart := x["start"].(string)
		end, hasEnd := x["end"].(string)
		if !hasStart && !hasEnd {
			return span{}, false
		}
		out := span{beginningOfTime, endOfTime}
		if s, err := parseSpan(start); hasStart && err == nil {
			out.lo = s.lo
		}
		if s, err := parseSpan(end); hasEnd && err == nil {
			out.hi = s.hi
		}
		return out, true
	}
	return span{}, false
}

// dateQuery is one date search value: a comparator prefix and a range.
type dateQuery struct {
	prefix string
	span   span
}

// parseDateQuery parses "[prefix]date"; the prefix defaults to eq.
func parseDateQuery(s string) (dateQuery, error) {
	prefix := "eq"
	if len(s) > 2 && s[0] >= 'a' && s[0] <= 'z' {
		prefix, s = s[:2], s[2:]
	}
	switch prefix {
	case "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap":
	default:
		return dateQuery{}, fmt.Errorf("unknown date prefix %q", prefix)
	}
	sp, err := parseSpan(s)
	if err != nil {
		return dateQuery{}, err
	}
	return dateQuery{prefix, sp}, nil
}

// matches compares a target range with the search range as FHIR R4 §3.1.1.4.1.2 describes:
// eq means the target lies within the search range; gt/lt mean part of the target lies
// after/before it; ge/le add the search range itself; sa/eb mean entirely after/before;
// ap is taken as overlap.
func (q dateQuery) matches(t span) bool {
	s := q.span
	within := !t.lo.Before(s.lo) && !t.hi.After(s.hi)
	switch q.prefix {
	case "ne":
		return !within
	case "gt":
		return t.hi.After(s.hi)
	case "lt":
		return t.lo.Before(s.lo)
	case "ge":
		return t.hi.After(s.lo)
	case "le":
		return t.lo.Before(s.hi)
	case "sa":
		return !t.lo.Before(s.hi)
	case "eb":
		return !t.hi.After(s.lo)
	case "ap":
		return t.lo.Before(s.hi) && t.hi.After(s.lo)
	}
	return within
}
