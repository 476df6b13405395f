package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

// Comparisons and logic produce booleans, held as int64 0 or 1 like every
// ONNX bool.

func init() {
	cmp := func(name string, f func(a, b float64) bool) {
		register(name, func(n *Node) (Op, error) {
			return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
				if err := required(name, inputs, 2); err != nil {
					return nil, err
				}
				return compareBroadcast(budget, name, inputs[0], inputs[1], f)
			}), nil
		}, noGradient)
	}
	cmp("Equal", func(a, b float64) bool { return a == b })
	cmp("Greater", func(a, b float64) bool { return a > b })
	cmp("Less", func(a, b float64) bool { return a < b })
	cmp("GreaterOrEqual", func(a, b float64) bool { return a >= b })
	cmp("LessOrEqual", func(a, b float64) bool { return a <= b })
	cmp("And", func(a, b float64) bool { return a != 0 && b != 0 })
	cmp("Or", func(a, b float64) bool { return a != 0 || b != 0 })
	cmp("Xor", func(a, b float64) bool { return (a != 0) != (b != 0) })
	register("Not", func(n *Node) (Op, error) {
		return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required("Not", inputs, 1); err != nil {
				return nil, err
			}
			x := inputs[0]
			if x.DType != tensor.Int64 {
				return nil, fmt.Errorf("Not: want a bool input, got %s", x)
			}
			out := tensor.NewInt64(x.Shape...)
			for i, v := range x.I {
				out.I[i] = b2i64(v == 0)
			}
			return one(out), nil
		}), nil
	}, noGradient)
	register("Where", buildWhere, noGradient)
}

// compareBroadcast compares in float64 for float operands and exactly for
// integers (int64 beyond 2^53 does not survive float64).
func compareBroadcast(budget Budget, name string, a, b *tensor.Tensor, f func(a, b float64) bool) ([]*tensor.Tensor, error) {
	if a.DType != b.DType {
		return nil, fmt.Errorf("%s: operand types differ (%s and %s)", name, a, b)
	}
	shape, err := tensor.BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("%s: shapes %s and %s do not broadcast", name, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	if err := budget.checkSize(name, tensor.Int64, shape); err != nil {
		return nil, err
	}
	out := tensor.NewInt64(shape...)
	if a.DType == tensor.Int64 {
		ab, bb := broadcastTensor(a, shape), broadcastTensor(b, shape)
		for i := range out.I {
			x, y := ab.I[i], bb.I[i]
			var r bool
			switch name {
			case "Equal":
				r = x == y
			case "Greater":
				r = x > y
			case "Less":
				r = x < y
			case "GreaterOrEqual":
				r = x >= y
			case "LessOrEqual":
				r = x <= y
			default:
				r = f(float64(x), float64(y))
			}
			out.I[i] = b2i64(r)
		}
		return one(out), nil
	}
	ab, bb := broadcastTensor(a, shape), broadcastTensor(b, shape)
	for i := range out.I {
		out.I[i] = b2i64(f(float64(ab.F[i]), float64(bb.F[i])))
	}
	return one(out), nil
}

// buildWhere: out = cond ? x : y, the three broadcast together.
func buildWhere(n *Node) (Op, error) {
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Where", inputs, 3); err != nil {
			return nil, err
		}
		c, x, y := inputs[0], inputs[1], inputs[2]
		if c.DType != tensor.Int64 {
			return nil, fmt.Errorf("Where: condition must be bool, got %s", c)
		}
		if x.DType != y.DType {
			return nil, fmt.Errorf("Where: operand types differ (%s and %s)", x, y)
		}
		shape, err := tensor.BroadcastShape(c.Shape, x.Shape)
		if err == nil {
			shape, err = tensor.BroadcastShape(shape, y.Shape)
		}
		if err != nil {
			return nil, fmt.Errorf("Where: shapes %s, %s and %s do not broadcast", tensor.ShapeString(c.Shape), tensor.ShapeString(x.Shape), tensor.ShapeString(y.Shape))
		}
		if err := budget.checkSize("Where", x.DType, shape); err != nil {
			return nil, err
		}
		cb, xb, yb := broadcastTensor(c, shape), broadcastTensor(x, shape), broadcastTensor(y, shape)
		out := newTensor(x.DType, shape)
		for i, v := range cb.I {
			src := yb
			if v != 0 {
				src = xb
			}
			if x.DType == tensor.Int64 {
				out.I[i] = src.I[i]
			} else {
				out.F[i] = src.F[i]
			}
		}
		return one(out), nil
	}), nil
}
