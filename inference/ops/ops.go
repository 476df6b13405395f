package ops

import (
	"errors"
	"fmt"

	"camscope/inference/tensor"
)

// Op is a built operator.
type Op interface {
	// Run computes the outputs. A missing optional input is nil. An
	// output larger than budget is refused before it is allocated (see
	// Budget).
	Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// Placer is an operator that can write its one float32 output into an
// array it is given: the engine gives the producers of a Concat's inputs
// their slices of one array, side by side, and the Concat then returns a
// view of them instead of copying (see Concat).
type Placer interface {
	Op
	// Placeable reports whether RunInto can compute the output, as built
	// (a MaxPool asked for its indices too cannot).
	Placeable() bool
	// RunInto computes the output into dst, which must be as long as the
	// output, and returns it as a tensor on dst.
	RunInto(inputs []*tensor.Tensor, dst []float32) (*tensor.Tensor, error)
}

// Node is what a builder gets to know about a graph node.
type Node struct {
	OpType string
	Opset  int // the default-domain opset the model imports
	Attrs  Attrs
	// Consts has one entry per input: the value when the input is an
	// initializer or otherwise known at load time, else nil.
	Consts []*tensor.Tensor
	// NumOutputs is how many outputs the node declares.
	NumOutputs int
}

// A Bander computes a band of its output rows alone, from a band of its
// input rows (a 2-D window operator: Conv, MaxPool, AveragePool).
type Bander interface {
	// Rows returns the operator's window along the rows on an input of
	// shape x, or an error when it computes no bands of it.
	Rows(x []int) (WindowRows, error)
	// Band returns the operator for a band of h rows of an input of shape
	// x, padded by padT rows above and padB below, whose every output is
	// bit for bit the one the whole input gives, or an error when it has
	// none.
	Band(x []int, h, padT, padB int) (Op, error)
}

// WindowRows is a window operator's geometry along the rows: output row
// r reads input rows r*Stride-PadT to r*Stride-PadT+Extent-1 (Extent the
// kernel's rows, dilated), PadB rows of padding below the input.
type WindowRows struct{ Extent, Stride, PadT, PadB int }

// Builder builds an operator for a node.
type Builder func(n *Node) (Op, error)

// traits are what an operator's registration declares about it.
type traits uint8

const (
	// noGradient: the built operator has no VJP (its results are integers
	// or shapes, or piecewise constant, or Grad-CAM does not go back
	// through it).
	noGradient traits = 0
	// differentiable: the built operator implements Differentiable, and
	// TestVJPFiniteDifferences has a case for it.
	differentiable traits = 1 << iota
	// noConformanceData: ONNX's node test data (Debian's libonnx-testdata,
	// which TestConformance runs) has no case for
	// the operator: the engine's own operators and those newer than the
	// data.
	noConformanceData
)

type registration struct {
	build  Builder
	traits traits
}

var registry = map[string]registration{}

// register is called from init functions in this package.
func register(opType string, b Builder, t traits) {
	if _, dup := registry[opType]; dup {
		panic("ops: operator registered twice: " + opType)
	}
	registry[opType] = registration{b, t}
}

// ErrUnsupported is wrapped by Build's error for an operator this engine
// does not implement.
var ErrUnsupported = errors.New("unsupported operator")

// Build returns the operator for n.
func Build(n *Node) (Op, error) {
	r, ok := registry[n.OpType]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnsupported, n.OpType)
	}
	return r.build(n)
}

// opFunc adapts a function to Op, for operators that keep no state beyond
// what the closure captures at build time.
type opFunc func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)

func (f opFunc) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return f(budget, inputs)
}

// newTensor returns a zeroed tensor of the given dtype and shape.
func newTensor(dt tensor.DType, shape []int) *tensor.Tensor {
	if dt == tensor.Int64 {
		return tensor.NewInt64(shape...)
	}
	return tensor.New(shape...)
}

// newOutput is newTensor for an output the operator writes in full: a
// recycled float array is not cleared first (clearing cost vision
// transformers about a twentieth of their run).
func newOutput(dt tensor.DType, shape []int) *tensor.Tensor {
	if dt == tensor.Int64 {
		return tensor.NewInt64(shape...)
	}
	return tensor.NewUninit(shape...)
}

// outputOn returns a float32 tensor of the given shape on dst, or a new
// one whose values are unspecified when dst is nil (for operators that
// write every value).
func outputOn(dst []float32, op string, shape []int) (*tensor.Tensor, error) {
	if dst == nil {
		return tensor.NewUninit(shape...), nil
	}
	if n := tensor.Size(shape); len(dst) != n {
		return nil, fmt.Errorf("%s: the output %s has %d values, the array given for it %d", op, tensor.ShapeString(shape), n, len(dst))
	}
	return &tensor.Tensor{Shape: append([]int(nil), shape...), F: dst}, nil
}

// alias returns a tensor that shares t's data under a new shape.
func alias(t *tensor.Tensor, shape []int) *tensor.Tensor {
	return &tensor.Tensor{Shape: append([]int{}, shape...), DType: t.DType, F: t.F, I: t.I}
}

// one wraps a single output.
func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }
