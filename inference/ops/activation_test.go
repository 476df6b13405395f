package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

func TestActivations(t *testing.T) {
	x := f32(dims(5), -3, -0.5, 0, 0.5, 3)
	cases := map[string]struct {
		c    call
		want []float32
	}{
		"Relu":        {call{op: "Relu"}, []float32{0, 0, 0, 0.5, 3}},
		"LeakyRelu":   {call{op: "LeakyRelu"}, []float32{-0.03, -0.005, 0, 0.5, 3}},
		"LeakyRelu.1": {call{op: "LeakyRelu", attrs: Attrs{"alpha": float32(0.1)}}, []float32{-0.3, -0.05, 0, 0.5, 3}},
		"Sigmoid":     {call{op: "Sigmoid"}, []float32{0.04742587, 0.37754067, 0.5, 0.62245933, 0.95257413}},
		"HardSigmoid": {call{op: "HardSigmoid"}, []float32{0, 0.4, 0.5, 0.6, 1}},
		"HardSigmoid.ab": {call{op: "HardSigmoid", attrs: Attrs{"alpha": float32(0.5), "beta": float32(0.6)}},
			[]float32{0, 0.35, 0.6, 0.85, 1}},
		"HardSwish": {call{op: "HardSwish"}, []float32{0, -0.5 * 2.5 / 6, 0, 0.5 * 3.5 / 6, 3}},
		"Tanh":      {call{op: "Tanh"}, []float32{-0.99505475, -0.46211716, 0, 0.46211716, 0.99505475}},
		"Clip.6":    {call{op: "Clip", opset: 6, attrs: Attrs{"min": float32(-1), "max": float32(1)}}, []float32{-1, -0.5, 0, 0.5, 1}},
		"Clip.6min": {call{op: "Clip", opset: 6, attrs: Attrs{"min": float32(0)}}, []float32{0, 0, 0, 0.5, 3}},
		"Clip.none": {call{op: "Clip", opset: 13}, []float32{-3, -0.5, 0, 0.5, 3}},
		"Gelu":      {call{op: "Gelu", opset: 20}, []float32{-0.0040496941, -0.15426877, 0, 0.34573123, 2.9959503}},
		"Gelu.tanh": {call{op: "Gelu", opset: 20, attrs: Attrs{"approximate": "tanh"}}, []float32{-0.0036373921, -0.15428599, 0, 0.34571401, 2.9963626}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expect(t, tc.c.run(t, x)[0], f32(dims(5), tc.want...), 1e-6)
		})
	}
}

func TestClipInputs(t *testing.T) {
	x := f32(dims(5), -3, -0.5, 0, 0.5, 3)
	c := call{op: "Clip", opset: 13}
	expect(t, c.run(t, x, f32(nil, 0), f32(nil, 6))[0], f32(dims(5), 0, 0, 0, 0.5, 3), 0)
	expect(t, c.run(t, x, nil, f32(nil, 0.25))[0], f32(dims(5), -3, -0.5, 0, 0.25, 0.25), 0)
	expect(t, c.run(t, x, f32(nil, -1))[0], f32(dims(5), -1, -0.5, 0, 0.5, 3), 0)
	// min > max: everything becomes max.
	expect(t, c.run(t, x, f32(nil, 2), f32(nil, 1))[0], f32(dims(5), 1, 1, 1, 1, 1), 0)
	expect(t, c.run(t, i64(dims(3), -5, 2, 9), i64(nil, 0), i64(nil, 5))[0], i64(dims(3), 0, 2, 5), 0)
	expect(t, call{op: "Relu"}.run(t, i64(dims(2), -5, 2))[0], i64(dims(2), 0, 2), 0)
}

func TestSigmoidExtremes(t *testing.T) {
	got := call{op: "Sigmoid"}.run(t, f32(dims(2), -1000, 1000))[0]
	expect(t, got, f32(dims(2), 0, 1), 0)
	if math.IsNaN(float64(got.F[0])) {
		t.Fatal("NaN")
	}
}

func TestShrink(t *testing.T) {
	got := call{op: "Shrink", attrs: Attrs{"lambd": float32(1), "bias": float32(0.5)}}.run(t, f32(dims(3), -2, 0.5, 3))[0]
	expect(t, got, f32(dims(3), -1.5, 0, 2.5), 0)
}

func TestSiLU(t *testing.T) {
	x := tensor.FromFloat32([]int{1, 7}, []float32{-100, -5, -1, 0, 0.5, 3, 90})
	op, err := Build(&Node{OpType: SiLU, Opset: 13, Consts: []*tensor.Tensor{nil}, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := op.Run(NoBudget, []*tensor.Tensor{x})
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

func BenchmarkSigmoid(b *testing.B) {
	x := randT(rand.New(rand.NewPCG(1, 1)), 1, 96, 56, 56)
	op, _ := Build(&Node{OpType: "Sigmoid", Opset: 13, NumOutputs: 1})
	b.ReportAllocs()
	for b.Loop() {
		op.Run(NoBudget, []*tensor.Tensor{x})
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
