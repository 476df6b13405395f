package session

import (
	"fmt"
	"strings"

	"camscope/app/explain"
	"camscope/inference/cam"
)

// CAMApplies reports whether CAM can explain every one of models at layer
// ("" is each model's discovered layer; another layer is taken only for a
// single model, see LayerApplies), and if not, a sentence naming the first
// model that cannot and why. CAM needs a global-average-pooling linear head
// and the layer that feeds it; the other methods work on any model and
// layer. This is the one place that decides: the runner switches a job's
// method with it, and the window leaves CAM out of its menu
// (MethodNamesFor) with the reason.
func CAMApplies(models []*explain.Model, layer string) (ok bool, reason string) {
	layer = LayerApplies(models, layer)
	for _, m := range models {
		if m.Explainer == nil {
			continue
		}
		ex, err := m.ExplainerAt(layer)
		if err != nil {
			return false, fmt.Sprintf("CAM is off for %s: %s.", m.Name, err)
		}
		if ok, why := ex.SupportsCAM(); !ok {
			return false, fmt.Sprintf("CAM is off for %s: %s.", m.Name, why)
		}
	}
	return true, ""
}

// RolloutApplies reports whether attention rollout can explain every one
// of models, and if not, a sentence naming the first model that cannot
// and why: it needs a vision transformer's attention over a class token
// (ViT, DeiT), at any layer (its map does not depend on the layer). Like
// CAMApplies, the one place that decides, for the runner and the window.
func RolloutApplies(models []*explain.Model) (ok bool, reason string) {
	for _, m := range models {
		if m.Explainer == nil {
			continue
		}
		if ok, why := m.Explainer.SupportsRollout(); !ok {
			return false, fmt.Sprintf("Attention rollout is off for %s: %s.", m.Name, why)
		}
	}
	return true, ""
}

// applies reports whether method can explain every one of models at
// layer (see CAMApplies and RolloutApplies).
func applies(method explain.Method, models []*explain.Model, layer string) bool {
	switch method {
	case cam.CAM:
		ok, _ := CAMApplies(models, layer)
		return ok
	case cam.Rollout:
		ok, _ := RolloutApplies(models)
		return ok
	}
	return true
}

// LayerApplies is the layer models are explained at when layer is asked
// for: a layer is chosen for one model (its names are that model's), so
// with several models (compare) each row uses its discovered layer ("").
func LayerApplies(models []*explain.Model, layer string) string {
	if len(models) != 1 {
		return ""
	}
	return layer
}

// agreeWithGradCAM are the methods that give Grad-CAM's map where
// Agreement says so.
var agreeWithGradCAM = []explain.Method{explain.CAM, explain.GradCAM, explain.HiResCAM, explain.XGradCAM}

// Agreement says which methods must give the same map on every one of
// models at layer, so that the window can say so instead of looking
// broken: at the discovered layer of a global-average-pooling linear head
// (pooling straight after the layer, no classifier convolution before it),
// the class gradient is the head's weight over h·w at every place, so
// Grad-CAM is CAM divided by h·w and HiResCAM and XGrad-CAM are Grad-CAM.
// It returns those methods and a sentence, or nil and "".
func Agreement(models []*explain.Model, layer string) ([]explain.Method, string) {
	if len(models) == 0 {
		return nil, ""
	}
	if ok, _ := CAMApplies(models, layer); !ok {
		return nil, ""
	}
	for _, m := range models {
		if m.Explainer == nil || m.Explainer.Head.ClassifierFirst {
			return nil, ""
		}
	}
	return agreeWithGradCAM, "CAM, Grad-CAM, HiResCAM and XGrad-CAM give the same map on this head (global average pooling; CAM's values are h·w times larger)."
}

// methodNames are how the window names the methods (the names the papers
// and pytorch-grad-cam use; cam.ParseMethod accepts them too).
var methodNames = map[explain.Method]string{
	explain.CAM: "CAM", explain.GradCAM: "Grad-CAM", explain.GradCAMPlusPlus: "Grad-CAM++", explain.XGradCAM: "XGrad-CAM",
	explain.HiResCAM: "HiResCAM", explain.LayerCAM: "LayerCAM", explain.EigenCAM: "Eigen-CAM", explain.EigenGradCAM: "EigenGrad-CAM",
	explain.ScoreCAM: "Score-CAM", explain.AblationCAM: "Ablation-CAM", explain.Occlusion: "Occlusion", explain.Rollout: "Attention rollout",
}

// methodHelp says in one line what each method's map shows.
var methodHelp = map[explain.Method]string{
	explain.CAM:             "The classifier's weights times the last feature map; needs a global-average-pooling head.",
	explain.GradCAM:         "Each channel weighted by the mean gradient of the class score; works at any layer.",
	explain.GradCAMPlusPlus: "Channels weighted by their positive gradients, place by place; covers several objects of a class better.",
	explain.XGradCAM:        "Channels weighted by gradient times activation, relative to the channel's total activation.",
	explain.HiResCAM:        "Gradient times activation at each place: exactly where the score comes from.",
	explain.LayerCAM:        "Positive gradient times activation at each place; keeps detail at earlier layers.",
	explain.EigenCAM:        "The activations' main pattern, without gradients: class-agnostic, the same map for every class.",
	explain.EigenGradCAM:    "The main pattern of gradient times activation: a class's map with less noise.",
	explain.ScoreCAM:        "No gradients: each channel weighted by the class score of the photo masked by it. One forward pass per channel: seconds.",
	explain.AblationCAM:     "Each channel weighted by how much the class score drops without it; from the head where it is linear, else a pass per channel.",
	explain.Occlusion:       "How much the class probability drops when a grey square hides each place; no layer, a pass per square: seconds.",
	explain.Rollout:         "Where a vision transformer's class token draws from, through the attention of every block: the same map for every class.",
}

// noLayer says, for each method that reads no layer, why the layer picker
// changes nothing for it and where its map is instead.
var noLayer = map[explain.Method]struct{ why, mapAt string }{
	explain.Occlusion: {"Occlusion reads no layer: its map is at the input's resolution.", "at the input's resolution"},
	explain.Rollout:   {"Attention rollout reads no layer: its map is on the patch grid, whatever the layer.", "on the patch grid"},
}

// ReadsLayer reports whether m's map is computed from a layer's
// activations, so that the layer chosen changes it. This is the one place
// that decides: occlusion slides a square over the input and attention
// rollout follows the attention of every block.
func ReadsLayer(m explain.Method) bool {
	_, ok := noLayer[m]
	return !ok
}

// NoLayerNote says why m reads no layer and where its map is, for the
// window's layer picker, or "" when m reads one.
func NoLayerNote(m explain.Method) string { return noLayer[m].why }

// MethodHelp is one line on what the method's map shows, for the window's
// menu.
func MethodHelp(m explain.Method) string { return methodHelp[m] }

// MethodNames lists the window's names of the methods, in the order a
// menu shows them (cam.Methods).
func MethodNames() []string { return MethodNamesFor(nil, "") }

// MethodNamesFor lists, in the menu's order, the window's names of the
// methods that can explain every one of models at layer: all of them but
// CAM when CAMApplies says it cannot, and attention rollout when
// RolloutApplies says it cannot.
func MethodNamesFor(models []*explain.Model, layer string) []string {
	var out []string
	for _, m := range cam.Methods() {
		if applies(m, models, layer) {
			out = append(out, MethodName(m))
		}
	}
	return out
}

// MethodsOff says why CAM or attention rollout is left out of the menu
// for models at layer: their sentences, or "".
func MethodsOff(models []*explain.Model, layer string) string {
	_, camWhy := CAMApplies(models, layer)
	_, rolloutWhy := RolloutApplies(models)
	return strings.TrimSpace(camWhy + " " + rolloutWhy)
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
