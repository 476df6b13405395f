package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

func TestBatchNorm(t *testing.T) {
	x := f32(dims(1, 2, 1, 3), -1, 0, 1, 2, 3, 4)
	scale, bias := f32(dims(2), 1, 1.5), f32(dims(2), 0, 1)
	mean, variance := f32(dims(2), 0, 3), f32(dims(2), 1, 1.5)
	// Channel 0: x/sqrt(1+eps); channel 1: (x-3)/sqrt(1.5+eps)*1.5+1.
	s0 := float32(1 / math.Sqrt(1+1e-5))
	s1 := float32(1.5 / math.Sqrt(1.5+1e-5))
	want := f32(dims(1, 2, 1, 3), -s0, 0, s0, 1-s1, 1, 1+s1)
	inputs := []*tensor.Tensor{x, scale, bias, mean, variance}
	expect(t, call{op: "BatchNormalization", opset: 15}.run(t, inputs...)[0], want, 1e-6)
	consts := []*tensor.Tensor{nil, scale, bias, mean, variance}
	expect(t, call{op: "BatchNormalization", opset: 9, consts: consts}.run(t, inputs...)[0], want, 1e-6)
	got := call{op: "BatchNormalization", opset: 9, attrs: Attrs{"epsilon": float32(0.5)}}.run(t, inputs...)[0]
	e0, e1 := float32(1/math.Sqrt(1.5)), float32(1.5/math.Sqrt(2))
	expect(t, got, f32(dims(1, 2, 1, 3), -e0, 0, e0, 1-e1, 1, 1+e1), 1e-6)
	// 2-D input (N x C).
	got = call{op: "BatchNormalization"}.run(t, f32(dims(2, 2), 1, 3, 1, 6), scale, bias, mean, variance)[0]
	expect(t, got, f32(dims(2, 2), s0, 1, s0, 1+3*s1), 1e-6)
}

func TestBatchNormPerActivation(t *testing.T) {
	// spatial=0 of opset 7: parameters per channel and position.
	x := f32(dims(2, 1, 2), 1, 2, 3, 4)
	one2 := f32(dims(1, 2), 1, 1)
	got := call{op: "BatchNormalization", opset: 7, attrs: Attrs{"spatial": int64(0), "epsilon": float32(0)}}.run(t,
		x, f32(dims(1, 2), 2, 3), f32(dims(1, 2), 0, 1), f32(dims(1, 2), 1, 2), one2)[0]
	expect(t, got, f32(dims(2, 1, 2), 0, 1, 4, 7), 0)
}

func TestBatchNormErrors(t *testing.T) {
	p := tensor.New(3)
	call{op: "BatchNormalization", opset: 15, attrs: Attrs{"training_mode": int64(1)}}.errorContains(t, "training_mode", tensor.New(1, 3, 2, 2), p, p, p, p)
	call{op: "BatchNormalization"}.errorContains(t, "do not fit", tensor.New(1, 4, 2, 2), p, p, p, p)
	call{op: "BatchNormalization"}.errorContains(t, "one size", tensor.New(1, 3, 2, 2), p, tensor.New(2), p, p)
}

func TestBatchNormFusedActivation(t *testing.T) {
	x := f32(dims(1, 2, 2), -2, 1, -1, 3)
	p1, p0 := f32(dims(2), 1, 1), f32(dims(2), 0, 0)
	c := call{op: "BatchNormalization", attrs: Attrs{"epsilon": float32(0), FusedActivation: "Relu"}}
	expect(t, c.run(t, x, p1, p0, p0, p1)[0], f32(dims(1, 2, 2), 0, 1, 0, 3), 0)
	c = call{op: "BatchNormalization", attrs: Attrs{"epsilon": float32(0), FusedActivation: "Clip", FusedMin: float32(-1), FusedMax: float32(2)}}
	expect(t, c.run(t, x, p1, p0, p0, p1)[0], f32(dims(1, 2, 2), -1, 1, -1, 2), 0)
}

func BenchmarkBatchNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randT(r, 1, 256, 56, 56)
	p := randT(r, 256)
	v := tensor.New(256)
	for i := range v.F {
		v.F[i] = 1
	}
	op, _ := Build(&Node{OpType: "BatchNormalization", Opset: 15, NumOutputs: 1, Consts: []*tensor.Tensor{nil, p, p, p, v}})
	b.ReportAllocs()
	for b.Loop() {
		op.Run(NoBudget, []*tensor.Tensor{x, p, p, p, v})
	}
}

func TestLpNormalization(t *testing.T) {
	got := call{op: "LpNormalization"}.run(t, f32(dims(2, 2), 3, 4, 0, 0))[0]
	expect(t, got, f32(dims(2, 2), 0.6, 0.8, 0, 0), 1e-7)
	got = call{op: "LpNormalization", attrs: Attrs{"p": int64(1), "axis": int64(0)}}.run(t, f32(dims(2, 2), 1, 2, 3, 2))[0]
	expect(t, got, f32(dims(2, 2), 0.25, 0.5, 0.75, 0.5), 1e-7)
}

func TestLRN(t *testing.T) {
	// Three channels of one pixel, size 3: channel c sees c-1..c+1.
	x := f32(dims(1, 3, 1, 1), 1, 2, 3)
	got := call{op: "LRN", attrs: Attrs{"size": int64(3), "alpha": float32(3), "beta": float32(1), "bias": float32(1)}}.run(t, x)[0]
	// alpha/size = 1: y = x / (1 + sum of squares).
	expect(t, got, f32(dims(1, 3, 1, 1), 1.0/6, 2.0/15, 3.0/14), 1e-6)
	// Size 2 looks at c and c+1 (floor((size-1)/2) = 0 below, 1 above).
	got = call{op: "LRN", attrs: Attrs{"size": int64(2), "alpha": float32(2), "beta": float32(0.5), "bias": float32(0)}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 3, 1, 1), float32(1/math.Sqrt(5)), float32(2/math.Sqrt(13)), float32(3/math.Sqrt(9))), 1e-6)
	call{op: "LRN"}.errorContains(t, "size", x)
}

func TestInstanceNorm(t *testing.T) {
	x := f32(dims(1, 2, 2), 1, 3, 0, 4)
	got := call{op: "InstanceNormalization", attrs: Attrs{"epsilon": float32(0)}}.run(t, x, f32(dims(2), 2, 1), f32(dims(2), 0, 5))[0]
	expect(t, got, f32(dims(1, 2, 2), -2, 2, 4, 6), 0)
}

func TestLayerNorm(t *testing.T) {
	// Rows [1 3] and [2 4]: means 2 and 3, variances 1.
	x := f32(dims(2, 2), 1, 3, 2, 4)
	outs := call{op: "LayerNormalization", attrs: Attrs{"epsilon": float32(0)}, nout: 3}.run(t, x, f32(dims(2), 1, 2), f32(dims(2), 0, 1))
	expect(t, outs[0], f32(dims(2, 2), -1, 3, -1, 3), 0)
	expect(t, outs[1], f32(dims(2, 1), 2, 3), 0)
	expect(t, outs[2], f32(dims(2, 1), 1, 1), 0)
	// Over everything: mean 2.5, variance 1.25.
	got := call{op: "LayerNormalization", attrs: Attrs{"axis": int64(0), "epsilon": float32(0)}}.run(t, x, f32(nil, 1))[0]
	d := float32(math.Sqrt(1.25))
	expect(t, got, f32(dims(2, 2), -1.5/d, 0.5/d, -0.5/d, 1.5/d), 1e-6)
}
