package ops

import (
	"math"
	"testing"

	"camscope/inference/tensor"
)

func TestSoftmax(t *testing.T) {
	x := f32(dims(2, 3), 1, 2, 3, 0, 0, 0)
	e := func(v float64) float64 { return math.Exp(v) }
	s := e(1) + e(2) + e(3)
	want := f32(dims(2, 3), float32(e(1)/s), float32(e(2)/s), float32(e(3)/s), 1.0/3, 1.0/3, 1.0/3)
	expect(t, call{op: "Softmax"}.run(t, x)[0], want, 1e-6)
	expect(t, call{op: "Softmax", opset: 11}.run(t, x)[0], want, 1e-6)
	logWant := tensor.New(2, 3)
	for i, v := range want.F {
		logWant.F[i] = float32(math.Log(float64(v)))
	}
	expect(t, call{op: "LogSoftmax"}.run(t, x)[0], logWant, 1e-6)
	// Along axis 0 (opset 13) versus coerced to 2-D at axis 0 (opset 11).
	y := f32(dims(2, 2), 0, 0, 0, 0)
	expect(t, call{op: "Softmax", attrs: Attrs{"axis": int64(0)}}.run(t, y)[0], f32(dims(2, 2), 0.5, 0.5, 0.5, 0.5), 1e-7)
	expect(t, call{op: "Softmax", opset: 11, attrs: Attrs{"axis": int64(0)}}.run(t, y)[0], f32(dims(2, 2), 0.25, 0.25, 0.25, 0.25), 1e-7)
	// Opset 11 default axis 1 on 3-D: softmax over the last two dims together.
	z := tensor.New(1, 2, 2)
	expect(t, call{op: "Softmax", opset: 11}.run(t, z)[0], f32(dims(1, 2, 2), 0.25, 0.25, 0.25, 0.25), 1e-7)
	expect(t, call{op: "Softmax"}.run(t, z)[0], f32(dims(1, 2, 2), 0.5, 0.5, 0.5, 0.5), 1e-7)
	// Large values do not overflow.
	expect(t, call{op: "Softmax"}.run(t, f32(dims(2), 1000, 1000))[0], f32(dims(2), 0.5, 0.5), 1e-7)
}
