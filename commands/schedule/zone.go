package schedule

import (
	"math"
	"time"
)

// A civil date is a calendar day with no zone: midnight UTC of that day, so
// that stepping days with AddDate never meets a DST transition.
type civil = time.Time

// civilDate returns the calendar day of t in its own location.
func civilDate(t time.Time) civil {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// zonePeriod is one stretch of a location's history with a constant UTC
// offset: [start, end) in Unix seconds.
type zonePeriod struct {
	start, end int64
	offset     int64
}

// dayZones holds the zone periods that can contain an instant whose wall
// clock reads some time on one civil day. Offsets stay within ±26h, so the
// periods overlapping [day-27h, day+1d+27h] are enough.
type dayZones []zonePeriod

// zonesFor lists the periods of loc around the civil day d.
func zonesFor(d civil, loc *time.Location) dayZones {
	const margin = 27 * 3600
	from := d.Unix() - margin
	to := d.Unix() + 86400 + margin
	var zones dayZones
	probe := time.Unix(from, 0).In(loc)
	for range 16 { // a handful of transitions at most; the bound guards bad tzdata
		start, end := probe.ZoneBounds()
		_, offset := probe.Zone()
		p := zonePeriod{start: math.MinInt64, end: math.MaxInt64, offset: int64(offset)}
		if !start.IsZero() {
			p.start = start.Unix()
		}
		if !end.IsZero() {
			p.end = end.Unix()
		}
		zones = append(zones, p)
		if p.end >= to || p.end <= probe.Unix() {
			break
		}
		probe = time.Unix(p.end, 0).In(loc)
	}
	return zones
}

// first returns the earliest instant whose wall clock reads wall (seconds
// of the civil day's wall time read as if it were UTC), and false when that
// wall time does not exist (a spring-forward gap).
func (z dayZones) first(wall int64) (int64, bool) {
	for _, p := range z { // periods ascend, so the first fit is the earliest
		u := wall - p.offset
		if u >= p.start && u < p.end {
			return u, true
		}
	}
	return 0, false
}

// all returns every instant whose wall clock reads wall, ascending: none
// in a gap, two in a fall-back repeat.
func (z dayZones) all(wall int64) []int64 {
	var out []int64
	for _, p := range z {
		u := wall - p.offset
		if u >= p.start && u < p.end {
			out = append(out, u)
		}
	}
	return out
}

// transitions returns the instants in (from, to) at which the offset changes.
func (z dayZones) transitions(from, to int64) []int64 {
	var out []int64
	for i := 1; i < len(z); i++ {
		if s := z[i].start; s > from && s < to && z[i].offset != z[i-1].offset {
			out = append(out, s)
		}
	}
	return out
}

// locOrUTC is the location a nil *time.Location stands for.
func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
