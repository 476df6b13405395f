package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("Add", buildAdd)
	register("Sub", binaryBuilder("Sub", subRows[float32](), subRows[int64](), nil))
	register("Mul", binaryBuilder("Mul", vectorRows(kernels.Mul, kernels.MulScalar), mulRows[int64](), nil))
	register("Div", binaryBuilder("Div", divRows[float32](), divRows[int64](), checkIntDivisor))
	register("Pow", buildPow)
	register("Sqrt", unaryBuilder("Sqrt", func(x float32) float32 { return float32(math.Sqrt(float64(x))) }))
	register("Erf", unaryBuilder("Erf", func(x float32) float32 { return float32(math.Erf(float64(x))) }))
}

type number interface{ ~float32 | ~int64 }

// The row loops are written out per operator, not built from a function
// value, so that the arithmetic is inlined; each is instantiated separately
// for float32 and int64.
func addRows[T number]() rowKernels[T] {
	return rowKernels[T]{
		vv: func(d, a, b []T) {
			b, d = b[:len(a)], d[:len(a)]
			for i, x := range a {
				d[i] = x + b[i]
			}
		},
		vs: func(d, a []T, b T) {
			d = d[:len(a)]
			for i, x := range a {
				d[i] = x + b
			}
		},
		sv: func(d []T, a T, b []T) {
			d = d[:len(b)]
			for i, y := range b {
				d[i] = a + y
			}
		},
	}
}

func subRows[T number]() rowKernels[T] {
	return rowKernels[T]{
		vv: func(d, a, b []T) {
			b, d = b[:len(a)], d[:len(a)]
			for i, x := range a {
				d[i] = x - b[i]
			}
		},
		vs: func(d, a []T, b T) {
			d = d[:len(a)]
			for i, x := range a {
				d[i] = x - b
			}
		},
		sv: func(d []T, a T, b []T) {
			d = d[:len(b)]
			for i, y := range b {
				d[i] = a - y
			}
		},
	}
}

func mulRows[T number]() rowKernels[T] {
	return rowKernels[T]{
		vv: func(d, a, b []T) {
			b, d = b[:len(a)], d[:len(a)]
			for i, x := range a {
				d[i] = x * b[i]
			}
		},
		vs: func(d, a []T, b T) {
			d = d[:len(a)]
			for i, x := range a {
				d[i] = x * b
			}
		},
		sv: func(d []T, a T, b []T) {
			d = d[:len(b)]
			for i, y := range b {
				d[i] = a * y
			}
		},
	}
}

func divRows[T number]() rowKernels[T] {
	return rowKernels[T]{
		vv: func(d, a, b []T) {
			b, d = b[:len(a)], d[:len(a)]
			for i, x := range a {
				d[i] = x / b[i]
			}
		},
		vs: func(d, a []T, b T) {
			d = d[:len(a)]
			for i, x := range a {
				d[i] = x / b
			}
		},
		sv: func(d []T, a T, b []T) {
			d = d[:len(b)]
			for i, y := range b {
				d[i] = a / y
			}
		},
	}
}

// buildAdd is Add, with a Relu or Clip fused into it when the loader asks
// (the residual Add + Relu of ResNets).
func buildAdd(n *Node) (Op, error) {
	act, err := fusedActivation("Add", n.Attrs)
	if err != nil {
		return nil, err
	}
	fk, ik := vectorRows(kernels.Add, kernels.AddScalar), addRows[int64]()
	switch act.Kind {
	case kernels.ActRelu:
		fk, ik = addClipRows(0, float32(math.Inf(1))), rowKernels[int64]{}
	case kernels.ActClip:
		fk, ik = addClipRows(act.Min, act.Max), rowKernels[int64]{}
	}
	return binaryBuilder("Add", fk, ik, nil)(n)
}

func addClipRows(lo, hi float32) rowKernels[float32] {
	return rowKernels[float32]{
		vv: func(d, a, b []float32) {
			b, d = b[:len(a)], d[:len(a)]
			for i, x := range a {
				d[i] = min(max(x+b[i], lo), hi)
			}
		},
		vs: func(d, a []float32, b float32) {
			d = d[:len(a)]
			for i, x := range a {
				d[i] = min(max(x+b, lo), hi)
			}
		},
		sv: func(d []float32, a float32, b []float32) {
			d = d[:len(b)]
			for i, y := range b {
				d[i] = min(max(a+y, lo), hi)
			}
		},
	}
}

// checkIntDivisor rejects integer division by zero, which has no value.
func checkIntDivisor(b *tensor.Tensor) error {
	if b.DType != tensor.Int64 {
		return nil
	}
	for _, v := range b.I {
		if v == 0 {
			return fmt.Errorf("Div: integer division by zero")
		}
	}
	return nil
}

// binaryBuilder returns the builder of an arithmetic operator with numpy
// broadcasting on float32 or int64 operands of the same type.
func binaryBuilder(name string, fk rowKernels[float32], ik rowKernels[int64], check func(b *tensor.Tensor) error) Builder {
	return func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required(name, inputs, 2); err != nil {
				return nil, err
			}
			a, b := inputs[0], inputs[1]
			if a.DType != b.DType {
				return nil, fmt.Errorf("%s: operand types differ (%s and %s)", name, a, b)
			}
			if a.DType == tensor.Int64 && ik.vv == nil {
				return nil, fmt.Errorf("%s: a fused activation needs float32 operands, got %s", name, a)
			}
			shape, err := tensor.BroadcastShape(a.Shape, b.Shape)
			if err != nil {
				return nil, fmt.Errorf("%s: shapes %s and %s do not broadcast", name, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
			}
			if check != nil {
				if err := check(b); err != nil {
					return nil, err
				}
			}
			if err := checkSize(name, shape); err != nil {
				return nil, err
			}
			out := newTensor(a.DType, shape)
			if a.DType == tensor.Int64 {
				broadcastApply(ik, out.I, a.I, b.I, shape, a.Shape, b.Shape)
			} else {
				broadcastApply(fk, out.F, a.F, b.F, shape, a.Shape, b.Shape)
			}
			return one(out), nil
		}), nil
	}
}

// buildPow: the result has the type of the base; the exponent may be of
// either type.
func buildPow(n *Node) (Op, error) {
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Pow", inputs, 2); err != nil {
			return nil, err
		}
		a, b := inputs[0], inputs[1]
		shape, err := tensor.BroadcastShape(a.Shape, b.Shape)
		if err != nil {
			return nil, fmt.Errorf("Pow: shapes %s and %s do not broadcast", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		if err := checkSize("Pow", shape); err != nil {
			return nil, err
		}
		if a.DType == tensor.Float32 && b.DType == tensor.Float32 {
			out := tensor.New(shape...)
			broadcastApply(rowsOf(powF), out.F, a.F, b.F, shape, a.Shape, b.Shape)
			return one(out), nil
		}
		af, bf := a.Float64s(), b.Float64s()
		tmp := make([]float64, tensor.Size(shape))
		broadcastApply(rowsOf(math.Pow), tmp, af, bf, shape, a.Shape, b.Shape)
		out := newTensor(a.DType, shape)
		for i, v := range tmp {
			if a.DType == tensor.Int64 {
				out.I[i] = int64(v)
			} else {
				out.F[i] = float32(v)
			}
		}
		return one(out), nil
	}), nil
}

func powF(x, y float32) float32 {
	switch y {
	case 2:
		return x * x
	case 0.5:
		return float32(math.Sqrt(float64(x)))
	case 1:
		return x
	}
	return float32(math.Pow(float64(x), float64(y)))
}

// vectorRows builds the row loops of a commutative float operator from its
// vector loops in kernels (both operands varying, or the second fixed).
func vectorRows(vv func(d, a, b []float32), vs func(d, a []float32, s float32)) rowKernels[float32] {
	return rowKernels[float32]{
		vv: vv,
		vs: vs,
		sv: func(d []float32, a float32, b []float32) { vs(d, b, a) },
	}
}

// rowsOf builds row loops that call f per element, for operators whose
// per-element cost dwarfs the call.
func rowsOf[T any](f func(x, y T) T) rowKernels[T] {
	return rowKernels[T]{
		vv: func(d, a, b []T) {
			for i := range d {
				d[i] = f(a[i], b[i])
			}
		},
		vs: func(d, a []T, b T) {
			for i := range d {
				d[i] = f(a[i], b)
			}
		},
		sv: func(d []T, a T, b []T) {
			for i := range d {
				d[i] = f(a, b[i])
			}
		},
	}
}

// unaryBuilder returns the builder of an elementwise float operator.
func unaryBuilder(name string, f func(x float32) float32) Builder {
	return func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required(name, inputs, 1); err != nil {
				return nil, err
			}
			x := inputs[0]
			if err := requireFloat(name, x); err != nil {
				return nil, err
			}
			out := tensor.New(x.Shape...)
			parallelFor(len(x.F), 8, func(lo, hi int) {
				dst := out.F[lo:hi]
				for i, v := range x.F[lo:hi] {
					dst[i] = f(v)
				}
			})
			return one(out), nil
		}), nil
	}
}

// sliceBuilder returns the builder of an elementwise float operator whose
// loop is f itself, for operators too costly for a call per element.
func sliceBuilder(name string, f func(dst, src []float32)) Builder {
	return func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		}), nil
	}
}
