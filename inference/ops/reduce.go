package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// reduction describes one Reduce* operator: a transform of each element,
// how transformed elements combine, and a final transform of the result
// given the number of elements reduced.
type reduction struct {
	name string
	// axesInput is the opset from which axes come as an input.
	axesInput int
	pre       func(float64) float64 // nil: identity
	combine   func(acc, v float64) float64
	init      float64
	post      func(acc float64, n int) float64 // nil: identity
	grad      reduceGrad
}

// reduceGrad says which VJP a reduction has.
type reduceGrad uint8

const (
	noReduceGrad reduceGrad = iota
	spreadGrad              // ReduceSum, ReduceMean: reduceVJP
	pickGrad                // ReduceMax, ReduceMin: reduceExtremeVJP
)

func sumCombine(a, v float64) float64 { return a + v }

var reductions = []reduction{
	{name: "ReduceMean", axesInput: 18, combine: sumCombine, post: func(a float64, n int) float64 { return a / float64(n) }, grad: spreadGrad},
	{name: "ReduceSum", axesInput: 13, combine: sumCombine, grad: spreadGrad},
	{name: "ReduceMax", axesInput: 18, combine: math.Max, init: math.Inf(-1), grad: pickGrad},
	{name: "ReduceMin", axesInput: 18, combine: math.Min, init: math.Inf(1), grad: pickGrad},
	{name: "ReduceProd", axesInput: 18, combine: func(a, v float64) float64 { return a * v }, init: 1},
	{name: "ReduceSumSquare", axesInput: 18, pre: func(v float64) float64 { return v * v }, combine: sumCombine},
	{name: "ReduceL1", axesInput: 18, pre: math.Abs, combine: sumCombine},
	{name: "ReduceL2", axesInput: 18, pre: func(v float64) float64 { return v * v }, combine: sumCombine,
		post: func(a float64, _ int) float64 { return math.Sqrt(a) }},
	{name: "ReduceLogSum", axesInput: 18, combine: sumCombine, post: func(a float64, _ int) float64 { return math.Log(a) }},
	{name: "ReduceLogSumExp", axesInput: 18, pre: math.Exp, combine: sumCombine,
		post: func(a float64, _ int) float64 { return math.Log(a) }},
}

func init() {
	for _, r := range reductions {
		t := noGradient
		if r.grad != noReduceGrad {
			t = differentiable
		}
		register(r.name, func(n *Node) (Op, error) { return buildReduce(n, r) }, t)
	}
	register("CumSum", buildCumSum, noGradient)
}

func buildReduce(n *Node, red reduction) (Op, error) {
	name := red.name
	keep, err := n.Attrs.Int("keepdims", 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	noop, err := n.Attrs.Int("noop_with_empty_axes", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	axesOf, err := axesSource(name, n, red.axesInput)
	if err != nil {
		return nil, err
	}
	run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required(name, inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		axes, err := axesOf(inputs)
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		reduced := make([]bool, r)
		if len(axes) == 0 {
			if noop != 0 {
				return one(alias(x, x.Shape)), nil
			}
			for i := range reduced {
				reduced[i] = true
			}
		} else {
			ax, err := normAxes(name, axes, r)
			if err != nil {
				return nil, err
			}
			for _, a := range ax {
				reduced[a] = true
			}
		}
		var shape, kept []int
		for d, sz := range x.Shape {
			if reduced[d] {
				kept = append(kept, 1)
				if keep != 0 {
					shape = append(shape, 1)
				}
			} else {
				kept = append(kept, sz)
				shape = append(shape, sz)
			}
		}
		count := x.Len() / max(tensor.Size(kept), 1)
		if x.Len() == 0 {
			count = 0
		}
		acc := make([]float64, tensor.Size(kept))
		for i := range acc {
			acc[i] = red.init
		}
		if red.name == "ReduceMean" || red.name == "ReduceSum" {
			if x.DType == tensor.Float32 {
				sumRowsF32(acc, x.F, x.Shape, kept)
			} else {
				reduceRows(acc, x.I, x.Shape, kept, func(v int64) float64 { return float64(v) }, sumCombine)
			}
		} else {
			pre := red.pre
			if pre == nil {
				pre = func(v float64) float64 { return v }
			}
			if x.DType == tensor.Float32 {
				reduceRows(acc, x.F, x.Shape, kept, func(v float32) float64 { return pre(float64(v)) }, red.combine)
			} else {
				reduceRows(acc, x.I, x.Shape, kept, func(v int64) float64 { return pre(float64(v)) }, red.combine)
			}
		}
		out := newTensor(x.DType, shape)
		for i, a := range acc {
			if red.post != nil {
				a = red.post(a, count)
			}
			if x.DType == tensor.Int64 {
				out.I[i] = int64(a)
			} else {
				out.F[i] = float32(a)
			}
		}
		return one(out), nil
	})
	switch red.grad {
	case spreadGrad:
		return diffFunc{run, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
			return reduceVJP(p, g, axesOf, noop != 0, name == "ReduceMean")
		}}, nil
	case pickGrad:
		return diffFunc{run, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
			return reduceExtremeVJP(p, g, axesOf, noop != 0)
		}}, nil
	}
	return run, nil
}

// walkReduce calls row for every row of an input of the given shape, with
// the row's offset in the input, the offset of its accumulators in an
// output of shape kept (1 on reduced axes), the row length, and whether the
// row folds into one accumulator (true) or into a row of them. Adjacent
// dimensions that are reduced alike are merged first, so rows are long.
func walkReduce(shape, kept []int, row func(ia, ib, n int, fold bool)) {
	if tensor.Size(shape) == 0 {
		return
	}
	// In the plan, the "b" operand is the output: stride 0 on reduced axes.
	dims := broadcastPlan(shape, shape, kept)
	last := dims[len(dims)-1]
	outer := dims[:len(dims)-1]
	idx := make([]int, len(outer))
	ia, ib := 0, 0
	for o, total := 0, tensor.Size(shape); o < total; o += last.n {
		row(ia, ib, last.n, last.sb == 0)
		for j := len(outer) - 1; j >= 0; j-- {
			idx[j]++
			ia += outer[j].sa
			ib += outer[j].sb
			if idx[j] < outer[j].n {
				break
			}
			ia -= outer[j].sa * outer[j].n
			ib -= outer[j].sb * outer[j].n
			idx[j] = 0
		}
	}
}

// reduceRows folds every element of src into acc.
func reduceRows[T any](acc []float64, src []T, shape, kept []int, conv func(T) float64, combine func(a, v float64) float64) {
	walkReduce(shape, kept, func(ia, ib, n int, fold bool) {
		row := src[ia : ia+n]
		if fold {
			a := acc[ib]
			for _, v := range row {
				a = combine(a, conv(v))
			}
			acc[ib] = a
			return
		}
		dst := acc[ib : ib+n]
		for i, v := range row {
			dst[i] = combine(dst[i], conv(v))
		}
	})
}

// sumRowsF32 is reduceRows for float32 sums, the common case (ReduceMean
// over spatial axes in squeeze-and-excitation blocks), without a function
// call per element.
func sumRowsF32(acc []float64, src []float32, shape, kept []int) {
	walkReduce(shape, kept, func(ia, ib, n int, fold bool) {
		row := src[ia : ia+n]
		if fold {
			acc[ib] += float64(kernels.Sum(row))
			return
		}
		dst := acc[ib : ib+n]
		for i, v := range row {
			dst[i] += float64(v)
		}
	})
}

// reduceVJP spreads each output's gradient over the elements it summed
// (divided by their count for a mean).
func reduceVJP(p *Pass, g *tensor.Tensor, axesOf axesFunc, noop, mean bool) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	kept, err := reducedShape(p, x, axesOf, noop)
	if err != nil {
		return nil, err
	}
	if kept == nil {
		return []*tensor.Tensor{g.Reshaped(x.Shape)}, nil
	}
	if g.Len() != tensor.Size(kept) {
		return nil, fmt.Errorf("output gradient %s does not match the reduction of %s", tensor.ShapeString(g.Shape), tensor.ShapeString(x.Shape))
	}
	offs, err := broadcastOffsets(x.Shape, kept)
	if err != nil {
		return nil, err
	}
	scale := float32(1)
	if count := x.Len() / max(tensor.Size(kept), 1); mean && count > 0 {
		scale = 1 / float32(count)
	}
	gx := tensor.New(x.Shape...)
	for i := range gx.F {
		gx.F[i] = g.F[offs[i]] * scale
	}
	return []*tensor.Tensor{gx}, nil
}

// reducedShape returns x's shape with 1 on the reduced axes, or nil when
// the reduction is the identity (empty axes with noop_with_empty_axes),
// reading the axes as the forward pass did.
func reducedShape(p *Pass, x *tensor.Tensor, axesOf axesFunc, noop bool) ([]int, error) {
	r := x.Rank()
	axes, err := axesOf(p.Inputs)
	if err != nil {
		return nil, err
	}
	if len(axes) == 0 {
		if noop {
			return nil, nil
		}
		for i := 0; i < r; i++ {
			axes = append(axes, int64(i))
		}
	}
	kept := append([]int(nil), x.Shape...)
	for _, a := range axes {
		ax, err := axisIn(a, r)
		if err != nil {
			return nil, err
		}
		kept[ax] = 1
	}
	return kept, nil
}

// reduceExtremeVJP is the VJP of ReduceMax and ReduceMin: each output's
// gradient goes to the first element of its group that holds the result.
func reduceExtremeVJP(p *Pass, g *tensor.Tensor, axesOf axesFunc, noop bool) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x, y := p.Inputs[0], p.Outputs[0]
	kept, err := reducedShape(p, x, axesOf, noop)
	if err != nil {
		return nil, err
	}
	if kept == nil {
		return []*tensor.Tensor{g.Reshaped(x.Shape)}, nil
	}
	offs, err := broadcastOffsets(x.Shape, kept)
	if err != nil {
		return nil, err
	}
	gx := tensor.New(x.Shape...)
	done := make([]bool, y.Len())
	for i, v := range x.F {
		if o := offs[i]; !done[o] && v == y.F[o] {
			gx.F[i] = g.F[o]
			done[o] = true
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// buildCumSum sums along the axis given as input 1, optionally excluding
// each element itself and from the end.
func buildCumSum(n *Node) (Op, error) {
	excl, err := n.Attrs.Int("exclusive", 0)
	if err != nil {
		return nil, fmt.Errorf("CumSum: %w", err)
	}
	rev, err := n.Attrs.Int("reverse", 0)
	if err != nil {
		return nil, fmt.Errorf("CumSum: %w", err)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("CumSum", inputs, 2); err != nil {
			return nil, err
		}
		x, at := inputs[0], inputs[1]
		if at.DType != tensor.Int64 || at.Len() != 1 {
			return nil, fmt.Errorf("CumSum: axis must be one integer")
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("CumSum: input must not be a scalar")
		}
		a, err := normAxis("CumSum", at.I[0], x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		out := newTensor(x.DType, x.Shape)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				var sf float32
				var si int64
				for j := range dim {
					k := j
					if rev != 0 {
						k = dim - 1 - j
					}
					at := (o*dim+k)*inner + i
					if x.DType == tensor.Int64 {
						if excl != 0 {
							out.I[at], si = si, si+x.I[at]
						} else {
							si += x.I[at]
							out.I[at] = si
						}
						continue
					}
					if excl != 0 {
						out.F[at], sf = sf, sf+x.F[at]
					} else {
						sf += x.F[at]
						out.F[at] = sf
					}
				}
			}
		}
		return one(out), nil
	}), nil
}
