// Package autodiff holds one vector-Jacobian product (VJP) per ONNX operator:
// given a node's inputs, its outputs and the gradient of a scalar with
// respect to its outputs, it returns the gradient of that scalar with
// respect to each input. Package inference chains them backward through the
// layers between a feature map and the logits, which is what Grad-CAM needs.
//
// The products are written plainly, for the few layers a backward pass runs
// over, with kernels.Gemm where the work is a matrix product (convolutions,
// fully connected layers). They never modify their arguments, and may return
// the incoming gradient itself (reshaped) where an operator only moves
// values: callers must treat gradients as read-only. A Relu or Clip that the
// loader fused into an operator (ops.FusedActivation) is differentiated
// along with it. Each VJP is tested against finite differences of the
// engine's own forward operator.
package autodiff

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Node is one operator application as a VJP sees it.
type Node struct {
	OpType string
	Attrs  ops.Attrs
	Opset  int // the default-domain opset the model imports
	// Inputs are the values the forward pass read (constants included; nil
	// for a missing optional input); Outputs the values it produced.
	Inputs, Outputs []*tensor.Tensor
	// Need says which inputs want a gradient; nil means every float input.
	// Leaving out constant weights saves work.
	Need []bool
}

// ErrNoVJP is wrapped by VJP's error for an operator without a
// vector-Jacobian product.
var ErrNoVJP = errors.New("no vector-Jacobian product")

// vjpFunc is the VJP of a single-output operator; g is never nil.
type vjpFunc func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error)

// multiVJPFunc is the VJP of an operator with several outputs; gs holds one
// gradient per output, nil for outputs the scalar does not depend on.
type multiVJPFunc func(n *Node, gs []*tensor.Tensor) ([]*tensor.Tensor, error)

var registry = map[string]multiVJPFunc{}

// register adds the VJP of a single-output operator (or one whose other
// outputs carry no gradient, such as Dropout's mask).
func register(opType string, f vjpFunc) {
	registerMulti(opType, func(n *Node, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		for i, g := range gs[1:] {
			if g != nil {
				return nil, fmt.Errorf("%w for output %d", ErrNoVJP, i+1)
			}
		}
		if gs[0] == nil {
			return nil, nil
		}
		return f(n, gs[0])
	})
}

func registerMulti(opType string, f multiVJPFunc) {
	if _, dup := registry[opType]; dup {
		panic("autodiff: VJP registered twice: " + opType)
	}
	registry[opType] = f
}

// Has reports whether opType has a VJP.
func Has(opType string) bool { _, ok := registry[opType]; return ok }

// Supported lists the operator types with a VJP, sorted.
func Supported() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// VJP returns one gradient per input of n, given gradOuts, the gradients
// with respect to n's outputs: one per output, nil (or left out) for an
// output the scalar does not depend on. Inputs that need no gradient get
// nil; so do all inputs when every output gradient is nil.
func VJP(n *Node, gradOuts ...*tensor.Tensor) (grads []*tensor.Tensor, err error) {
	f, ok := registry[n.OpType]
	if !ok {
		return nil, fmt.Errorf("%w for operator %s", ErrNoVJP, n.OpType)
	}
	if len(n.Inputs) == 0 || n.Inputs[0] == nil || len(n.Outputs) == 0 || n.Outputs[0] == nil {
		return nil, fmt.Errorf("%s: the VJP needs the node's first input and output", n.OpType)
	}
	if len(gradOuts) > len(n.Outputs) {
		return nil, fmt.Errorf("%s: %d output gradients for %d outputs", n.OpType, len(gradOuts), len(n.Outputs))
	}
	gs := make([]*tensor.Tensor, len(n.Outputs))
	copy(gs, gradOuts)
	some := false
	for i, g := range gs {
		if g == nil {
			continue
		}
		some = true
		if y := n.Outputs[i]; y == nil || g.DType != tensor.Float32 || !tensor.EqualShape(g.Shape, y.Shape) {
			return nil, fmt.Errorf("%s: the gradient of output %d must be float32 of the output's shape", n.OpType, i)
		}
	}
	if !some {
		return make([]*tensor.Tensor, len(n.Inputs)), nil
	}
	defer func() {
		if r := recover(); r != nil {
			grads, err = nil, fmt.Errorf("%s: VJP failed: %v", n.OpType, r)
		}
	}()
	if gs[0] != nil {
		// A Relu or Clip the loader fused into the operator (Conv, Add,
		// BatchNormalization) is differentiated first, from the output.
		if gs[0], err = maskFused(n.Attrs, gs[0], n.Outputs[0]); err != nil {
			return nil, fmt.Errorf("%s: %w", n.OpType, err)
		}
	}
	grads, err = f(n, gs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.OpType, err)
	}
	for len(grads) < len(n.Inputs) {
		grads = append(grads, nil)
	}
	for i, g := range grads {
		if g != nil && !tensor.EqualShape(g.Shape, n.Inputs[i].Shape) {
			return nil, fmt.Errorf("%s: internal error: gradient of input %d is %s, the input is %s", n.OpType, i, tensor.ShapeString(g.Shape), tensor.ShapeString(n.Inputs[i].Shape))
		}
	}
	return grads, nil
}

// need reports whether input i wants a gradient.
func (n *Node) need(i int) bool {
	if i >= len(n.Inputs) || n.Inputs[i] == nil || n.Inputs[i].DType != tensor.Float32 {
		return false
	}
	return n.Need == nil || i < len(n.Need) && n.Need[i]
}

// in returns input i, or nil when it is absent.
func (n *Node) in(i int) *tensor.Tensor {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

func requireFloat(n *Node, idx ...int) error {
	for _, i := range idx {
		if t := n.in(i); t != nil && t.DType != tensor.Float32 {
			return fmt.Errorf("input %d is %s; gradients need float32", i, t)
		}
	}
	return nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// maskFused applies the derivative of an activation the loader fused into
// an operator (ops.FusedActivation), read off the output: the gradient
// passes where the output lies strictly inside the activation's bounds.
func maskFused(a ops.Attrs, g, y *tensor.Tensor) (*tensor.Tensor, error) {
	kind, err := a.String(ops.FusedActivation, "")
	if err != nil || kind == "" {
		return g, err
	}
	lo, hi := float32(0), float32(math.Inf(1))
	switch kind {
	case "Relu":
	case "Clip":
		if lo, err = a.Float(ops.FusedMin, float32(math.Inf(-1))); err != nil {
			return nil, err
		}
		if hi, err = a.Float(ops.FusedMax, hi); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w for the fused activation %q", ErrNoVJP, kind)
	}
	out := tensor.New(g.Shape...)
	for i, v := range y.F {
		if v > lo && v < hi {
			out.F[i] = g.F[i]
		}
	}
	return out, nil
}
