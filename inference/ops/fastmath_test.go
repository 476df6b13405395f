package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

func BenchmarkSigmoid(b *testing.B) {
	x := randT(rand.New(rand.NewPCG(1, 1)), 1, 96, 56, 56)
	op, _ := Build(&Node{OpType: "Sigmoid", Opset: 13, NumOutputs: 1})
	b.ReportAllocs()
	for b.Loop() {
		op.Run([]*tensor.Tensor{x})
	}
}

// TestSigmoidAccuracy checks the Sigmoid operator (kernels.Sigmoid) and the
// SiLU the loader fuses from Sigmoid and Mul against float64 math.
func TestSigmoidAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	x := tensor.New(100000)
	for i := range x.F {
		x.F[i] = float32(r.Float64()*40 - 20)
	}
	got := call{op: "Sigmoid"}.run(t, x)[0]
	silu := call{op: SiLU}.run(t, x)[0]
	for i, v := range x.F {
		want := 1 / (1 + math.Exp(-float64(v)))
		if math.Abs(float64(got.F[i])-want) > 2e-7*want {
			t.Fatalf("Sigmoid(%v) = %v, want %v", v, got.F[i], want)
		}
		if w := float64(v) * want; math.Abs(float64(silu.F[i])-w) > 3e-7*math.Abs(w) {
			t.Fatalf("SiLU(%v) = %v, want %v", v, silu.F[i], w)
		}
	}
}
