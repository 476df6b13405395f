package session

import (
	"fmt"

	"camscope/app/explain"
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

// MethodName is how the window names a method.
func MethodName(m explain.Method) string {
	if m == explain.GradCAM {
		return "Grad-CAM"
	}
	return "CAM"
}
