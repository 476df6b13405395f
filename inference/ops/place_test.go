package ops

import (
	"math/rand/v2"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

// slowConcat concatenates float32 tensors along axis by index arithmetic.
func slowConcat(axis int, ts ...*tensor.Tensor) []float32 {
	var out []float32
	outer := tensor.Size(ts[0].Shape[:axis])
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			row := tensor.Size(t.Shape[axis:])
			out = append(out, t.F[o*row:(o+1)*row]...)
		}
	}
	return out
}

// TestConcatOfAdjacentInputs: inputs that lie one after another in one
// array, in order, are returned as a view of it; any other arrangement is
// copied; the values are the concatenation either way.
func TestConcatOfAdjacentInputs(t *testing.T) {
	buf := make([]float32, 30)
	for i := range buf {
		buf[i] = float32(i) + 0.5
	}
	a := tensor.FromFloat32(dims(1, 2, 3), buf[0:6])
	b := tensor.FromFloat32(dims(1, 1, 3), buf[6:9])
	c := tensor.FromFloat32(dims(1, 3, 3), buf[9:18])
	concat := call{op: "Concat", attrs: Attrs{"axis": int64(1)}}
	for _, tc := range []struct {
		name   string
		in     []*tensor.Tensor
		shared bool
	}{
		{"in order", []*tensor.Tensor{a, b, c}, true},
		{"a prefix", []*tensor.Tensor{a, b}, true},
		{"one input", []*tensor.Tensor{b}, true},
		{"reversed", []*tensor.Tensor{b, a}, false},
		{"a gap", []*tensor.Tensor{a, c}, false},
		{"repeated", []*tensor.Tensor{a, a}, false},
	} {
		got := concat.run(t, tc.in...)[0]
		var copies []*tensor.Tensor
		for _, x := range tc.in {
			copies = append(copies, x.Clone())
		}
		want := slowConcat(1, copies...)
		expect(t, got, tensor.FromFloat32(got.Shape, want), 0)
		if shared := tensor.ArrayID(got) == tensor.ArrayID(a); shared != tc.shared {
			t.Errorf("%s: output shares the inputs' array: %v, want %v", tc.name, shared, tc.shared)
		}
	}
	// Two images: each input is two runs of values, adjacent or not.
	x := tensor.FromFloat32(dims(2, 1, 3), buf[0:6])
	y := tensor.FromFloat32(dims(2, 2, 3), buf[6:18])
	got := concat.run(t, x, y)[0]
	expect(t, got, tensor.FromFloat32(dims(2, 3, 3), slowConcat(1, x.Clone(), y.Clone())), 0)
	if tensor.ArrayID(got) == tensor.ArrayID(x) {
		t.Error("a batch of two was returned as a view")
	}
}

// TestRunInto: convolutions and pools compute into a given slice what Run
// computes, touching nothing around it, and refuse a slice of the wrong
// length; MaxPool with indices cannot be placed.
func TestRunInto(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := randT(r, 1, 5, 9, 8)
	w := randT(r, 6, 5, 3, 3)
	bias := randT(r, 6)
	for _, c := range []call{
		{op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}}, consts: []*tensor.Tensor{nil, w, bias}},
		{op: "Conv", attrs: Attrs{"strides": []int64{2, 2}, FusedActivation: "Relu"}, consts: []*tensor.Tensor{nil, w, nil}},
		{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "ceil_mode": int64(1)}},
		{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "pads": []int64{1, 1, 1, 1}}},
		{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "strides": []int64{2, 2}}},
		// 3-D, windows wholly in the padding at the edges: their average is 0.
		{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{1, 1, 1}, "pads": []int64{1, 1, 1, 1, 1, 1}}},
	} {
		in := []*tensor.Tensor{x}
		ks, _ := c.attrs["kernel_shape"].([]int64)
		switch {
		case len(ks) == 3:
			in = []*tensor.Tensor{randT(r, 1, 2, 3, 4, 2)}
		case c.op == "Conv":
			in = []*tensor.Tensor{x, c.consts[1], c.consts[2]}
		}
		want := c.run(t, in...)[0]
		op, err := Build(&Node{OpType: c.op, Opset: 18, Attrs: c.attrs, Consts: c.consts, NumOutputs: 1})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := op.(Placer)
		if !ok || !p.Placeable() {
			t.Fatalf("%s %v cannot be placed", c.op, c.attrs)
		}
		n := want.Len()
		const guard = 7
		big := make([]float32, n+2*guard)
		for i := range big {
			big[i] = -123
		}
		got, err := p.RunInto(in, big[guard:guard+n])
		if err != nil {
			t.Fatal(err)
		}
		expect(t, got, want, 0)
		if &got.F[0] != &big[guard] {
			t.Errorf("%s: the output is not on the given slice", c.op)
		}
		for i, v := range big {
			if (i < guard || i >= guard+n) && v != -123 {
				t.Errorf("%s wrote value %d, outside its slice", c.op, i)
				break
			}
		}
		if _, err := p.RunInto(in, big[:n+1]); err == nil || !strings.Contains(err.Error(), "array given") {
			t.Errorf("%s into a slice one too long: got %v, want an error", c.op, err)
		}
	}
	op, err := Build(&Node{OpType: "MaxPool", Opset: 18, Attrs: Attrs{"kernel_shape": []int64{2, 2}}, NumOutputs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if op.(Placer).Placeable() {
		t.Error("MaxPool with indices says it can be placed")
	}
}
