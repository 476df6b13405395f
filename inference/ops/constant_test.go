package ops

import (
	"testing"

	"camscope/inference/tensor"
)

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

func TestConstantOfShapeRange(t *testing.T) {
	expect(t, call{op: "ConstantOfShape"}.run(t, i64(dims(2), 2, 1))[0], tensor.New(2, 1), 0)
	got := call{op: "ConstantOfShape", attrs: Attrs{"value": i64(dims(1), 7)}}.run(t, i64(dims(1), 3))[0]
	expect(t, got, i64(dims(3), 7, 7, 7), 0)
	expect(t, call{op: "Range"}.run(t, i64(nil, 10), i64(nil, 4), i64(nil, -3))[0], i64(dims(2), 10, 7), 0)
	expect(t, call{op: "Range"}.run(t, f32(nil, 1), f32(nil, 2), f32(nil, 0.25))[0], f32(dims(4), 1, 1.25, 1.5, 1.75), 0)
	expect(t, call{op: "Range"}.run(t, i64(nil, 1), i64(nil, 1), i64(nil, 1))[0], i64(dims(0)), 0)
	call{op: "Range"}.errorContains(t, "delta is 0", i64(nil, 1), i64(nil, 2), i64(nil, 0))
}
