package ops

import (
	"testing"

	"camscope/inference/tensor"
)

func TestSplit(t *testing.T) {
	x := iota32(2, 6)
	outs := call{op: "Split", attrs: Attrs{"axis": int64(1)}, nout: 3}.run(t, x)
	expect(t, outs[0], f32(dims(2, 2), 0, 1, 6, 7), 0)
	expect(t, outs[2], f32(dims(2, 2), 4, 5, 10, 11), 0)
	outs = call{op: "Split", attrs: Attrs{"axis": int64(-1)}, nout: 2}.run(t, x, i64(dims(2), 1, 5))
	expect(t, outs[0], f32(dims(2, 1), 0, 6), 0)
	expect(t, outs[1], f32(dims(2, 5), 1, 2, 3, 4, 5, 7, 8, 9, 10, 11), 0)
	outs = call{op: "Split", opset: 11, attrs: Attrs{"split": []int64{1, 1}}, nout: 2}.run(t, x)
	expect(t, outs[1], f32(dims(1, 6), 6, 7, 8, 9, 10, 11), 0)
	outs = call{op: "Split", attrs: Attrs{"axis": int64(1), "num_outputs": int64(4)}, nout: 4}.run(t, x)
	expect(t, outs[3], tensor.New(2, 0), 0)
	expect(t, outs[2], f32(dims(2, 2), 4, 5, 10, 11), 0)
	call{op: "Split", opset: 13, nout: 4, attrs: Attrs{"axis": int64(1)}}.errorContains(t, "evenly", x)
	call{op: "Split", nout: 2}.errorContains(t, "add up", x, i64(dims(2), 1, 2))
}

func TestExpandTile(t *testing.T) {
	x := f32(dims(3, 1), 1, 2, 3)
	expect(t, call{op: "Expand"}.run(t, x, i64(dims(3), 2, 1, 2))[0], f32(dims(2, 3, 2), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3), 0)
	expect(t, call{op: "Expand"}.run(t, x, i64(dims(1), 1))[0], x, 0)
	call{op: "Expand"}.errorContains(t, "does not broadcast", x, i64(dims(2), 2, 2))
	got := call{op: "Tile"}.run(t, f32(dims(2, 2), 1, 2, 3, 4), i64(dims(2), 2, 3))[0]
	expect(t, got, f32(dims(4, 6), 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4), 0)
}

func TestConstantOfShapeRangeSize(t *testing.T) {
	expect(t, call{op: "ConstantOfShape"}.run(t, i64(dims(2), 2, 1))[0], tensor.New(2, 1), 0)
	got := call{op: "ConstantOfShape", attrs: Attrs{"value": i64(dims(1), 7)}}.run(t, i64(dims(1), 3))[0]
	expect(t, got, i64(dims(3), 7, 7, 7), 0)
	expect(t, call{op: "Range"}.run(t, i64(nil, 10), i64(nil, 4), i64(nil, -3))[0], i64(dims(2), 10, 7), 0)
	expect(t, call{op: "Range"}.run(t, f32(nil, 1), f32(nil, 2), f32(nil, 0.25))[0], f32(dims(4), 1, 1.25, 1.5, 1.75), 0)
	expect(t, call{op: "Range"}.run(t, i64(nil, 1), i64(nil, 1), i64(nil, 1))[0], i64(dims(0)), 0)
	call{op: "Range"}.errorContains(t, "delta is 0", i64(nil, 1), i64(nil, 2), i64(nil, 0))
	expect(t, call{op: "Size"}.run(t, tensor.New(2, 3))[0], i64(nil, 6), 0)
}
