// Package locale gives Fyne a locale it can read where the environment
// names the POSIX locale ("C" or "POSIX", as in containers and CI). Fyne
// reads the locale while its packages initialise and cannot parse "C", so
// it would log "Error parsing user locale C" on every start, even of
// commands that never open a window.
//
// main imports this package for its side effect. Go initialises packages
// in import-path order once their own imports are ready, so this one
// (camscope/...) runs before Fyne's (fyne.io/...); .ci/smoke checks it on
// the real binary.
package locale

import (
	"os"
	"strings"
)

func init() { Fix(os.Getenv, os.Setenv) }

// English is what a POSIX locale means for messages.
const English = "en_US.UTF-8"

// Fix looks at the variables that choose the language of messages, in the
// order C libraries and Fyne read them (LC_ALL, LC_MESSAGES, LANG). If the
// first one set names the POSIX locale, messages become English: LC_ALL is
// rewritten, otherwise only LC_MESSAGES is set, so that the other
// categories keep what the user chose.
func Fix(getenv func(string) string, setenv func(key, value string) error) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if !posix(v) {
			return
		}
		if k != "LC_ALL" {
			k = "LC_MESSAGES"
		}
		_ = setenv(k, English) // a failure leaves Fyne's harmless message
		return
	}
}

// posix reports whether a locale name is the POSIX locale, with or without
// a codeset or modifier ("C", "C.UTF-8", "POSIX").
func posix(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base, _, _ = strings.Cut(base, "@")
	return base == "C" || base == "POSIX"
}
