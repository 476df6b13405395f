package ops

import (
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
	register("Sqrt", unaryBuilder("Sqrt", func(x float32) float32 { return float32(math.Sqrt(float64(x))) },
		func(_, y float32) float32 { return 0.5 / y }), differentiable)
	register("Erf", sliceBuilder("Erf", kernels.Erf,
		func(x, _ float32) float32 { return float32(2 / math.SqrtPi * math.Exp(-float64(x)*float64(x))) }), differentiable)
}

// signedUnary builds an elementwise operator defined on floats and
// integers alike; d is its derivative, as for unaryBuilder.
func signedUnary(name string, f func(float32) float32, fi func(int64) int64, d func(x, y float32) float32) Builder {
	return func(n *Node) (Op, error) {
		return withDerivative(opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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

// unaryBuilder returns the builder of an elementwise float operator; its
// derivative d, if not nil, gives it a VJP (see withDerivative).
func unaryBuilder(name string, f func(x float32) float32, d func(x, y float32) float32) Builder {
	return sliceBuilder(name, func(dst, src []float32) {
		for i, v := range src {
			dst[i] = f(v)
		}
	}, d)
}

// sliceBuilder returns the builder of an elementwise float operator whose
// loop is f itself, for operators too costly for a call per element; its
// derivative d, if not nil, gives it a VJP (see withDerivative).
func sliceBuilder(name string, f func(dst, src []float32), d func(x, y float32) float32) Builder {
	return func(n *Node) (Op, error) {
		return withDerivative(opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required(name, inputs, 1); err != nil {
				return nil, err
			}
			x := inputs[0]
			if err := requireFloat(name, x); err != nil {
				return nil, err
			}
			out := tensor.New(x.Shape...)
			parallelFor(len(x.F), 8, func(lo, hi int) { f(out.F[lo:hi], x.F[lo:hi]) })
			return one(out), nil
		}), d), nil
	}
}

// withDerivative returns run, with the VJP of an elementwise operator whose
// derivative, in terms of its input x and output y, is d (none when d is
// nil).
func withDerivative(run opFunc, d func(x, y float32) float32) Op {
	if d == nil {
		return run
	}
	return diffFunc{run, unaryGrad(d)}
}
