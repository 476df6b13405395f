package ops

import (
	"testing"

	"camscope/inference/tensor"
)

func TestIdentityDropout(t *testing.T) {
	x := f32(dims(2), 1, 2)
	expect(t, call{op: "Identity"}.run(t, x)[0], x, 0)
	out := call{op: "Dropout", opset: 13, nout: 2}.run(t, x, f32(nil, 0.3))
	expect(t, out[0], x, 0)
	expect(t, out[1], i64(dims(2), 1, 1), 0)
	expect(t, call{op: "Dropout", opset: 7, attrs: Attrs{"ratio": float32(0.2)}}.run(t, x)[0], x, 0)
	expect(t, call{op: "Dropout", opset: 13}.run(t, x, f32(nil, 0), i64(nil, 1))[0], x, 0)
	call{op: "Dropout", opset: 13}.errorContains(t, "training mode", x, f32(nil, 0.5), i64(nil, 1))
}

func TestFlatten(t *testing.T) {
	x := iota32(2, 3, 4)
	for axis, want := range map[int64][]int{0: {1, 24}, 1: {2, 12}, 2: {6, 4}, 3: {24, 1}, -1: {6, 4}, -3: {1, 24}} {
		got := call{op: "Flatten", attrs: Attrs{"axis": axis}}.run(t, x)[0]
		expect(t, got, tensor.FromFloat32(want, x.F), 0)
	}
	call{op: "Flatten", attrs: Attrs{"axis": int64(4)}}.errorContains(t, "out of range", x)
}

func TestReshape(t *testing.T) {
	x := iota32(2, 3, 4)
	cases := []struct {
		spec      []int64
		allowZero bool
		want      []int
	}{
		{[]int64{4, 6}, false, []int{4, 6}},
		{[]int64{0, -1}, false, []int{2, 12}},
		{[]int64{-1}, false, []int{24}},
		{[]int64{0, 0, 2, 2}, false, []int{2, 3, 2, 2}},
		{[]int64{2, -1, 2}, false, []int{2, 6, 2}},
	}
	for _, c := range cases {
		got := call{op: "Reshape"}.run(t, x, i64(dims(len(c.spec)), c.spec...))[0]
		expect(t, got, tensor.FromFloat32(c.want, x.F), 0)
	}
	// allowzero: a 0 is a real zero-sized dimension.
	e := tensor.New(0, 3)
	got := call{op: "Reshape", attrs: Attrs{"allowzero": int64(1)}}.run(t, e, i64(dims(2), 3, 0))[0]
	expect(t, got, tensor.New(3, 0), 0)
	call{op: "Reshape"}.errorContains(t, "cannot reshape", x, i64(dims(2), 5, -1))
	call{op: "Reshape"}.errorContains(t, "more than one -1", x, i64(dims(2), -1, -1))
	call{op: "Reshape"}.errorContains(t, "cannot reshape", x, i64(dims(2), 5, 5))
	call{op: "Reshape", opset: 4, attrs: Attrs{"shape": []int64{24}}}.run(t, x)
}

func TestSqueezeUnsqueeze(t *testing.T) {
	x := iota32(1, 3, 1, 2)
	expect(t, call{op: "Squeeze", opset: 13}.run(t, x)[0], tensor.FromFloat32(dims(3, 2), x.F), 0)
	expect(t, call{op: "Squeeze", opset: 13}.run(t, x, i64(dims(1), -2))[0], tensor.FromFloat32(dims(1, 3, 2), x.F), 0)
	expect(t, call{op: "Squeeze", opset: 11, attrs: Attrs{"axes": []int64{0}}}.run(t, x)[0], tensor.FromFloat32(dims(3, 1, 2), x.F), 0)
	call{op: "Squeeze", opset: 13}.errorContains(t, "is not 1", x, i64(dims(1), 1))
	y := iota32(3, 4)
	expect(t, call{op: "Unsqueeze", opset: 13}.run(t, y, i64(dims(2), 0, -1))[0], tensor.FromFloat32(dims(1, 3, 4, 1), y.F), 0)
	expect(t, call{op: "Unsqueeze", opset: 11, attrs: Attrs{"axes": []int64{1}}}.run(t, y)[0], tensor.FromFloat32(dims(3, 1, 4), y.F), 0)
	expect(t, call{op: "Unsqueeze", opset: 13}.run(t, i64(nil, 7), i64(dims(1), 0))[0], i64(dims(1), 7), 0)
	call{op: "Unsqueeze", opset: 13}.errorContains(t, "repeated", y, i64(dims(2), 0, 0))
	call{op: "Unsqueeze", opset: 13}.errorContains(t, "out of range", y, i64(dims(1), 3))
}

func TestShape(t *testing.T) {
	x := tensor.New(2, 3, 4, 5)
	expect(t, call{op: "Shape"}.run(t, x)[0], i64(dims(4), 2, 3, 4, 5), 0)
	expect(t, call{op: "Shape", attrs: Attrs{"start": int64(1), "end": int64(-1)}}.run(t, x)[0], i64(dims(2), 3, 4), 0)
	expect(t, call{op: "Shape", attrs: Attrs{"start": int64(-10)}}.run(t, x)[0], i64(dims(4), 2, 3, 4, 5), 0)
	expect(t, call{op: "Shape", attrs: Attrs{"start": int64(3), "end": int64(1)}}.run(t, x)[0], i64(dims(0)), 0)
	expect(t, call{op: "Shape", opset: 13, attrs: Attrs{"start": int64(1)}}.run(t, x)[0], i64(dims(4), 2, 3, 4, 5), 0)
}

func TestConcat(t *testing.T) {
	a := f32(dims(2, 2), 1, 2, 3, 4)
	b := f32(dims(2, 1), 5, 6)
	expect(t, call{op: "Concat", attrs: Attrs{"axis": int64(1)}}.run(t, a, b)[0], f32(dims(2, 3), 1, 2, 5, 3, 4, 6), 0)
	expect(t, call{op: "Concat", attrs: Attrs{"axis": int64(-2)}}.run(t, a, f32(dims(1, 2), 7, 8))[0], f32(dims(3, 2), 1, 2, 3, 4, 7, 8), 0)
	expect(t, call{op: "Concat", attrs: Attrs{"axis": int64(0)}}.run(t, i64(dims(1), 1), i64(dims(0)), i64(dims(2), 2, 3))[0], i64(dims(3), 1, 2, 3), 0)
	call{op: "Concat", attrs: Attrs{"axis": int64(0)}}.errorContains(t, "differ outside axis", a, b)
	call{op: "Concat", attrs: Attrs{"axis": int64(0)}}.errorContains(t, "type or rank", a, i64(dims(1, 2), 1, 2))
}

func TestTranspose(t *testing.T) {
	x := iota32(2, 3)
	expect(t, call{op: "Transpose"}.run(t, x)[0], f32(dims(3, 2), 0, 3, 1, 4, 2, 5), 0)
	y := iota32(2, 3, 4)
	got := call{op: "Transpose", attrs: Attrs{"perm": []int64{1, 2, 0}}}.run(t, y)[0]
	want := tensor.New(3, 4, 2)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				want.F[(j*4+k)*2+i] = y.F[(i*3+j)*4+k]
			}
		}
	}
	expect(t, got, want, 0)
	expect(t, call{op: "Transpose"}.run(t, i64(nil, 5))[0], i64(nil, 5), 0)
	call{op: "Transpose", attrs: Attrs{"perm": []int64{0, 0}}}.errorContains(t, "repeated", x)
}

func TestTransposeAgainstReference(t *testing.T) {
	// Every permutation of a 4-D tensor with a unit dimension, checked
	// against index arithmetic done from scratch; the larger shape's rows
	// are split over the cores.
	var perms [][]int64
	var gen func(p []int64, used []bool)
	gen = func(p []int64, used []bool) {
		if len(p) == 4 {
			perms = append(perms, append([]int64{}, p...))
			return
		}
		for a := range 4 {
			if !used[a] {
				used[a] = true
				gen(append(p, int64(a)), used)
				used[a] = false
			}
		}
	}
	gen(nil, make([]bool, 4))
	for _, shape := range [][]int{{2, 1, 3, 4}, {3, 1, 49, 810}} {
		x := iota32(shape...)
		st := tensor.Strides(shape)
		for _, p := range perms {
			oshape := make([]int, 4)
			for i, a := range p {
				oshape[i] = shape[a]
			}
			want := tensor.New(oshape...)
			ost := tensor.Strides(oshape)
			for o := range want.F {
				src := 0
				for i, a := range p {
					src += (o / ost[i] % oshape[i]) * st[a]
				}
				want.F[o] = x.F[src]
			}
			expect(t, call{op: "Transpose", attrs: Attrs{"perm": p}}.run(t, x)[0], want, 0)
		}
	}
}

func TestDepthSpace(t *testing.T) {
	// Four channels of one pixel become a 2x2 block; DCR reads the block
	// position from the outer channel index, CRD from the inner one.
	x := iota32(1, 8, 1, 1)
	got := call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7), 0)
	got = call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2), "mode": "CRD"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7), 0)
	// SpaceToDepth undoes DCR.
	back := call{op: "SpaceToDepth", attrs: Attrs{"blocksize": int64(2)}}.run(t, call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.run(t, iota32(1, 8, 2, 3))[0])[0]
	expect(t, back, iota32(1, 8, 2, 3), 0)
	call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.errorContains(t, "multiple of 4", iota32(1, 6, 1, 1))
}

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

func TestSize(t *testing.T) {
	expect(t, call{op: "Size"}.run(t, tensor.New(2, 3))[0], i64(nil, 6), 0)
}

// TestTransposeMatrices: float32 permutations that transpose the last
// axis with another (transposeMatrices, kernels.Transpose in slabs of 16
// columns) against the same permutations of int64 values (the row by row
// path), for several axes before them and widths around the slabs.
func TestTransposeMatrices(t *testing.T) {
	for _, c := range []struct {
		shape []int
		perm  []int64
	}{
		{[]int{2, 3, 20, 18}, []int64{1, 0, 3, 2}},
		{[]int{3, 2, 5, 33}, []int64{2, 0, 3, 1}},
		{[]int{197, 3, 64}, []int64{1, 2, 0}},
		{[]int{1, 192, 196}, []int64{0, 2, 1}},
		{[]int{4, 16, 16}, []int64{0, 2, 1}},
	} {
		x := iota32(c.shape...)
		xi := tensor.NewInt64(c.shape...)
		for i, v := range x.F {
			xi.I[i] = int64(v)
		}
		got := call{op: "Transpose", attrs: Attrs{"perm": c.perm}}.run(t, x)[0]
		want := call{op: "Transpose", attrs: Attrs{"perm": c.perm}}.run(t, xi)[0]
		if !tensor.EqualShape(got.Shape, want.Shape) {
			t.Fatalf("%v perm %v: shape %v, want %v", c.shape, c.perm, got.Shape, want.Shape)
		}
		for i, v := range want.I {
			if got.F[i] != float32(v) {
				t.Errorf("%v perm %v: at %d %v, want %v", c.shape, c.perm, i, got.F[i], v)
				break
			}
		}
	}
}
