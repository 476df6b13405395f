package session

import (
	"fmt"

	"camscope/app/explain"
	"camscope/inference/cam"
)

// CAMApplies reports whether CAM can explain every one of models, and if
// not, a sentence naming the first model that cannot and why. CAM needs a
// global-average-pooling linear head; Grad-CAM works on any model. This is
// the one place that decides: the runner switches a job's method with it,
// and the window disables the choice with its reason.
func CAMApplies(models []*explain.Model) (ok bool, reason string) {
	for _, m := range models {
		if m.Explainer == nil {
			continue
		}
		if ok, why := m.Explainer.SupportsCAM(); !ok {
			return false, fmt.Sprintf("CAM is off for %s: %s.", m.Name, why)
		}
	}
	return true, ""
}

// methodNames are how the window names the methods.
var methodNames = map[explain.Method]string{explain.CAM: "CAM", explain.GradCAM: "Grad-CAM"}

// MethodNames lists the window's names of the methods, in the order a
// menu shows them (cam.Methods).
func MethodNames() []string {
	var out []string
	for _, m := range cam.Methods() {
		out = append(out, MethodName(m))
	}
	return out
}

// MethodName is how the window names a method; a method without a name of
// its own shows as its identifier.
func MethodName(m explain.Method) string {
	if name, ok := methodNames[m]; ok {
		return name
	}
	return string(m)
}

// MethodNamed is the method the window calls name.
func MethodNamed(name string) (explain.Method, bool) {
	for _, m := range cam.Methods() {
		if MethodName(m) == name {
			return m, true
		}
	}
	return "", false
}
