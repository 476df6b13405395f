package autodiff

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("Gather", gatherVJP)
	register("Expand", expandVJP)
	register("Tile", tileVJP)
	register("Cast", castVJP)
	register("Max", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return pickVJP(n, g) })
	register("Min", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return pickVJP(n, g) })
	register("ReduceMax", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return reduceExtremeVJP(n, g) })
	register("ReduceMin", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return reduceExtremeVJP(n, g) })
	register("Mish", unary(func(_ *Node) (func(x, y float32) float32, error) {
		// mish(x) = x·tanh(softplus(x)); d/dx = tanh(sp) + x·sigmoid(x)·(1 - tanh²(sp)).
		return func(x, _ float32) float32 {
			v := float64(x)
			t := math.Tanh(math.Log1p(math.Exp(v)))
			return float32(t + v/(1+math.Exp(-v))*(1-t*t))
		}, nil
	}))
	register("Softsign", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 {
			d := 1 + math.Abs(float64(x))
			return float32(1 / (d * d))
		}, nil
	}))
}

// gatherVJP adds each output element's gradient to the data element it was
// read from (an index read twice gets both).
func gatherVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x, idx := n.Inputs[0], n.in(1)
	if idx == nil {
		return nil, fmt.Errorf("indices are missing")
	}
	a, err := n.Attrs.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(a, x.Rank())
	if err != nil {
		return nil, err
	}
	outer := tensor.Size(x.Shape[:axis])
	dim := x.Shape[axis]
	inner := tensor.Size(x.Shape[axis+1:])
	ids := idx.Int64s()
	gx := tensor.New(x.Shape...)
	for o := 0; o < outer; o++ {
		for j, id := range ids {
			if id < 0 {
				id += int64(dim)
			}
			if id < 0 || id >= int64(dim) {
				return nil, fmt.Errorf("index %d is out of range for dimension %d", ids[j], dim)
			}
			src := g.F[(o*len(ids)+j)*inner : (o*len(ids)+j+1)*inner]
			dst := gx.F[(o*dim+int(id))*inner : (o*dim+int(id)+1)*inner]
			for i, v := range src {
				dst[i] += v
			}
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// expandVJP sums the gradient over the axes the input was broadcast along.
func expandVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	offs, err := broadcastOffsets(g.Shape, x.Shape)
	if err != nil {
		return nil, err
	}
	gx := tensor.New(x.Shape...)
	for i, v := range g.F {
		gx.F[offs[i]] += v
	}
	return []*tensor.Tensor{gx}, nil
}

// tileVJP sums the gradient over the copies.
func tileVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	r := x.Rank()
	if g.Rank() != r {
		return nil, fmt.Errorf("output rank %d differs from input rank %d", g.Rank(), r)
	}
	xs := tensor.Strides(x.Shape)
	gx := tensor.New(x.Shape...)
	idx := make([]int, r)
	for _, v := range g.F {
		off := 0
		for d := 0; d < r; d++ {
			off += (idx[d] % x.Shape[d]) * xs[d]
		}
		gx.F[off] += v
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < g.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// castVJP passes the gradient of a float-to-float cast; casts to or from
// integers carry none.
func castVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if !n.need(0) || n.Outputs[0].DType != tensor.Float32 {
		return nil, nil
	}
	return []*tensor.Tensor{g.Reshaped(n.Inputs[0].Shape)}, nil
}

// pickVJP is the VJP of variadic Max and Min: each output element's
// gradient goes to the first input holding the value chosen.
func pickVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	y := n.Outputs[0]
	offs := make([][]int, len(n.Inputs))
	grads := make([]*tensor.Tensor, len(n.Inputs))
	for i, x := range n.Inputs {
		if x == nil || x.DType != tensor.Float32 {
			return nil, fmt.Errorf("input %d is not float32", i)
		}
		var err error
		if offs[i], err = broadcastOffsets(y.Shape, x.Shape); err != nil {
			return nil, err
		}
		if n.need(i) {
			grads[i] = tensor.New(x.Shape...)
		}
	}
	for j, v := range y.F {
		for i, x := range n.Inputs {
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

// reduceExtremeVJP is the VJP of ReduceMax and ReduceMin: each output's
// gradient goes to the first element of its group that holds the result.
func reduceExtremeVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x, y := n.Inputs[0], n.Outputs[0]
	kept, err := reducedShape(n, x, 18)
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
