package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("Add", buildAdd, differentiable)
	register("Sub", binaryBuilder("Sub", subRows[float32](), subRows[int64](), nil, linearGrad(1, -1)), differentiable)
	register("Mul", binaryBuilder("Mul", vectorRows(kernels.Mul, kernels.MulScalar), mulRows[int64](), nil, mulGrad), differentiable)
	register("Div", binaryBuilder("Div", divVectorRows, divRows[int64](), checkIntDivisor, divGrad), differentiable)
	register("Pow", buildPow, differentiable)
	register("Mod", buildMod, noGradient)
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

// divVectorRows are Div's float32 row loops: the vector quotients of
// kernels.Div and kernels.DivScalar (the same bits as scalar division).
var divVectorRows = rowKernels[float32]{
	vv: kernels.Div,
	vs: kernels.DivScalar,
	sv: func(d []float32, a float32, b []float32) {
		d = d[:len(b)]
		for i, y := range b {
			d[i] = a / y
		}
	},
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
	op, err := binaryBuilder("Add", fk, ik, nil, linearGrad(1, 1))(n)
	if err != nil {
		return nil, err
	}
	return fusedAdd{op.(diffFunc), act}, nil
}

// fusedAdd is Add with the activation the loader fused into it.
type fusedAdd struct {
	diffFunc
	act kernels.Activation
}

func (a fusedAdd) fused() kernels.Activation { return a.act }

func addClipRows(lo, hi float32) rowKernels[float32] {
	return rowKernels[float32]{
		vv: func(d, a, b []float32) { kernels.AddClamp(d[:len(a)], a, b, lo, hi) },
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
// broadcasting on float32 or int64 operands of the same type; grad is its
// VJP (binaryGrad of its partial derivatives, or linearGrad), nil for an
// operator without one.
func binaryBuilder(name string, fk rowKernels[float32], ik rowKernels[int64], check func(b *tensor.Tensor) error, grad gradFunc) Builder {
	return func(n *Node) (Op, error) {
		run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
			if err := budget.checkSize(name, a.DType, shape); err != nil {
				return nil, err
			}
			out := newOutput(a.DType, shape)
			if a.DType == tensor.Int64 {
				broadcastApply(ik, out.I, a.I, b.I, shape, a.Shape, b.Shape)
			} else {
				broadcastApply(fk, out.F, a.F, b.F, shape, a.Shape, b.Shape)
			}
			return one(out), nil
		})
		if grad == nil {
			return run, nil
		}
		return diffFunc{run, grad}, nil
	}
}

// buildPow: the result has the type of the base; the exponent may be of
// either type.
func buildPow(n *Node) (Op, error) {
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Pow", inputs, 2); err != nil {
			return nil, err
		}
		a, b := inputs[0], inputs[1]
		shape, err := tensor.BroadcastShape(a.Shape, b.Shape)
		if err != nil {
			return nil, fmt.Errorf("Pow: shapes %s and %s do not broadcast", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		if err := budget.checkSize("Pow", a.DType, shape); err != nil {
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
	}), binaryGrad(func(a, b, y, g float32) (float32, float32) {
		da := g * b * float32(math.Pow(float64(a), float64(b)-1))
		var db float32
		if a > 0 {
			db = g * y * float32(math.Log(float64(a)))
		}
		return da, db
	})}, nil
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

// buildMod: with fmod=0 the result takes the divisor's sign (Python's %),
// with fmod=1 the dividend's (C's fmod).
func buildMod(n *Node) (Op, error) {
	fm, err := n.Attrs.Int("fmod", 0)
	if err != nil {
		return nil, fmt.Errorf("Mod: %w", err)
	}
	fk := rowsOf(func(a, b float32) float32 {
		r := float32(math.Mod(float64(a), float64(b)))
		if fm == 0 && r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		return r
	})
	ik := rowsOf(func(a, b int64) int64 {
		r := a % b
		if fm == 0 && r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		return r
	})
	check := func(b *tensor.Tensor) error {
		if err := checkIntDivisor(b); err != nil {
			return fmt.Errorf("Mod: integer modulo by zero")
		}
		return nil
	}
	return binaryBuilder("Mod", fk, ik, check, nil)(n)
}

// variadicBuilder folds any number of broadcast inputs with a binary
// operator; finish, if set, adjusts the result given the input count. vjp
// is its VJP.
func variadicBuilder(name string, fk rowKernels[float32], ik rowKernels[int64], finish func(t *tensor.Tensor, n int), vjp gradFunc) Builder {
	return func(n *Node) (Op, error) {
		return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
				if err := budget.checkSize(name, acc.DType, shape); err != nil {
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
