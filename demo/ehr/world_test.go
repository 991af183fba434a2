package ehr

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone database, to check the seed's own daylight-saving rule
)

// patientOf returns the patient a resource belongs to: its subject or patient, a Binary's
// DocumentReference's, a Patient itself; "-" for directory resources.
func patientOf(d *Dataset, r *stored) string {
	switch r.typ {
	case "Patient":
		return "Patient/" + r.id
	case "Binary":
		key, _ := parseLiteral(r.doc["securityContext"].(map[string]any)["reference"].(string), "")
		return patientOf(d, d.lookup(key.typ, key.id))
	}
	for _, name := range []string{"subject", "patient"} {
		if m, ok := r.doc[name].(map[string]any); ok {
			return m["reference"].(string)
		}
	}
	return "-"
}

func TestSeedKeepsEarlierIDs(t *testing.T) {
	t.Parallel()
	d := Seed()
	f, err := os.Open("testdata/earlier-ids.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		key, want, _ := strings.Cut(line, " ")
		typ, id, _ := strings.Cut(key, "/")
		r := d.lookup(typ, id)
		if r == nil {
			t.Errorf("%s no longer exists", key)
			continue
		}
		if got := patientOf(d, r); got != want {
			t.Errorf("%s belongs to %s, was %s", key, got, want)
		}
	}
	if n < 700 {
		t.Fatalf("read only %d earlier ids", n)
	}
}

func TestHospitalTimeMatchesNewYork(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for at := time.Date(2008, 1, 1, 0, 30, 0, 0, time.UTC); at.Year() < 2028; at = at.Add(97 * time.Minute) {
		if got, want := inHospitalZone(at).Format(time.RFC3339), at.In(ny).Format(time.RFC3339); got != want {
			t.Fatalf("inHospitalZone(%v) = %s, want %s", at, got, want)
		}
	}
	for day := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
		for _, hour := range []int{0, 5, 9, 13, 21, 23} {
			if got, want := hospitalTime(day, hour, 15), time.Date(day.Year(), day.Month(), day.Day(), hour, 15, 0, 0, ny); !got.Equal(want) {
				t.Fatalf("hospitalTime(%s, %d:15) = %v, want %v", day.Format(time.DateOnly), hour, got, want)
			}
		}
	}
}

// clinicalTimes are the members that hold a clinical date and time.
var clinicalTimes = []string{"start", "end", "effectiveDateTime", "issued", "authoredOn", "date", "recordedDate",
	"onsetDateTime", "abatementDateTime", "creation", "onset"}

// zonedRE matches a dateTime with seconds and a New York offset.
var zonedRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[45]:00$`)

func TestSeedTimesAreHospitalTimes(t *testing.T) {
	t.Parallel()
	d := Seed()
	ny, _ := time.LoadLocation("America/New_York")
	ref, _ := time.Parse(time.DateOnly, referenceDate)
	checked := 0
	for _, r := range d.all {
		walkStrings(r.doc, "", func(key, v string) {
			if !slices.Contains(clinicalTimes, key) || !strings.Contains(v, "T") {
				return
			}
			checked++
			at, err := time.Parse(time.RFC3339, v)
			if err != nil || !zonedRE.MatchString(v) {
				t.Errorf("%s/%s %s = %q: not a dateTime with the hospital's offset", r.typ, r.id, key, v)
				return
			}
			if want := at.In(ny).Format("-07:00"); !strings.HasSuffix(v, want) {
				t.Errorf("%s/%s %s = %q: New York is at %s then", r.typ, r.id, key, v, want)
			}
			if !at.Before(ref) {
				t.Errorf("%s/%s %s = %q is not before the reference date", r.typ, r.id, key, v)
			}
		})
		if lu, _ := time.Parse(time.RFC3339, lastUpdated(r)); lu.After(ref) {
			t.Errorf("%s/%s lastUpdated %v after the reference date", r.typ, r.id, lu)
		}
	}
	if checked < 2000 {
		t.Errorf("checked only %d times", checked)
	}
}

// walkStrings calls f with every string in v and the member name holding it.
func walkStrings(v any, key string, f func(key, v string)) {
	switch x := v.(type) {
	case string:
		f(key, x)
	case map[string]any:
		for k, child := range x {
			walkStrings(child, k, f)
		}
	case []any:
		for _, child := range x {
			walkStrings(child, key, f)
		}
	}
}

func TestSeedCodesHaveValidCheckDigits(t *testing.T) {
	t.Parallel()
	d := Seed()
	seen := map[string]bool{}
	for _, r := range d.all {
		walkCodings(r.doc, func(system, c string) {
			if seen[system+"|"+c] {
				return
			}
			seen[system+"|"+c] = true
			switch system {
			case sysLOINC:
				if !loincValid(c) {
					t.Errorf("%s/%s: LOINC %s has a wrong check digit", r.typ, r.id, c)
				}
			case sysSNOMED:
				if !snomedConceptValid(c) {
					t.Errorf("%s/%s: SNOMED CT %s is not a valid concept id", r.typ, r.id, c)
				}
			}
		})
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct codes", len(seen))
	}
	for c, want := range map[string]bool{"2339-0": true, "2339-1": false, "24339-4": true, "24339-0": false} {
		if loincValid(c) != want {
			t.Errorf("loincValid(%s) = %v", c, !want)
		}
	}
	for c, want := range map[string]bool{"46635009": true, "46635008": false, "18679011": false} {
		if snomedConceptValid(c) != want {
			t.Errorf("snomedConceptValid(%s) = %v", c, !want)
		}
	}
}

// walkCodings calls f with the system and code of every Coding in v.
func walkCodings(v any, f func(system, code string)) {
	switch x := v.(type) {
	case map[string]any:
		system, hasSystem := x["system"].(string)
		if c, ok := x["code"].(string); ok && hasSystem {
			f(system, c)
		}
		for _, child := range x {
			walkCodings(child, f)
		}
	case []any:
		for _, child := range x {
			walkCodings(child, f)
		}
	}
}

// loincValid checks a LOINC code's mod-10 check digit, as LOINC publishes it: double the
// number formed by the digits in odd positions from the right, write the even-position digits
// before it, sum all those digits; the check digit brings the sum to a multiple of ten.
func loincValid(c string) bool {
	num, check, ok := strings.Cut(c, "-")
	if !ok || len(check) != 1 || num == "" {
		return false
	}
	var odd, even string
	for i := range len(num) {
		if (len(num)-i)%2 == 1 {
			odd += num[i : i+1]
		} else {
			even += num[i : i+1]
		}
	}
	n, err := strconv.Atoi(odd)
	if err != nil {
		return false
	}
	sum := 0
	for _, r := range even + strconv.Itoa(2*n) {
		sum += int(r - '0')
	}
	return int(check[0]-'0') == (10-sum%10)%10
}

// snomedConceptValid checks a SNOMED CT concept id: partition 00 and a Verhoeff check digit.
func snomedConceptValid(c string) bool {
	if len(c) < 6 || c[len(c)-3:len(c)-1] != "00" {
		return false
	}
	d := [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1}, {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	p := [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1}, {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	check := 0
	for i := 0; i < len(c); i++ {
		check = d[check][p[i%8][int(c[len(c)-1-i]-'0')]]
	}
	return check == 0
}
