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
	register("Exp", sliceBuilder("Exp", kernels.Exp))
	register("Log", unaryBuilder("Log", f64(math.Log)))
	register("Floor", unaryBuilder("Floor", f64(math.Floor)))
	register("Ceil", unaryBuilder("Ceil", f64(math.Ceil)))
	register("Round", unaryBuilder("Round", f64(math.RoundToEven)))
	register("Reciprocal", unaryBuilder("Reciprocal", func(x float32) float32 { return 1 / x }))
	register("Sin", unaryBuilder("Sin", f64(math.Sin)))
	register("Cos", unaryBuilder("Cos", f64(math.Cos)))
	register("Neg", signedUnary("Neg", func(x float32) float32 { return -x }, func(x int64) int64 { return -x }))
	register("Abs", signedUnary("Abs", func(x float32) float32 { return float32(math.Abs(float64(x))) },
		func(x int64) int64 { return max(x, -x) }))
	register("Sign", signedUnary("Sign", func(x float32) float32 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0 and NaN
	}, func(x int64) int64 { return b2i64(x > 0) - b2i64(x < 0) }))
}

// signedUnary builds an elementwise operator defined on floats and
// integers alike.
func signedUnary(name string, f func(float32) float32, fi func(int64) int64) Builder {
	return func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		}), nil
	}
}

func init() {
	register("Max", variadicBuilder("Max", rowsOf(func(a, b float32) float32 {
		if a != a || b != b {
			return float32(math.NaN())
		}
		return max(a, b)
	}), rowsOf(func(a, b int64) int64 { return max(a, b) }), nil))
	register("Min", variadicBuilder("Min", rowsOf(func(a, b float32) float32 {
		if a != a || b != b {
			return float32(math.NaN())
		}
		return min(a, b)
	}), rowsOf(func(a, b int64) int64 { return min(a, b) }), nil))
	register("Sum", variadicBuilder("Sum", addRows[float32](), addRows[int64](), nil))
	register("Mean", variadicBuilder("Mean", addRows[float32](), rowKernels[int64]{}, func(t *tensor.Tensor, n int) {
		for i := range t.F {
			t.F[i] /= float32(n)
		}
	}))
}

// variadicBuilder folds any number of broadcast inputs with a binary
// operator; finish, if set, adjusts the result given the input count.
func variadicBuilder(name string, fk rowKernels[float32], ik rowKernels[int64], finish func(t *tensor.Tensor, n int)) Builder {
	return func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		}), nil
	}
}
