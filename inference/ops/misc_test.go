package ops

import (
	"errors"
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

func TestConstant(t *testing.T) {
	v := f32(dims(2), 1, 2)
	expect(t, call{op: "Constant", attrs: Attrs{"value": v}}.run(t)[0], v, 0)
	expect(t, call{op: "Constant", attrs: Attrs{"value_float": float32(3)}}.run(t)[0], f32(nil, 3), 0)
	expect(t, call{op: "Constant", attrs: Attrs{"value_floats": []float32{3, 4}}}.run(t)[0], f32(dims(2), 3, 4), 0)
	expect(t, call{op: "Constant", attrs: Attrs{"value_int": int64(3)}}.run(t)[0], i64(nil, 3), 0)
	expect(t, call{op: "Constant", attrs: Attrs{"value_ints": []int64{3, 4}}}.run(t)[0], i64(dims(2), 3, 4), 0)
	call{op: "Constant", attrs: Attrs{}}.errorContains(t, "exactly one")
	call{op: "Constant", attrs: Attrs{"value_string": "x"}}.errorContains(t, "string")
}

func TestGather(t *testing.T) {
	data := iota32(3, 2)
	expect(t, call{op: "Gather"}.run(t, data, i64(dims(2, 2), 0, 1, 1, 2))[0], f32(dims(2, 2, 2), 0, 1, 2, 3, 2, 3, 4, 5), 0)
	expect(t, call{op: "Gather", attrs: Attrs{"axis": int64(1)}}.run(t, data, i64(dims(1), -1))[0], f32(dims(3, 1), 1, 3, 5), 0)
	expect(t, call{op: "Gather"}.run(t, i64(dims(3), 7, 8, 9), i64(nil, 2))[0], i64(nil, 9), 0)
	call{op: "Gather"}.errorContains(t, "out of range", data, i64(dims(1), 3))
	call{op: "Gather"}.errorContains(t, "integers", data, f32(dims(1), 0))
}

func TestUnsupported(t *testing.T) {
	_, err := Build(&Node{OpType: "NoSuchOp"})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v", err)
	}
}
