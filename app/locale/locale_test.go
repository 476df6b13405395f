package locale

import (
	"maps"
	"testing"
)

func TestFix(t *testing.T) {
	for _, c := range []struct {
		env, want map[string]string
	}{
		{map[string]string{"LANG": "C"}, map[string]string{"LANG": "C", "LC_MESSAGES": English}},
		{map[string]string{"LANG": "C.UTF-8"}, map[string]string{"LANG": "C.UTF-8", "LC_MESSAGES": English}},
		{map[string]string{"LC_ALL": "POSIX", "LANG": "de_DE.UTF-8"}, map[string]string{"LC_ALL": English, "LANG": "de_DE.UTF-8"}},
		{map[string]string{"LC_MESSAGES": "C", "LANG": "fr_FR"}, map[string]string{"LC_MESSAGES": English, "LANG": "fr_FR"}},
		{map[string]string{"LC_MESSAGES": "fr_FR", "LANG": "C"}, map[string]string{"LC_MESSAGES": "fr_FR", "LANG": "C"}},
		{map[string]string{"LANG": "de_DE.UTF-8"}, map[string]string{"LANG": "de_DE.UTF-8"}},
		{map[string]string{"LANG": "Catalan"}, map[string]string{"LANG": "Catalan"}},
		{map[string]string{}, map[string]string{}},
	} {
		env := maps.Clone(c.env)
		Fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if !maps.Equal(env, c.want) {
			t.Errorf("%v became %v, want %v", c.env, env, c.want)
		}
	}
}
