package ops

import (
	"math"
	"testing"

	"camscope/inference/tensor"
)

func TestSiLU(t *testing.T) {
	x := tensor.FromFloat32([]int{1, 7}, []float32{-100, -5, -1, 0, 0.5, 3, 90})
	op, err := Build(&Node{OpType: SiLU, Opset: 13, Consts: []*tensor.Tensor{nil}, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := op.Run([]*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.F {
		want := float64(v) / (1 + math.Exp(-float64(v)))
		if d := math.Abs(float64(out[0].F[i]) - want); d > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("SiLU(%g) = %g, want %g", v, out[0].F[i], want)
		}
	}
}
