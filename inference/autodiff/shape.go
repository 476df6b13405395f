package autodiff

import (
	"fmt"

	"camscope/inference/tensor"
)

func init() {
	// Operators that only move values without changing their order hand the
	// gradient back in the input's shape. Dropout is the identity at
	// inference; its mask output gets no gradient.
	for _, op := range []string{"Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze"} {
		register(op, reshapeBack)
	}
	register("Concat", concatVJP)
	register("Pad", padVJP)
	register("Transpose", transposeVJP)
}

func reshapeBack(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	if x.Len() != g.Len() {
		return nil, fmt.Errorf("input %s and output %s differ in size", tensor.ShapeString(x.Shape), tensor.ShapeString(g.Shape))
	}
	return []*tensor.Tensor{g.Reshaped(x.Shape)}, nil
}

// concatVJP cuts the gradient into the inputs' slabs along the axis.
func concatVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	a, err := n.Attrs.Int("axis", 1)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(a, g.Rank())
	if err != nil {
		return nil, err
	}
	outer := tensor.Size(g.Shape[:axis])
	inner := tensor.Size(g.Shape[axis+1:])
	outRow := g.Shape[axis] * inner
	grads := make([]*tensor.Tensor, len(n.Inputs))
	pos := 0 // offset of the current input's slab within an output row
	for i, x := range n.Inputs {
		if x == nil {
			continue
		}
		if x.Rank() != g.Rank() {
			return nil, fmt.Errorf("input %d has rank %d, the output %d", i, x.Rank(), g.Rank())
		}
		row := x.Shape[axis] * inner
		if n.need(i) {
			gx := tensor.New(x.Shape...)
			for o := 0; o < outer; o++ {
				copy(gx.F[o*row:(o+1)*row], g.F[o*outRow+pos:o*outRow+pos+row])
			}
			grads[i] = gx
		}
		pos += row
	}
	if pos != outRow {
		return nil, fmt.Errorf("the inputs fill %d of the %d values along axis %d", pos/max(inner, 1), g.Shape[axis], axis)
	}
	return grads, nil
}

// padVJP takes back, for each input element, the gradient where constant
// padding put it (negative pads crop, and cropped elements get a zero
// gradient); the constant gets the rest. The other modes copy elements.
func padVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	mode, err := n.Attrs.String("mode", "constant")
	if err != nil {
		return nil, err
	}
	if mode != "constant" {
		// reflect, edge and wrap only copy input elements.
		return gatherLikeVJP(n, g)
	}
	if err := requireFloat(n, 0, 2); err != nil {
		return nil, err
	}
	x := n.Inputs[0]
	r := x.Rank()
	var pads []int64
	if n.Opset < 11 {
		if pads, err = n.Attrs.Ints("pads", nil); err != nil {
			return nil, err
		}
		if pads == nil {
			if pads, err = n.Attrs.Ints("paddings", nil); err != nil {
				return nil, err
			}
		}
	} else if p := n.in(1); p != nil {
		pads = p.Int64s()
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a := n.in(3); n.Opset >= 18 && a != nil {
		axes = axes[:0]
		for _, v := range a.Int64s() {
			ax, err := normAxis(v, r)
			if err != nil {
				return nil, err
			}
			axes = append(axes, ax)
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads has %d values for %d axes", len(pads), len(axes))
	}
	begin := make([]int, r)
	for i, ax := range axes {
		begin[ax] = int(pads[i])
	}
	gx := tensor.New(x.Shape...)
	var taken float64 // the part of the gradient that reaches x
	gs := tensor.Strides(g.Shape)
	idx := make([]int, r)
	for k := range gx.F {
		off, inside := 0, true
		for d := 0; d < r; d++ {
			o := idx[d] + begin[d]
			if o < 0 || o >= g.Shape[d] {
				inside = false
				break
			}
			off += o * gs[d]
		}
		if inside {
			gx.F[k] = g.F[off]
			taken += float64(g.F[off])
		}
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < x.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	grads := make([]*tensor.Tensor, len(n.Inputs))
	if n.need(0) {
		grads[0] = gx
	}
	// The constant value fills every output element that no input element
	// lands on.
	if v := n.in(2); n.Opset >= 11 && n.need(2) && v.Len() == 1 {
		total := 0.0
		for _, x := range g.F {
			total += float64(x)
		}
		grads[2] = tensor.FromFloat32(v.Shape, []float32{float32(total - taken)})
	}
	return grads, nil
}

// transposeVJP transposes the gradient back.
func transposeVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	r := x.Rank()
	perm, err := n.Attrs.Ints("perm", nil)
	if err != nil {
		return nil, err
	}
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v does not match rank %d", perm, r)
	}
	// Output axis i is input axis perm[i]: walk the gradient in order and
	// write each value where its input element lives.
	xs := tensor.Strides(x.Shape)
	stride := make([]int, r)
	for i, p := range perm {
		if p < 0 || int(p) >= r {
			return nil, fmt.Errorf("perm %v is not a permutation", perm)
		}
		stride[i] = xs[p]
	}
	gx := tensor.New(x.Shape...)
	idx := make([]int, r)
	off := 0
	for _, v := range g.F {
		gx.F[off] = v
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			off += stride[d]
			if idx[d] < g.Shape[d] {
				break
			}
			off -= stride[d] * idx[d]
			idx[d] = 0
		}
	}
	return []*tensor.Tensor{gx}, nil
}
