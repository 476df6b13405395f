package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

// call describes one operator invocation in a test.
type call struct {
	op     string
	opset  int
	attrs  Attrs
	consts []*tensor.Tensor // nil: none of the inputs is constant
	nout   int
	budget Budget // 0: NoBudget
}

// run builds and runs c, failing the test on error. It also checks that
// the operator leaves its inputs unchanged.
func (c call) run(t *testing.T, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := c.try(inputs...)
	if err != nil {
		t.Fatalf("%s: %v", c.op, err)
	}
	return out
}

func (c call) try(inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	if c.opset == 0 {
		c.opset = 18
	}
	if c.nout == 0 {
		c.nout = 1
	}
	consts := c.consts
	if consts == nil {
		consts = make([]*tensor.Tensor, len(inputs))
	}
	op, err := Build(&Node{OpType: c.op, Opset: c.opset, Attrs: c.attrs, Consts: consts, NumOutputs: c.nout})
	if err != nil {
		return nil, err
	}
	before := make([]*tensor.Tensor, len(inputs))
	for i, x := range inputs {
		if x != nil {
			before[i] = x.Clone()
		}
	}
	if c.budget == 0 {
		c.budget = NoBudget
	}
	out, err := op.Run(c.budget, inputs)
	for i, x := range inputs {
		if x != nil && !sameTensor(x, before[i], 0) {
			panic(c.op + ": modified input")
		}
	}
	return out, err
}

// errorContains checks that c fails with an error mentioning want.
func (c call) errorContains(t *testing.T, want string, inputs ...*tensor.Tensor) {
	t.Helper()
	_, err := c.try(inputs...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: want an error containing %q, got %v", c.op, want, err)
	}
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromFloat32(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.FromInt64(shape, v) }
func dims(d ...int) []int                          { return d }

// randT returns a tensor of uniform values in [-1, 1).
func randT(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.F {
		t.F[i] = r.Float32()*2 - 1
	}
	return t
}

// iota32 returns 0, 1, 2, ... in the given shape.
func iota32(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.F {
		t.F[i] = float32(i)
	}
	return t
}

func sameTensor(a, b *tensor.Tensor, tol float64) bool {
	if a.DType != b.DType || !tensor.EqualShape(a.Shape, b.Shape) || len(a.F) != len(b.F) || len(a.I) != len(b.I) {
		return false
	}
	for i := range a.I {
		if a.I[i] != b.I[i] {
			return false
		}
	}
	for i := range a.F {
		x, y := float64(a.F[i]), float64(b.F[i])
		if math.IsNaN(x) && math.IsNaN(y) || x == y {
			continue
		}
		if !(math.Abs(x-y) <= tol*(1+math.Abs(y))) {
			return false
		}
	}
	return true
}

func expect(t *testing.T, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !sameTensor(got, want, tol) {
		t.Fatalf("got %s %v%v\nwant %s %v%v", got, got.F, got.I, want, want.F, want.I)
	}
}

func TestHugeOutputsAreErrors(t *testing.T) {
	x := tensor.New(1, 1, 2, 2)
	call{op: "Pad"}.errorContains(t, "too large", x, i64(dims(8), 0, 0, 0, 0, 0, 0, 1<<20, 1<<20))
	call{op: "Tile"}.errorContains(t, "too large", x, i64(dims(4), 1<<20, 1<<20, 1, 1))
	call{op: "Expand"}.errorContains(t, "too large", x, i64(dims(4), 1<<20, 1<<20, 2, 2))
	call{op: "ConstantOfShape"}.errorContains(t, "too large", i64(dims(3), 1<<40, 1<<40, 1<<40))
	call{op: "ConstantOfShape"}.errorContains(t, "negative", i64(dims(1), -1))
	// Pads this large are refused before the output size is worked out.
	call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{1, 1}, "pads": []int64{1 << 20, 1 << 20, 1 << 20, 1 << 20}}}.errorContains(t, "out of proportion", x)
	call{op: "Conv", attrs: Attrs{"pads": []int64{1 << 20, 1 << 20, 1 << 20, 1 << 20}}}.errorContains(t, "out of proportion", x, tensor.New(1, 1, 1, 1))
	call{op: "Range"}.errorContains(t, "too large", i64(dims(), 0), i64(dims(), maxElements+1), i64(dims(), 1))
}

// TestOutputsOverTheBudgetAreErrors: each operator that sizes its output
// from the model's values (shapes, pads, repeats, indices, windows, the
// inputs' count) accepts an output that fills its budget and refuses, with
// ErrTooLarge and before allocating it, one a byte over.
func TestOutputsOverTheBudgetAreErrors(t *testing.T) {
	x := tensor.New(1, 1, 2, 2)
	cases := []struct {
		c  call
		in []*tensor.Tensor
	}{
		{call{op: "Pad"}, []*tensor.Tensor{x, i64(dims(8), 0, 0, 1, 1, 0, 0, 1, 1)}},
		{call{op: "Tile"}, []*tensor.Tensor{x, i64(dims(4), 1, 3, 1, 1)}},
		{call{op: "Expand"}, []*tensor.Tensor{x, i64(dims(4), 5, 1, 2, 2)}},
		{call{op: "ConstantOfShape"}, []*tensor.Tensor{i64(dims(2), 3, 7)}},
		{call{op: "Range"}, []*tensor.Tensor{i64(dims(), 0), i64(dims(), 9), i64(dims(), 1)}},
		{call{op: "Range"}, []*tensor.Tensor{f32(dims(), 0), f32(dims(), 9), f32(dims(), 1)}},
		{call{op: "OneHot"}, []*tensor.Tensor{i64(dims(2), 0, 1), i64(dims(), 5), f32(dims(2), 0, 1)}},
		{call{op: "Gather"}, []*tensor.Tensor{x, i64(dims(6), 0, 0, 0, 0, 0, 0)}},
		{call{op: "Concat"}, []*tensor.Tensor{x, x, x, x}},
		{call{op: "Add"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Sum"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Pow"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Equal"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Where"}, []*tensor.Tensor{i64(dims(3, 1), 1, 0, 1), tensor.New(1, 4), tensor.New(1)}},
		{call{op: "MatMul"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Gemm"}, []*tensor.Tensor{tensor.New(3, 1), tensor.New(1, 4)}},
		{call{op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}}}, []*tensor.Tensor{x, tensor.New(1, 1, 1, 1)}},
		{call{op: "ConvTranspose", attrs: Attrs{"strides": []int64{2, 2}}}, []*tensor.Tensor{x, tensor.New(1, 1, 3, 3)}},
		{call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{1, 1}, "pads": []int64{1, 1, 1, 1}}}, []*tensor.Tensor{x}},
		{call{op: "Resize"}, []*tensor.Tensor{x, nil, f32(dims(4), 1, 1, 3, 3)}},
	}
	for _, tc := range cases {
		out := tc.c.run(t, tc.in...)[0]
		size := Budget(4 * len(out.F))
		if out.DType == tensor.Int64 {
			size = Budget(8 * len(out.I))
		}
		tc.c.budget = size
		tc.c.run(t, tc.in...)
		tc.c.budget = size - 1
		if _, err := tc.c.try(tc.in...); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tensor.ShapeString(out.Shape)) {
			t.Errorf("%s with %d bytes for an output %s: got %v, want ErrTooLarge naming the shape", tc.c.op, size-1, tensor.ShapeString(out.Shape), err)
		}
	}
}

func TestHugeProductsAreErrors(t *testing.T) {
	col, row := tensor.New(1<<16, 1), tensor.New(1, 1<<16)
	call{op: "Add"}.errorContains(t, "too large", col, row)
	call{op: "Max"}.errorContains(t, "too large", col, row)
	call{op: "Less"}.errorContains(t, "too large", col, row)
	call{op: "MatMul"}.errorContains(t, "too large", col, row)
	call{op: "Gemm"}.errorContains(t, "too large", col, row)
}
