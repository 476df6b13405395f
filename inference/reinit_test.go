package inference

import (
	"context"
	"slices"
	"strings"
	"testing"

	"camscope/assets"
	"camscope/inference/tensor"
)

func TestReinitializedChangesOnlyTheCopy(t *testing.T) {
	m, err := LoadBytes("shapes", assets.ShapesModel, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(m.Inputs[0].Shape...)
	for i := range x.F {
		x.F[i] = float32(i%7) / 7
	}
	run := func(m *Model) []float32 {
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: x})
		if err != nil {
			t.Fatal(err)
		}
		return out[m.Outputs[0].Name].F
	}
	before := slices.Clone(run(m))
	layers := m.WeightedLayers()
	if len(layers) < 2 {
		t.Fatalf("weighted layers %v: the shapes model has convolutions and a linear layer", layers)
	}
	r, names, err := m.Reinitialized(1, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, layers[len(layers)-1:]) {
		t.Fatalf("re-initialised %v, want the last weighted layer %v", names, layers[len(layers)-1:])
	}
	if slices.Equal(run(r), before) {
		t.Fatal("the re-initialised copy gives the model's outputs")
	}
	if !slices.Equal(run(m), before) {
		t.Fatal("re-initialising a copy changed the model")
	}
	again, _, err := m.Reinitialized(1, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(run(again), run(r)) {
		t.Fatal("the same seed drew other weights")
	}
	for _, n := range []int{0, len(layers) + 1} {
		if _, _, err := m.Reinitialized(n, 1); err == nil || !strings.Contains(err.Error(), "re-initialise 1 to") {
			t.Errorf("re-initialising %d layers: %v", n, err)
		}
	}
}
