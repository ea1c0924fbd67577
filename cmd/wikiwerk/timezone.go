package main

import (
	"fmt"
	"time"
	// The time zone database is compiled in, so that -timezone works on
	// a machine (or container) without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// timezoneValue is the -timezone flag: an IANA time zone name such as
// Europe/Amsterdam, loaded when the flag is set.
type timezoneValue struct{ loc **time.Location }

func (v timezoneValue) String() string {
	if v.loc == nil || *v.loc == nil {
		return ""
	}
	return (*v.loc).String()
}

func (v timezoneValue) Set(s string) error {
	loc, err := time.LoadLocation(s)
	if err != nil {
		return fmt.Errorf("%q is not a time zone (for example Europe/Amsterdam): %w", s, err)
	}
	*v.loc = loc
	return nil
}
