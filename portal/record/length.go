package record

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// unitDurations are the UCUM codes of time (and the words EHRs write beside them) that an
// Encounter.length may be in, as durations; months and years are the UCUM mean ones.
var unitDurations = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"min": time.Minute, "minute": time.Minute, "minutes": time.Minute, "mins": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"wk": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"mo": time.Duration(30.4375 * 24 * float64(time.Hour)), "month": time.Duration(30.4375 * 24 * float64(time.Hour)),
	"months": time.Duration(30.4375 * 24 * float64(time.Hour)),
	"a":      time.Duration(365.25 * 24 * float64(time.Hour)), "year": time.Duration(365.25 * 24 * float64(time.Hour)),
	"years": time.Duration(365.25 * 24 * float64(time.Hour)),
}

// encounterLength says how long an encounter lasted, the way clinicians say it: from
// Encounter.length in its own unit (UCUM code first, then the unit's words), else from the
// period. A length in a unit that is not a time is shown as the EHR wrote it; an encounter
// still in progress, or with neither, has none.
func encounterLength(q *fhir.Duration, start, end time.Time) string {
	if q != nil && q.Value != nil {
		v, err := q.Value.Float64()
		unit := strings.ToLower(strings.TrimSpace(str(q.Code)))
		per, ok := unitDurations[unit]
		if !ok {
			per, ok = unitDurations[strings.ToLower(strings.TrimSpace(str(q.Unit)))]
		}
		switch {
		case err == nil && ok && v > 0:
			return HumanDuration(time.Duration(v * float64(per)))
		case err == nil && !ok:
			return strings.TrimSpace(q.Value.String() + " " + cmp.Or(str(q.Unit), str(q.Code)))
		}
	}
	if start.IsZero() || end.IsZero() || !end.After(start) {
		return ""
	}
	return HumanDuration(end.Sub(start))
}

// HumanDuration writes a length of time as a clinician does: "45 min" under an hour, "4 h" or
// "2 h 30 min" under a day, whole days ("1 day", "3 days") beyond.
func HumanDuration(d time.Duration) string {
	m := int(math.Round(d.Minutes()))
	switch {
	case d <= 0:
		return ""
	case m < 60:
		return fmt.Sprintf("%d min", max(1, m))
	case m < 24*60 && m%60 == 0:
		return fmt.Sprintf("%d h", m/60)
	case m < 24*60:
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	if days := int(math.Round(d.Hours() / 24)); days != 1 {
		return fmt.Sprintf("%d days", days)
	}
	return "1 day"
}
