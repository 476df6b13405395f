package session

import (
	"fmt"
	"strings"

	"camscope/app/explain"
)

// sameClasses are the classes of model m that match first's classes (the
// first row's, of model m0) for "the same classes in every model": by
// index when both models have as many classes, else by label where both
// have labels (ImageNet's 1001-class models put "background" first, so
// their indices are one more than the 1000-class models'). ok is false
// when nothing matches, and the row then shows its own top classes; note
// says what was done when it is not by index, or "".
func sameClasses(m0, m *explain.Model, first []explain.Explained) (classes []int, ok bool, note string) {
	if m.NumClasses() == m0.NumClasses() {
		for _, c := range first {
			classes = append(classes, c.Index)
		}
		return classes, true, ""
	}
	differ := fmt.Sprintf("%s has %d classes and %s %d", m0.Name, m0.NumClasses(), m.Name, m.NumClasses())
	if len(m0.Labels) == 0 || len(m.Labels) == 0 {
		return nil, false, differ + ", and without labels on both their classes cannot be matched: " + m.Name + " shows its own top classes."
	}
	byName := make(map[string]int, len(m.Labels))
	for k := len(m.Labels) - 1; k >= 0; k-- {
		byName[labelKey(m.Labels[k])] = k
	}
	var missing []string
	for _, c := range first {
		if c.Index < 0 || c.Index >= len(m0.Labels) {
			continue
		}
		if k, found := byName[labelKey(m0.Labels[c.Index])]; found {
			classes = append(classes, k)
		} else {
			missing = append(missing, m0.Labels[c.Index])
		}
	}
	if len(classes) == 0 {
		return nil, false, differ + " and none of the first row's labels: " + m.Name + " shows its own top classes."
	}
	note = differ + ": classes matched by label name."
	if len(missing) > 0 {
		note += fmt.Sprintf(" %s has no %s.", m.Name, strings.Join(missing, ", "))
	}
	return classes, true, note
}

// labelKey is what two labels of the same class share: the first name,
// in lower case ("tabby, tabby cat" and "Tabby" match).
func labelKey(label string) string {
	name, _, _ := strings.Cut(label, ",")
	return strings.ToLower(strings.TrimSpace(name))
}
