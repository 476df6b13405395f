package trainer

import (
	"context"
	"math"
	"testing"

	"camscope/app/shapes"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/tensor"
)

// checkEngine loads exported bytes in the project's engine and compares its
// logits and CAM with Params.Forward and Params.CAM.
func checkEngine(t *testing.T, p *Params, onnxBytes []byte, scenes int) {
	t.Helper()
	m, err := inference.LoadBytes("shapes.onnx", onnxBytes, inference.Options{})
	if err != nil {
		t.Fatalf("the engine cannot load the exported model: %v", err)
	}
	e, err := cam.New(m, shapes.Labels(), "")
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := e.SupportsCAM(); !ok {
		t.Fatalf("the engine finds no CAM head: %s", why)
	}
	if e.Layer != FeaturesName {
		t.Errorf("the engine's CAM layer is %q, the metadata says %q", e.Layer, FeaturesName)
	}
	s := p.Arch.Size
	for i := 0; i < scenes; i++ {
		b := makeBatch(p.Arch, 777, uint64(i), 1, shapes.Options{Size: s})
		pass, err := e.Forward(context.Background(), tensor.FromFloat32([]int{1, 3, s, s}, b.x), cam.CAM)
		if err != nil {
			t.Fatal(err)
		}
		feat, want := p.Forward(b.x)
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for c := range want {
			if d := math.Abs(float64(pass.Logits[c] - want[c])); d > 1e-4*math.Max(1, scale) {
				t.Fatalf("scene %d class %d: engine logit %v, trainer %v", i, c, pass.Logits[c], want[c])
			}
		}
		c := argmax(want)
		got, err := pass.Map(c)
		if err != nil {
			t.Fatal(err)
		}
		ref := p.CAM(feat, c)
		var hi float64
		for _, v := range ref {
			hi = math.Max(hi, math.Abs(float64(v)))
		}
		for j := range ref {
			if d := math.Abs(float64(got.Data[j] - ref[j])); d > 1e-4*math.Max(1, hi) {
				t.Fatalf("scene %d: engine CAM cell %d = %v, trainer %v", i, j, got.Data[j], ref[j])
			}
		}
	}
}

func TestExportRunsInEngine(t *testing.T) {
	a := Arch{Size: 32, Classes: shapes.NumClasses, Convs: []ConvSpec{{6, 3, true}, {8, 1, false}, {10, 3, true}, {12, 1, false}}}
	p := NewParams(a, 23)
	for i := range p.FCW {
		p.FCW[i] *= 20
	}
	m, err := Export(p, shapes.Labels(), "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	checkEngine(t, p, b, 3)
}
