package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	f64 := func(f func(float64) float64) func(float32) float32 {
		return func(x float32) float32 { return float32(f(float64(x))) }
	}
	register("Exp", sliceBuilder("Exp", kernels.Exp, func(_, y float32) float32 { return y }), differentiable)
	register("Log", unaryBuilder("Log", f64(math.Log), func(x, _ float32) float32 { return 1 / x }), differentiable)
	register("Floor", unaryBuilder("Floor", f64(math.Floor), nil), noGradient)
	register("Ceil", unaryBuilder("Ceil", f64(math.Ceil), nil), noGradient)
	register("Round", unaryBuilder("Round", f64(math.RoundToEven), nil), noGradient)
	register("Reciprocal", unaryBuilder("Reciprocal", func(x float32) float32 { return 1 / x },
		func(_, y float32) float32 { return -y * y }), differentiable)
	register("Sin", unaryBuilder("Sin", f64(math.Sin), nil), noGradient)
	register("Cos", unaryBuilder("Cos", f64(math.Cos), nil), noGradient)
	register("Neg", signedUnary("Neg", func(x float32) float32 { return -x }, func(x int64) int64 { return -x },
		func(_, _ float32) float32 { return -1 }), differentiable)
	register("Abs", signedUnary("Abs", func(x float32) float32 { return float32(math.Abs(float64(x))) },
		func(x int64) int64 { return max(x, -x) }, func(x, _ float32) float32 {
			if x < 0 {
				return -1
			}
			return step(x > 0)
		}), differentiable)
	register("Sign", signedUnary("Sign", func(x float32) float32 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0 and NaN
	}, func(x int64) int64 { return b2i64(x > 0) - b2i64(x < 0) }, nil), noGradient)
}

// signedUnary builds an elementwise operator defined on floats and
// integers alike; d is its derivative, as for unaryBuilder.
func signedUnary(name string, f func(float32) float32, fi func(int64) int64, d func(x, y float32) float32) Builder {
	return func(n *Node) (Op, error) {
		return withDerivative(opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required(name, inputs, 1); err != nil {
				return nil, err
			}
			x := inputs[0]
			out := newTensor(x.DType, x.Shape)
			if x.DType == tensor.Int64 {
				for i, v := range x.I {
					out.I[i] = fi(v)
				}
				return one(out), nil
			}
			for i, v := range x.F {
				out.F[i] = f(v)
			}
			return one(out), nil
		}), d), nil
	}
}

func init() {
	register("Max", variadicBuilder("Max", rowsOf(func(a, b float32) float32 {
		if a != a || b != b {
			return float32(math.NaN())
		}
		return max(a, b)
	}), rowsOf(func(a, b int64) int64 { return max(a, b) }), nil, pickVJP), differentiable)
	register("Min", variadicBuilder("Min", rowsOf(func(a, b float32) float32 {
		if a != a || b != b {
			return float32(math.NaN())
		}
		return min(a, b)
	}), rowsOf(func(a, b int64) int64 { return min(a, b) }), nil, pickVJP), differentiable)
	register("Sum", variadicBuilder("Sum", addRows[float32](), addRows[int64](), nil, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return variadicVJP(p, g, 1)
	}), differentiable)
	register("Mean", variadicBuilder("Mean", addRows[float32](), rowKernels[int64]{}, func(t *tensor.Tensor, n int) {
		for i := range t.F {
			t.F[i] /= float32(n)
		}
	}, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return variadicVJP(p, g, 1/float32(len(p.Inputs)))
	}), differentiable)
}

// variadicBuilder folds any number of broadcast inputs with a binary
// operator; finish, if set, adjusts the result given the input count. vjp
// is its VJP.
func variadicBuilder(name string, fk rowKernels[float32], ik rowKernels[int64], finish func(t *tensor.Tensor, n int), vjp gradFunc) Builder {
	return func(n *Node) (Op, error) {
		return diffFunc{opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if len(inputs) == 0 {
				return nil, fmt.Errorf("%s: no inputs", name)
			}
			if err := required(name, inputs, len(inputs)); err != nil {
				return nil, err
			}
			acc := inputs[0]
			if acc.DType == tensor.Int64 && ik.vv == nil {
				return nil, fmt.Errorf("%s: want float32 inputs, got %s", name, acc)
			}
			for _, b := range inputs[1:] {
				if b.DType != acc.DType {
					return nil, fmt.Errorf("%s: operand types differ (%s and %s)", name, acc, b)
				}
				shape, err := tensor.BroadcastShape(acc.Shape, b.Shape)
				if err != nil {
					return nil, fmt.Errorf("%s: shapes %s and %s do not broadcast", name, tensor.ShapeString(acc.Shape), tensor.ShapeString(b.Shape))
				}
				if err := checkSize(name, shape); err != nil {
					return nil, err
				}
				out := newTensor(acc.DType, shape)
				if acc.DType == tensor.Int64 {
					broadcastApply(ik, out.I, acc.I, b.I, shape, acc.Shape, b.Shape)
				} else {
					broadcastApply(fk, out.F, acc.F, b.F, shape, acc.Shape, b.Shape)
				}
				acc = out
			}
			if len(inputs) == 1 {
				acc = acc.Clone()
			}
			if finish != nil {
				finish(acc, len(inputs))
			}
			return one(acc), nil
		}), vjp}, nil
	}
}

// variadicVJP hands each input scale·g, summed over its broadcast axes.
func variadicVJP(p *Pass, g *tensor.Tensor, scale float32) ([]*tensor.Tensor, error) {
	grads := make([]*tensor.Tensor, len(p.Inputs))
	for i, x := range p.Inputs {
		if !p.need(i) {
			continue
		}
		offs, err := broadcastOffsets(g.Shape, x.Shape)
		if err != nil {
			return nil, err
		}
		gx := tensor.New(x.Shape...)
		for j, v := range g.F {
			gx.F[offs[j]] += scale * v
		}
		grads[i] = gx
	}
	return grads, nil
}

// pickVJP is the VJP of variadic Max and Min: each output element's
// gradient goes to the first input holding the value chosen.
func pickVJP(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	y := p.Outputs[0]
	offs := make([][]int, len(p.Inputs))
	grads := make([]*tensor.Tensor, len(p.Inputs))
	for i, x := range p.Inputs {
		if x == nil || x.DType != tensor.Float32 {
			return nil, fmt.Errorf("input %d is not float32", i)
		}
		var err error
		if offs[i], err = broadcastOffsets(y.Shape, x.Shape); err != nil {
			return nil, err
		}
		if p.need(i) {
			grads[i] = tensor.New(x.Shape...)
		}
	}
	for j, v := range y.F {
		for i, x := range p.Inputs {
			if x.F[offs[i][j]] == v {
				if grads[i] != nil {
					grads[i].F[offs[i][j]] += g.F[j]
				}
				break
			}
		}
	}
	return grads, nil
}
