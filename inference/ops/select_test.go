package ops

import "testing"

func TestArgMaxMin(t *testing.T) {
	x := f32(dims(2, 3), 1, 5, 5, 7, 0, 7)
	expect(t, call{op: "ArgMax", attrs: Attrs{"axis": int64(1)}}.run(t, x)[0], i64(dims(2, 1), 1, 0), 0)
	expect(t, call{op: "ArgMax", attrs: Attrs{"axis": int64(1), "select_last_index": int64(1), "keepdims": int64(0)}}.run(t, x)[0], i64(dims(2), 2, 2), 0)
	expect(t, call{op: "ArgMin"}.run(t, x)[0], i64(dims(1, 3), 0, 1, 0), 0)
	expect(t, call{op: "ArgMin", attrs: Attrs{"axis": int64(-1)}}.run(t, i64(dims(3), 4, -2, 9))[0], i64(dims(1), 1), 0)
}

func TestTopK(t *testing.T) {
	x := f32(dims(2, 4), 3, 1, 4, 1, 5, 9, 2, 6)
	outs := call{op: "TopK", nout: 2}.run(t, x, i64(dims(1), 2))
	expect(t, outs[0], f32(dims(2, 2), 4, 3, 9, 6), 0)
	expect(t, outs[1], i64(dims(2, 2), 2, 0, 1, 3), 0)
	outs = call{op: "TopK", nout: 2, attrs: Attrs{"largest": int64(0)}}.run(t, x, i64(dims(1), 3))
	expect(t, outs[0], f32(dims(2, 3), 1, 1, 3, 2, 5, 6), 0)
	expect(t, outs[1], i64(dims(2, 3), 1, 3, 0, 2, 0, 3), 0)
	outs = call{op: "TopK", opset: 9, nout: 2, attrs: Attrs{"k": int64(1), "axis": int64(0)}}.run(t, x)
	expect(t, outs[0], f32(dims(1, 4), 5, 9, 4, 6), 0)
	call{op: "TopK", nout: 2}.errorContains(t, "out of range", x, i64(dims(1), 5))
}

func TestHardmax(t *testing.T) {
	x := f32(dims(2, 3), 1, 3, 3, 0, -1, -2)
	expect(t, call{op: "Hardmax"}.run(t, x)[0], f32(dims(2, 3), 0, 1, 0, 1, 0, 0), 0)
	expect(t, call{op: "Hardmax", opset: 11, attrs: Attrs{"axis": int64(0)}}.run(t, x)[0], f32(dims(2, 3), 0, 1, 0, 0, 0, 0), 0)
}
