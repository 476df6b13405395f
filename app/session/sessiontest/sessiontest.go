// Package sessiontest holds stand-ins for the session's work that tests of
// the packages above it (ui) use, so that those tests need no inference
// package of their own. Nothing in the program imports it.
package sessiontest

import (
	"context"
	"image"
	"math"

	"camscope/app/explain"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// FixedExplain stands in for a model in golden tests (session.Funcs.Explain): the classes and
// maps are the same on every machine (real kernels may differ in the last
// bits between CPUs). Each map is a blob at its own place on a 7x7 grid.
func FixedExplain(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
	b := img.Rect
	res := &explain.Result{Model: m, Request: req, Photo: img, Geometry: preprocess.Geometry{
		PhotoWidth: b.Dx(), PhotoHeight: b.Dy(), Crop: preprocess.Rect{X1: float64(b.Dx()), Y1: float64(b.Dy())}}}
	classes := []int{285, 281, 282, 287, 728}
	probs := []float64{0.62, 0.21, 0.09, 0.03, 0.01}
	for i := range min(req.TopK, len(classes)) {
		data := make([]float32, 49)
		cx, cy := float64(1+i), float64(3+(i%2))
		for y := range 7 {
			for x := range 7 {
				d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				data[y*7+x] = float32(10 * (1 - 0.1*float64(i)) * math.Exp(-d/4))
			}
		}
		c := cam.Class{Index: classes[i], Label: m.Explainer.Label(classes[i]), Prob: probs[i]}
		res.Classes = append(res.Classes, explain.Explained{Class: c, Rank: i + 1, Map: cam.Map{W: 7, H: 7, Data: data}})
	}
	return res, nil
}
