package ops

import (
	"math"
	"slices"
	"testing"

	"camscope/inference/tensor"
)

func TestSlice(t *testing.T) {
	x := iota32(3, 4)
	cases := []struct {
		name                      string
		starts, ends, axes, steps []int64
		shape                     []int
		want                      []float32
	}{
		{"basic", []int64{1, 0}, []int64{2, 3}, nil, nil, []int{1, 3}, []float32{4, 5, 6}},
		{"axes", []int64{1}, []int64{3}, []int64{1}, nil, []int{3, 2}, []float32{1, 2, 5, 6, 9, 10}},
		{"negative", []int64{-1}, []int64{math.MaxInt64}, []int64{-1}, nil, []int{3, 1}, []float32{3, 7, 11}},
		{"steps", []int64{0, 0}, []int64{3, 4}, []int64{0, 1}, []int64{2, 3}, []int{2, 2}, []float32{0, 3, 8, 11}},
		{"reverse", []int64{-1}, []int64{math.MinInt64}, []int64{1}, []int64{-1}, []int{3, 4}, []float32{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}},
		{"reverse step", []int64{10, 3}, []int64{-10, 0}, []int64{0, 1}, []int64{-2, -2}, []int{2, 2}, []float32{11, 9, 3, 1}},
		{"clamped", []int64{-100}, []int64{100}, []int64{0}, nil, []int{3, 4}, x.F},
		{"empty", []int64{2}, []int64{1}, []int64{0}, nil, []int{0, 4}, []float32{}},
		{"huge step", []int64{2}, []int64{-100}, []int64{0}, []int64{math.MinInt64}, []int{1, 4}, []float32{8, 9, 10, 11}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inputs := []*tensor.Tensor{x, i64(dims(len(c.starts)), c.starts...), i64(dims(len(c.ends)), c.ends...), nil, nil}
			if c.axes != nil {
				inputs[3] = i64(dims(len(c.axes)), c.axes...)
			}
			if c.steps != nil {
				inputs[4] = i64(dims(len(c.steps)), c.steps...)
			}
			expect(t, call{op: "Slice"}.run(t, inputs...)[0], f32(c.shape, c.want...), 0)
		})
	}
	got := call{op: "Slice", opset: 9, attrs: Attrs{"starts": []int64{1}, "ends": []int64{-1}, "axes": []int64{1}}}.run(t, x)[0]
	expect(t, got, f32(dims(3, 2), 1, 2, 5, 6, 9, 10), 0)
	got = call{op: "Slice"}.run(t, i64(dims(4), 1, 2, 3, 4), i64(dims(1), 1), i64(dims(1), 3))[0]
	expect(t, got, i64(dims(2), 2, 3), 0)
	call{op: "Slice"}.errorContains(t, "step 0", x, i64(dims(1), 0), i64(dims(1), 1), i64(dims(1), 0), i64(dims(1), 0))
	call{op: "Slice"}.errorContains(t, "differ in length", x, i64(dims(2), 0, 0), i64(dims(1), 1))
}

// TestSliceLarge: slices large enough that their rows are split over the
// cores (a Swin patch merging's x[:, 0::2, 1::2, :], a cyclic shift's
// x[:, 3:, :, :], a reversed strided one), against index arithmetic.
func TestSliceLarge(t *testing.T) {
	shape := []int{1, 56, 56, 96}
	x := iota32(shape...)
	st := tensor.Strides(shape)
	for _, c := range []struct{ starts, ends, axes, steps []int64 }{
		{[]int64{0, 1}, []int64{56, 56}, []int64{1, 2}, []int64{2, 2}},
		{[]int64{3}, []int64{56}, []int64{1}, []int64{1}},
		{[]int64{-1, 90}, []int64{-57, 0}, []int64{2, 3}, []int64{-3, -1}},
	} {
		first, step, oshape := make([]int, 4), []int{1, 1, 1, 1}, slices.Clone(shape)
		for i, a := range c.axes {
			b, n := sliceRange(c.starts[i], c.ends[i], c.steps[i], int64(shape[a]))
			first[a], step[a], oshape[a] = int(b), int(c.steps[i]), int(n)
		}
		want := tensor.New(oshape...)
		ost := tensor.Strides(oshape)
		for o := range want.F {
			src := 0
			for d := range 4 {
				src += (first[d] + (o/ost[d]%oshape[d])*step[d]) * st[d]
			}
			want.F[o] = x.F[src]
		}
		n := len(c.axes)
		got := call{op: "Slice"}.run(t, x, i64(dims(n), c.starts...), i64(dims(n), c.ends...), i64(dims(n), c.axes...), i64(dims(n), c.steps...))[0]
		expect(t, got, want, 0)
	}
}
