// Package cliflag holds the command-line flag types that both the commands
// (app/cli) and the desktop app's own flags (ui) use.
package cliflag

import "strings"

// Strings is a repeatable string flag: each use appends one value.
type Strings []string

func (s *Strings) String() string     { return strings.Join(*s, ",") }
func (s *Strings) Set(v string) error { *s = append(*s, v); return nil }
