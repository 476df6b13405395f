package autodiff

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("Relu", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 { return step(x > 0) }, nil
	}))
	register("LeakyRelu", unary(func(n *Node) (func(x, y float32) float32, error) {
		alpha, err := n.Attrs.Float("alpha", 0.01)
		return func(x, _ float32) float32 {
			if x > 0 {
				return 1
			}
			return alpha
		}, err
	}))
	register("Sigmoid", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return y * (1 - y) }, nil
	}))
	register("Tanh", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return 1 - y*y }, nil
	}))
	register("HardSigmoid", unary(func(n *Node) (func(x, y float32) float32, error) {
		alpha, err := n.Attrs.Float("alpha", 0.2)
		if err != nil {
			return nil, err
		}
		beta, err := n.Attrs.Float("beta", 0.5)
		return func(x, _ float32) float32 {
			v := alpha*x + beta
			return alpha * step(v > 0 && v < 1)
		}, err
	}))
	// HardSwish is x * HardSigmoid(x) with alpha 1/6, beta 1/2.
	register("HardSwish", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 {
			switch {
			case x <= -3:
				return 0
			case x >= 3:
				return 1
			}
			return x/3 + 0.5
		}, nil
	}))
	register("Clip", clipVJP)
	register("Neg", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, _ float32) float32 { return -1 }, nil
	}))
	register("Add", binary(func(_, _, _, g float32) (float32, float32) { return g, g }))
	register("Sub", binary(func(_, _, _, g float32) (float32, float32) { return g, -g }))
	register("Mul", binary(func(a, b, _, g float32) (float32, float32) { return g * b, g * a }))
	register("Div", binary(func(_, b, y, g float32) (float32, float32) { return g / b, -g * y / b }))
}

func step(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// unary makes the VJP of an elementwise operator from its derivative,
// written in terms of the input x and the output y.
func unary(deriv func(n *Node) (func(x, y float32) float32, error)) vjpFunc {
	return func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := requireFloat(n, 0); err != nil {
			return nil, err
		}
		if !n.need(0) {
			return nil, nil
		}
		d, err := deriv(n)
		if err != nil {
			return nil, err
		}
		x, y := n.Inputs[0], n.Outputs[0]
		if !tensor.EqualShape(x.Shape, y.Shape) {
			return nil, fmt.Errorf("input %s and output %s differ in shape", tensor.ShapeString(x.Shape), tensor.ShapeString(y.Shape))
		}
		out := tensor.New(x.Shape...)
		for i := range out.F {
			out.F[i] = g.F[i] * d(x.F[i], y.F[i])
		}
		return []*tensor.Tensor{out}, nil
	}
}

// clipVJP passes the gradient where the input lies strictly inside the
// bounds; a bound given as an input (opset 11 on) gets the gradient of the
// elements it replaced.
func clipVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if n.Opset < 11 {
		var err error
		if lo, err = n.Attrs.Float("min", lo); err != nil {
			return nil, err
		}
		if hi, err = n.Attrs.Float("max", hi); err != nil {
			return nil, err
		}
	} else {
		for i, dst := range []*float32{&lo, &hi} {
			t := n.in(i + 1)
			if t == nil || t.Len() == 0 {
				continue
			}
			if t.Len() != 1 {
				return nil, fmt.Errorf("bound %d must hold one value, got %s", i+1, tensor.ShapeString(t.Shape))
			}
			*dst = t.F[0]
		}
	}
	x := n.Inputs[0]
	gx := tensor.New(x.Shape...)
	var below, above float32
	for i, v := range x.F {
		switch {
		case v <= lo:
			below += g.F[i]
		case v >= hi:
			above += g.F[i]
		default:
			gx.F[i] = g.F[i]
		}
	}
	grads := make([]*tensor.Tensor, len(n.Inputs))
	if n.need(0) {
		grads[0] = gx
	}
	for i, sum := range []float32{below, above} {
		if b := n.in(i + 1); n.Opset >= 11 && n.need(i+1) && b.Len() == 1 {
			grads[i+1] = tensor.FromFloat32(b.Shape, []float32{sum})
		}
	}
	return grads, nil
}

// binary makes the VJP of a broadcasting binary operator from its partial
// derivatives times g, in terms of a, b, the output y and g. The gradient of
// an input that was broadcast is summed over the broadcast axes.
func binary(partials func(a, b, y, g float32) (float32, float32)) vjpFunc {
	return func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(n.Inputs) < 2 || n.Inputs[1] == nil {
			return nil, fmt.Errorf("needs two inputs")
		}
		if err := requireFloat(n, 0, 1); err != nil {
			return nil, err
		}
		a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
		needA, needB := n.need(0), n.need(1)
		if !needA && !needB {
			return nil, nil
		}
		oa, err := broadcastOffsets(y.Shape, a.Shape)
		if err != nil {
			return nil, err
		}
		ob, err := broadcastOffsets(y.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		ga, gb := tensor.New(a.Shape...), tensor.New(b.Shape...)
		for i, gi := range g.F {
			da, db := partials(a.F[oa[i]], b.F[ob[i]], y.F[i], gi)
			ga.F[oa[i]] += da
			gb.F[ob[i]] += db
		}
		out := []*tensor.Tensor{nil, nil}
		if needA {
			out[0] = ga
		}
		if needB {
			out[1] = gb
		}
		return out, nil
	}
}

// broadcastOffsets returns, for each element of a tensor of shape out (in
// row-major order), the flat index of the element of a tensor of shape in
// that numpy broadcasting reads there.
func broadcastOffsets(out, in []int) ([]int, error) {
	if len(in) > len(out) {
		return nil, fmt.Errorf("shape %s does not broadcast to %s", tensor.ShapeString(in), tensor.ShapeString(out))
	}
	r := len(out)
	stride := make([]int, r) // in's stride along each axis of out; 0 where broadcast
	acc := 1
	for i := r - 1; i >= 0; i-- {
		j := i - (r - len(in))
		if j < 0 {
			continue
		}
		switch in[j] {
		case out[i]:
			stride[i] = acc
		case 1:
		default:
			return nil, fmt.Errorf("shape %s does not broadcast to %s", tensor.ShapeString(in), tensor.ShapeString(out))
		}
		acc *= in[j]
	}
	offs := make([]int, tensor.Size(out))
	idx := make([]int, r)
	off := 0
	for k := range offs {
		offs[k] = off
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			off += stride[d]
			if idx[d] < out[d] {
				break
			}
			off -= stride[d] * idx[d]
			idx[d] = 0
		}
	}
	return offs, nil
}
