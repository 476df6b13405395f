// Package sessiontest holds stand-ins for the session's work that tests of
// the packages above it (ui) use, so that those tests need no inference
// package of their own. Nothing in the program imports it.
package sessiontest

import (
	"context"
	"image"
	"math"
	"slices"

	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// ExplainFunc is the signature of session.Funcs.Explain.
type ExplainFunc = func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error)

// fixedClasses are FixedExplain's top classes on an ImageNet model, with
// their probabilities.
var (
	fixedClasses = []int{285, 281, 282, 287, 728}
	fixedProbs   = []float64{0.62, 0.21, 0.09, 0.03, 0.01}
)

// FixedExplain stands in for a model in golden tests (session.Funcs.Explain): the classes and
// maps are the same on every machine (real kernels may differ in the last
// bits between CPUs). Each map is a blob on the layer's grid (7x7 when the
// model's shape is not known), at its own place for each class. The
// methods that give CAM's map on a global-average-pooling head (CAM,
// Grad-CAM, HiResCAM, XGrad-CAM) give the same blob here, CAM's h·w times
// larger; the others spread it more, and Eigen-CAM's is the same for every
// class. A model with fewer classes than the ImageNet ones takes classes
// 0, 1, 2, ... with the same probabilities.
func FixedExplain(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
	b := img.Rect
	res := &explain.Result{Model: m, Request: req, Photo: img, Geometry: preprocess.Geometry{
		PhotoWidth: b.Dx(), PhotoHeight: b.Dy(), Crop: preprocess.Rect{X1: float64(b.Dx()), Y1: float64(b.Dy())}}}
	classes := fixedClasses
	if n := m.NumClasses(); n <= slices.Max(fixedClasses) {
		classes = nil
		for k := range min(n, len(fixedClasses)) {
			classes = append(classes, k)
		}
	}
	w, h := 7, 7
	if m.Engine != nil {
		layer := req.Layer
		if layer == "" {
			layer = m.Layer()
		}
		if mw, mh, ok := m.MapSizeAt(layer); ok {
			w, h = mw, mh
		}
	}
	spread, scale := 1.0, 1.0
	switch req.Method {
	case cam.GradCAM, cam.HiResCAM, cam.XGradCAM:
		scale = 1 / float64(w*h)
	case cam.GradCAMPlusPlus:
		spread = 1.8
	case cam.LayerCAM:
		spread = 0.5
	case cam.EigenCAM:
		spread = 3
	case cam.EigenGradCAM:
		spread = 2.4
	case cam.ScoreCAM:
		spread = 1.3
	case cam.AblationCAM:
		spread = 0.8
	case cam.Occlusion:
		spread = 0.6
	}
	add := func(i, rank int) {
		data := make([]float32, w*h)
		blob := i
		if req.Method == cam.EigenCAM {
			blob = 0
		}
		g := float64(w) / 7
		cx, cy := float64(1+blob)*g, float64(3+(blob%2))*g
		for y := range h {
			for x := range w {
				d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				data[y*w+x] = float32(scale * 10 * (1 - 0.1*float64(blob)) * math.Exp(-d/(4*g*g*spread)))
			}
		}
		c := cam.Class{Index: classes[i], Label: m.Explainer.Label(classes[i]), Prob: fixedProbs[i]}
		res.Classes = append(res.Classes, explain.Explained{Class: c, Rank: rank, Map: cam.Map{W: w, H: h, Data: data}})
	}
	for i := range min(req.TopK, len(classes)) {
		add(i, i+1)
	}
	for _, k := range req.Classes {
		if i := slices.Index(classes, k); i >= req.TopK {
			add(i, 0)
		}
	}
	return res, nil
}

// Blocking wraps next so that a run of method never ends by itself: it
// says on started that it began and then waits for its context to be
// cancelled, as a slow method would that looks at its context. Other
// methods run next.
func Blocking(next ExplainFunc, method explain.Method, started chan<- struct{}) ExplainFunc {
	return func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		if req.Method != method {
			return next(ctx, m, img, req)
		}
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// FixedLayerMaps stands in for the layer scrubber's maps
// (session.Funcs.LayerMaps) in golden tests: at each layer, on its grid, a
// blob that narrows from the first layer to the last, the same on every
// machine.
func FixedLayerMaps(_ context.Context, m *explain.Model, _ *image.RGBA, _ explain.Method, layers []string, _ int) ([]cam.Map, error) {
	out := make([]cam.Map, len(layers))
	for i, layer := range layers {
		if layer == "" {
			layer = m.Layer()
		}
		w, h, ok := m.MapSizeAt(layer)
		if !ok {
			w, h = 7, 7
		}
		spread := 1 - 0.8*float64(i)/float64(max(1, len(layers)-1))
		data := make([]float32, w*h)
		for y := range h {
			for x := range w {
				dx, dy := (float64(x)+0.5)/float64(w)-0.4, (float64(y)+0.5)/float64(h)-0.55
				data[y*w+x] = float32(math.Exp(-(dx*dx + dy*dy) / (0.1 * spread)))
			}
		}
		out[i] = cam.Map{W: w, H: h, Data: data}
	}
	return out, nil
}

// FixedMeasure stands in for the faithfulness measurement of map i of r
// (session.Funcs.Measure) in golden tests: curves of
// faithfulness.DefaultSteps steps that fall (deletion) and rise
// (insertion) faster for a sharper method, from and to the class's
// probability, the same on every machine.
func FixedMeasure(_ context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
	rate := 5.0
	switch r.Request.Method {
	case cam.CAM, cam.GradCAM, cam.HiResCAM, cam.XGradCAM:
		rate = 6
	case cam.GradCAMPlusPlus:
		rate = 4
	case cam.LayerCAM:
		rate = 8
	case cam.EigenCAM:
		rate = 2.5
	}
	p := r.Classes[i].Prob
	n := faithfulness.DefaultSteps
	del := faithfulness.Curve{Fractions: make([]float64, n+1), Probs: make([]float64, n+1)}
	ins := faithfulness.Curve{Fractions: make([]float64, n+1), Probs: make([]float64, n+1)}
	for j := range n + 1 {
		f := float64(j) / float64(n)
		del.Fractions[j], ins.Fractions[j] = f, f
		del.Probs[j] = p * math.Exp(-rate*f)
		ins.Probs[j] = p * (1 - math.Exp(-rate*f)) / (1 - math.Exp(-rate))
	}
	del.AUC = faithfulness.AUC(del.Fractions, del.Probs)
	ins.AUC = faithfulness.AUC(ins.Fractions, ins.Probs)
	drop := 1 / rate
	return faithfulness.Scores{Deletion: &del, Insertion: &ins, Confidence: &faithfulness.Confidence{Masked: p * (1 - drop), Drop: drop}}, nil
}
