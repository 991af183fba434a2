package ehr

import "time"

// The hospital is in America/New_York. Clinical times are written with the offset in force
// there on that day (-05:00 in winter, -04:00 in summer), as an EHR in that zone writes them,
// so that a client can show them in hospital time. The rule is the US one in force since
// 2007 (daylight time from 02:00 on the second Sunday of March to 02:00 on the first Sunday
// of November), computed here rather than read from the system's zone database, so that the
// world is identical on machines without tzdata.
var (
	easternStandard = time.FixedZone("EST", -5*60*60)
	easternDaylight = time.FixedZone("EDT", -4*60*60)
)

// nthSunday returns the date of the n-th Sunday of a month (n >= 1).
func nthSunday(year int, month time.Month, n int) time.Time {
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	offset := (7 - int(first.Weekday())) % 7
	return first.AddDate(0, 0, offset+7*(n-1))
}

// daylightSaving reports whether daylight time is in force at instant t: from 02:00 EST on
// the second Sunday of March (07:00 UTC) to 02:00 EDT on the first Sunday of November
// (06:00 UTC).
func daylightSaving(t time.Time) bool {
	y := t.UTC().Year()
	start := nthSunday(y, time.March, 2).Add(7 * time.Hour)
	end := nthSunday(y, time.November, 1).Add(6 * time.Hour)
	return !t.Before(start) && t.Before(end)
}

// hospitalTime returns the instant at which the hospital's clocks show the given local date
// and time of day. The seed never asks for a time in the hour skipped or repeated when the
// clocks change; such a time is read as standard time.
func hospitalTime(date time.Time, hour, minute int) time.Time {
	t := time.Date(date.Year(), date.Month(), date.Day(), hour, minute, 0, 0, easternStandard)
	if daylightSaving(t) {
		t = time.Date(date.Year(), date.Month(), date.Day(), hour, minute, 0, 0, easternDaylight)
	}
	return t
}

// inHospitalZone returns t as the hospital's clocks show it.
func inHospitalZone(t time.Time) time.Time {
	if daylightSaving(t) {
		return t.In(easternDaylight)
	}
	return t.In(easternStandard)
}

// dateTime formats t as a FHIR dateTime with the hospital's offset: "2026-03-14T09:30:00-04:00".
func dateTime(t time.Time) string {
	return inHospitalZone(t).Format("2006-01-02T15:04:05-07:00")
}

// localDay returns the hospital's calendar date of t, at midnight UTC, for date arithmetic.
func localDay(t time.Time) time.Time {
	l := inHospitalZone(t)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}
