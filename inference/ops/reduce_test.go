package ops

import (
	"math"
	"testing"

	"camscope/inference/tensor"
)

func TestReduce(t *testing.T) {
	// [[[1 2] [3 4]] [[5 6] [7 8]]]
	x := f32(dims(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)
	axes := func(a ...int64) *tensor.Tensor { return i64(dims(len(a)), a...) }
	cases := []struct {
		name string
		c    call
		axes *tensor.Tensor
		want *tensor.Tensor
	}{
		{"mean all", call{op: "ReduceMean"}, nil, f32(dims(1, 1, 1), 4.5)},
		{"mean 1", call{op: "ReduceMean"}, axes(1), f32(dims(2, 1, 2), 2, 3, 6, 7)},
		{"mean -1 nokeep", call{op: "ReduceMean", attrs: Attrs{"keepdims": int64(0)}}, axes(-1), f32(dims(2, 2), 1.5, 3.5, 5.5, 7.5)},
		{"mean 0,2", call{op: "ReduceMean"}, axes(0, 2), f32(dims(1, 2, 1), 3.5, 5.5)},
		{"mean attr", call{op: "ReduceMean", opset: 13, attrs: Attrs{"axes": []int64{1, 2}, "keepdims": int64(0)}}, nil, f32(dims(2), 2.5, 6.5)},
		{"mean noop", call{op: "ReduceMean", attrs: Attrs{"noop_with_empty_axes": int64(1)}}, nil, x},
		{"sum 0", call{op: "ReduceSum"}, axes(0), f32(dims(1, 2, 2), 6, 8, 10, 12)},
		{"max 2", call{op: "ReduceMax"}, axes(2), f32(dims(2, 2, 1), 2, 4, 6, 8)},
		{"min 1", call{op: "ReduceMin", attrs: Attrs{"keepdims": int64(0)}}, axes(1), f32(dims(2, 2), 1, 2, 5, 6)},
		{"prod", call{op: "ReduceProd", attrs: Attrs{"keepdims": int64(0)}}, axes(0, 1, 2), f32(nil, 40320)},
		{"sumsq", call{op: "ReduceSumSquare"}, axes(2), f32(dims(2, 2, 1), 5, 25, 61, 113)},
		{"l1", call{op: "ReduceL1"}, axes(2), f32(dims(2, 2, 1), 3, 7, 11, 15)},
		{"l2", call{op: "ReduceL2"}, axes(2), f32(dims(2, 2, 1), float32(math.Sqrt(5)), 5, float32(math.Sqrt(61)), float32(math.Sqrt(113)))},
		{"logsum", call{op: "ReduceLogSum"}, axes(2), f32(dims(2, 2, 1), float32(math.Log(3)), float32(math.Log(7)), float32(math.Log(11)), float32(math.Log(15)))},
		{"logsumexp", call{op: "ReduceLogSumExp"}, axes(2), f32(dims(2, 2, 1),
			float32(math.Log(math.Exp(1)+math.Exp(2))), float32(math.Log(math.Exp(3)+math.Exp(4))),
			float32(math.Log(math.Exp(5)+math.Exp(6))), float32(math.Log(math.Exp(7)+math.Exp(8))))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, c.c.run(t, x, c.axes)[0], c.want, 1e-6)
		})
	}
	// ReduceSum takes axes as an input from 13, the others from 18.
	got := call{op: "ReduceSum", opset: 13}.run(t, x, axes(2))[0]
	expect(t, got, f32(dims(2, 2, 1), 3, 7, 11, 15), 0)
	got = call{op: "ReduceMax", opset: 13, attrs: Attrs{"axes": []int64{0}}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 2, 2), 5, 6, 7, 8), 0)
	got = call{op: "ReduceSum"}.run(t, i64(dims(2, 2), 1, 2, 3, 4), axes(1))[0]
	expect(t, got, i64(dims(2, 1), 3, 7), 0)
	// Global average over spatial axes of NCHW.
	img := iota32(1, 2, 3, 3)
	got = call{op: "ReduceMean", attrs: Attrs{"keepdims": int64(0)}}.run(t, img, axes(2, 3))[0]
	expect(t, got, f32(dims(1, 2), 4, 13), 0)
	call{op: "ReduceMean"}.errorContains(t, "out of range", x, axes(3))
}

func TestCumSum(t *testing.T) {
	x := f32(dims(2, 3), 1, 2, 3, 4, 5, 6)
	expect(t, call{op: "CumSum"}.run(t, x, i64(nil, 1))[0], f32(dims(2, 3), 1, 3, 6, 4, 9, 15), 0)
	expect(t, call{op: "CumSum", attrs: Attrs{"exclusive": int64(1), "reverse": int64(1)}}.run(t, x, i64(nil, -1))[0], f32(dims(2, 3), 5, 3, 0, 11, 6, 0), 0)
	expect(t, call{op: "CumSum"}.run(t, i64(dims(2, 1), 2, 5), i64(nil, 0))[0], i64(dims(2, 1), 2, 7), 0)
}
