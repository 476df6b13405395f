// Package cliflag holds the command-line flag types that both the commands
// (app/cli) and the desktop app's own flags (ui) use.
package cliflag

import (
	"errors"
	"strconv"
	"strings"
)

// Strings is a repeatable string flag: each use appends one value.
type Strings []string

func (s *Strings) String() string     { return strings.Join(*s, ",") }
func (s *Strings) Set(v string) error { *s = append(*s, v); return nil }

// Float is a number flag that records whether it was given, for options
// whose "not given" is not a number: an explicit 0 is then a value to check
// like any other, not taken for "not given".
type Float struct {
	Value float64
	Given bool
}

func (f *Float) String() string {
	if !f.Given {
		return ""
	}
	return strconv.FormatFloat(f.Value, 'g', -1, 64)
}

func (f *Float) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	f.Value, f.Given = v, true
	return nil
}
