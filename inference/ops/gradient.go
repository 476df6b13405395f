package ops

import (
	"errors"
	"fmt"
	"slices"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// Differentiable is a built operator with a vector-Jacobian product (VJP):
// given the values one Run read and wrote and the gradient of a scalar with
// respect to the outputs, it returns the gradient of that scalar with
// respect to each input, using the attributes parsed when the operator was
// built. Call it through VJP, which checks the arguments and handles an
// activation the loader fused into the operator.
type Differentiable interface {
	Op
	// VJP gets one gradient per output of p, nil for an output the scalar
	// does not depend on; at least one is non-nil, and each has its
	// output's shape. It returns at most one gradient per input, nil for
	// an input that needs none. It never modifies its arguments and may
	// return a gradient that shares storage with them.
	VJP(p *Pass, gradOuts []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// Pass is what one Run of an operator read and wrote, as its VJP sees it.
type Pass struct {
	// Inputs are the values Run read (constants included; nil for a
	// missing optional input); Outputs the values it produced.
	Inputs, Outputs []*tensor.Tensor
	// Need says which inputs want a gradient; nil means every float input.
	// Leaving out constant weights saves work.
	Need []bool
}

// ErrNoVJP is wrapped by VJP's error for an operator without a
// vector-Jacobian product.
var ErrNoVJP = errors.New("no vector-Jacobian product")

// VJP returns one gradient per input of p, given gradOuts, the gradients
// with respect to the outputs of op (of type opType, for messages): one per
// output, nil (or left out) for an output the scalar does not depend on.
// Inputs that need no gradient get nil; so do all inputs when every output
// gradient is nil. Gradients are read-only: they may share storage with
// each other and with p's values.
func VJP(opType string, op Op, p *Pass, gradOuts ...*tensor.Tensor) (grads []*tensor.Tensor, err error) {
	d, ok := op.(Differentiable)
	if !ok {
		return nil, fmt.Errorf("%w for operator %s", ErrNoVJP, opType)
	}
	if len(p.Inputs) == 0 || p.Inputs[0] == nil || len(p.Outputs) == 0 || p.Outputs[0] == nil {
		return nil, fmt.Errorf("%s: the VJP needs the node's first input and output", opType)
	}
	if len(gradOuts) > len(p.Outputs) {
		return nil, fmt.Errorf("%s: %d output gradients for %d outputs", opType, len(gradOuts), len(p.Outputs))
	}
	gs := make([]*tensor.Tensor, len(p.Outputs))
	copy(gs, gradOuts)
	some := false
	for i, g := range gs {
		if g == nil {
			continue
		}
		some = true
		if y := p.Outputs[i]; y == nil || g.DType != tensor.Float32 || !tensor.EqualShape(g.Shape, y.Shape) {
			return nil, fmt.Errorf("%s: the gradient of output %d must be float32 of the output's shape", opType, i)
		}
	}
	if !some {
		return make([]*tensor.Tensor, len(p.Inputs)), nil
	}
	defer func() {
		if r := recover(); r != nil {
			grads, err = nil, fmt.Errorf("%s: VJP failed: %v", opType, r)
		}
	}()
	if f, ok := op.(fusing); ok && gs[0] != nil {
		// A Relu or Clip the loader fused into the operator (Conv, Add,
		// BatchNormalization) is differentiated first, from the output.
		gs[0] = maskFused(f.fused(), gs[0], p.Outputs[0])
	}
	grads, err = d.VJP(p, gs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opType, err)
	}
	for len(grads) < len(p.Inputs) {
		grads = append(grads, nil)
	}
	for i, g := range grads {
		if g != nil && !tensor.EqualShape(g.Shape, p.Inputs[i].Shape) {
			return nil, fmt.Errorf("%s: internal error: gradient of input %d is %s, the input is %s", opType, i, tensor.ShapeString(g.Shape), tensor.ShapeString(p.Inputs[i].Shape))
		}
	}
	return grads, nil
}

// need reports whether input i wants a gradient.
func (p *Pass) need(i int) bool {
	if i >= len(p.Inputs) || p.Inputs[i] == nil || p.Inputs[i].DType != tensor.Float32 {
		return false
	}
	return p.Need == nil || i < len(p.Need) && p.Need[i]
}

// in returns input i, or nil when it is absent.
func (p *Pass) in(i int) *tensor.Tensor { return in(p.Inputs, i) }

// requireFloat checks that the inputs idx, where present, are float32.
func (p *Pass) requireFloat(idx ...int) error {
	for _, i := range idx {
		if t := p.in(i); t != nil && t.DType != tensor.Float32 {
			return fmt.Errorf("input %d is %s; gradients need float32", i, t)
		}
	}
	return nil
}

// gradFunc is the VJP of an operator whose outputs after the first carry
// no gradient (such as Dropout's mask); g is never nil.
type gradFunc func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error)

// firstOutput calls f with the gradient of the first output, after
// checking that no other output has one.
func firstOutput(p *Pass, gs []*tensor.Tensor, f gradFunc) ([]*tensor.Tensor, error) {
	for i, g := range gs[1:] {
		if g != nil {
			return nil, fmt.Errorf("%w for output %d", ErrNoVJP, i+1)
		}
	}
	if gs[0] == nil {
		return nil, nil
	}
	return f(p, gs[0])
}

// diffFunc is an operator built from closures (like opFunc) with its VJP,
// for operators whose outputs after the first carry no gradient.
type diffFunc struct {
	run opFunc
	vjp gradFunc
}

func (f diffFunc) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return f.run(budget, inputs)
}

func (f diffFunc) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(p, gs, f.vjp)
}

// traceVJP is the VJP of an operator that only copies input elements to
// output positions (nearest resizing, depth/space rearrangements, reflect,
// edge and wrap padding): the operator itself, run on a tensor holding each
// element's index, says where every output value came from, and the
// gradient is added back there. The arithmetic is exact while indices fit
// float32's 24-bit mantissa.
func traceVJP(op Op, p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	if x.Len() > 1<<24 {
		return nil, fmt.Errorf("input %s is too large to trace", tensor.ShapeString(x.Shape))
	}
	ids := tensor.New(x.Shape...)
	for i := range ids.F {
		ids.F[i] = float32(i)
	}
	outs, err := op.Run(NoBudget, append([]*tensor.Tensor{ids}, p.Inputs[1:]...))
	if err != nil {
		return nil, err
	}
	src := outs[0]
	if !tensor.EqualShape(src.Shape, g.Shape) {
		return nil, fmt.Errorf("tracing gave %s, the output is %s", tensor.ShapeString(src.Shape), tensor.ShapeString(g.Shape))
	}
	gx := tensor.New(x.Shape...)
	for j, v := range src.F {
		i := int(v)
		if float32(i) != v || i < 0 || i >= len(gx.F) {
			return nil, fmt.Errorf("internal error: output %d is not a copy of an input element", j)
		}
		gx.F[i] += g.F[j]
	}
	return []*tensor.Tensor{gx}, nil
}

// traced returns run with traceVJP as its VJP.
func traced(run opFunc) diffFunc {
	return diffFunc{run, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return traceVJP(run, p, g) }}
}

// unaryGrad makes the VJP of an elementwise operator from its derivative,
// written in terms of the input x and the output y.
func unaryGrad(d func(x, y float32) float32) gradFunc {
	return func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := p.requireFloat(0); err != nil {
			return nil, err
		}
		if !p.need(0) {
			return nil, nil
		}
		x, y := p.Inputs[0], p.Outputs[0]
		if !tensor.EqualShape(x.Shape, y.Shape) {
			return nil, fmt.Errorf("input %s and output %s differ in shape", tensor.ShapeString(x.Shape), tensor.ShapeString(y.Shape))
		}
		out := tensor.New(x.Shape...)
		lo, hi := tensor.NonzeroSpan(g.F)
		for i := lo; i < hi; i++ {
			out.F[i] = g.F[i] * d(x.F[i], y.F[i])
		}
		return []*tensor.Tensor{out}, nil
	}
}

// binaryGrad makes the VJP of a broadcasting binary operator from its
// partial derivatives times g, in terms of a, b, the output y and g. The
// gradient of an input that was broadcast is summed over the broadcast
// axes.
func binaryGrad(partials func(a, b, y, g float32) (float32, float32)) gradFunc {
	return func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(p.Inputs) < 2 || p.Inputs[1] == nil {
			return nil, fmt.Errorf("needs two inputs")
		}
		if err := p.requireFloat(0, 1); err != nil {
			return nil, err
		}
		a, b, y := p.Inputs[0], p.Inputs[1], p.Outputs[0]
		needA, needB := p.need(0), p.need(1)
		if !needA && !needB {
			return nil, nil
		}
		oa, err := offsetsIn(y.Shape, a.Shape)
		if err != nil {
			return nil, err
		}
		ob, err := offsetsIn(y.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		out := []*tensor.Tensor{nil, nil}
		var ga, gb []float32
		if needA {
			out[0] = tensor.New(a.Shape...)
			ga = out[0].F
		}
		if needB {
			out[1] = tensor.New(b.Shape...)
			gb = out[1].F
		}
		lo, hi := tensor.NonzeroSpan(g.F)
		for i := lo; i < hi; i++ {
			ia, ib := oa.at(i), ob.at(i)
			da, db := partials(a.F[ia], b.F[ib], y.F[i], g.F[i])
			if ga != nil {
				ga[ia] += da
			}
			if gb != nil {
				gb[ib] += db
			}
		}
		return out, nil
	}
}

// linearGrad is the VJP of y = ca·a + cb·b (Add, Sub): each operand's
// gradient is its coefficient times g, summed over the axes it is
// broadcast along; an operand of the result's shape with coefficient 1
// gets g itself (gradients are read-only).
func linearGrad(ca, cb float32) gradFunc {
	return func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(p.Inputs) < 2 || p.Inputs[1] == nil {
			return nil, fmt.Errorf("needs two inputs")
		}
		if err := p.requireFloat(0, 1); err != nil {
			return nil, err
		}
		out := []*tensor.Tensor{nil, nil}
		for i, c := range []float32{ca, cb} {
			if !p.need(i) {
				continue
			}
			x := p.Inputs[i]
			o, err := offsetsIn(g.Shape, x.Shape)
			if err != nil {
				return nil, err
			}
			if o.table == nil && o.mod == 0 && c == 1 {
				out[i] = g
				continue
			}
			gx := tensor.New(x.Shape...)
			lo, hi := tensor.NonzeroSpan(g.F)
			for j := lo; j < hi; j++ {
				gx.F[o.at(j)] += c * g.F[j]
			}
			out[i] = gx
		}
		return out, nil
	}
}

// mulGrad is Mul's VJP: g·b for a and g·a for b, summed over the axes
// each is broadcast along (binaryGrad), through kernels.Mul when the
// operands that need a gradient are of the result's shape and their
// partners too or scalars, as in GELU's products.
func mulGrad(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if !plainOperands(p, g) {
		return mulPartials(p, g)
	}
	out := []*tensor.Tensor{nil, nil}
	lo, hi := tensor.NonzeroSpan(g.F)
	for i, other := range []*tensor.Tensor{p.Inputs[1], p.Inputs[0]} {
		if !p.need(i) {
			continue
		}
		out[i] = tensor.New(g.Shape...)
		if other.Len() == 1 {
			kernels.MulScalar(out[i].F[lo:hi], g.F[lo:hi], other.F[0])
		} else {
			kernels.Mul(out[i].F[lo:hi], g.F[lo:hi], other.F[lo:hi])
		}
	}
	return out, nil
}

var mulPartials = binaryGrad(func(a, b, _, g float32) (float32, float32) { return g * b, g * a })

// divGrad is Div's VJP: g/b for a and -g·y/b for b, summed over the axes
// each is broadcast along (binaryGrad), in a loop of its own when the
// operands that need a gradient are of the result's shape and their
// partners too or scalars, as in GELU's quotient.
func divGrad(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if !plainOperands(p, g) {
		return divPartials(p, g)
	}
	b, y := p.Inputs[1], p.Outputs[0]
	out := []*tensor.Tensor{nil, nil}
	lo, hi := tensor.NonzeroSpan(g.F)
	if p.need(0) {
		out[0] = tensor.New(g.Shape...)
		if b.Len() == 1 {
			kernels.DivScalar(out[0].F[lo:hi], g.F[lo:hi], b.F[0])
		} else {
			kernels.Div(out[0].F[lo:hi], g.F[lo:hi], b.F[lo:hi])
		}
	}
	if p.need(1) {
		out[1] = tensor.New(g.Shape...)
		for i := lo; i < hi; i++ {
			out[1].F[i] = -g.F[i] * y.F[i] / b.F[i]
		}
	}
	return out, nil
}

var divPartials = binaryGrad(func(_, b, y, g float32) (float32, float32) { return g / b, -g * y / b })

// plainOperands reports whether p is a float binary operator whose
// operands that need a gradient are of g's shape, and the others of g's
// shape or scalars: element i of each is then element i, or the one value.
func plainOperands(p *Pass, g *tensor.Tensor) bool {
	if len(p.Inputs) < 2 || p.Inputs[0] == nil || p.Inputs[1] == nil || len(p.Outputs) == 0 || p.Outputs[0] == nil ||
		p.Inputs[0].DType != tensor.Float32 || p.Inputs[1].DType != tensor.Float32 {
		return false
	}
	for i, x := range p.Inputs[:2] {
		same := tensor.EqualShape(x.Shape, g.Shape)
		if !same && (p.need(i) || x.Len() != 1) {
			return false
		}
	}
	return true
}

// offsets say where element i of a broadcast result reads an operand:
// from table[i], or without a table, at i modulo mod (an operand that is
// the result's last axes, such as a bias), or at i itself (mod 0: the
// result's shape).
type offsets struct {
	table []int
	mod   int
}

func (o offsets) at(i int) int {
	switch {
	case o.table != nil:
		return o.table[i]
	case o.mod > 0:
		return i % o.mod
	}
	return i
}

// offsetsIn are the offsets of operand shape in in a result of shape out:
// most operands of a transformer's element-wise operators are the result's
// shape or its last axes, and need no table.
func offsetsIn(out, in []int) (offsets, error) {
	inner := in
	for len(inner) > 0 && inner[0] == 1 {
		inner = inner[1:]
	}
	if len(inner) <= len(out) && slices.Equal(inner, out[len(out)-len(inner):]) {
		if n := tensor.Size(inner); n < tensor.Size(out) {
			return offsets{mod: n}, nil
		}
		return offsets{}, nil
	}
	t, err := broadcastOffsets(out, in)
	return offsets{table: t}, err
}

// step is 1 where b holds, else 0.
func step(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
