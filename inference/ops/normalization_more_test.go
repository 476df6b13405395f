package ops

import (
	"math"
	"testing"
)

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
