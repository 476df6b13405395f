package ops

import (
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
	out, err := op.Run(inputs)
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
