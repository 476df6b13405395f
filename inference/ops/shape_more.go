package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

// More data-movement operators, found in exported graphs' shape arithmetic
// and in architectures like ShuffleNet (Split).

func init() {
	register("Split", buildSplit, differentiable)
	register("Expand", buildExpand, differentiable)
	register("Tile", buildTile, differentiable)
	register("ConstantOfShape", buildConstantOfShape, noGradient)
	register("Range", buildRange, noGradient)
	register("Size", func(n *Node) (Op, error) {
		return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required("Size", inputs, 1); err != nil {
				return nil, err
			}
			return one(tensor.FromInt64([]int{}, []int64{int64(inputs[0].Len())})), nil
		}), nil
	}, noGradient)
}

// buildSplit: the sizes come from the `split` attribute before opset 13 and
// input 1 from 13; without them the axis is split evenly into the declared
// outputs (from opset 18, num_outputs parts, the last one smaller).
func buildSplit(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", 0)
	if err != nil {
		return nil, fmt.Errorf("Split: %w", err)
	}
	var attrSplit []int64
	if n.Opset < 13 {
		if attrSplit, err = n.Attrs.Ints("split", nil); err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
	}
	parts, err := n.Attrs.Int("num_outputs", int64(n.NumOutputs))
	if err != nil {
		return nil, fmt.Errorf("Split: %w", err)
	}
	return splitOp{opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Split", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		a, err := normAxis("Split", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		dim := x.Shape[a]
		sizes := attrSplit
		if t := in(inputs, 1); n.Opset >= 13 && t != nil {
			if sizes, err = intList("Split", "split", t); err != nil {
				return nil, err
			}
		}
		if len(sizes) == 0 {
			if parts <= 0 {
				return nil, fmt.Errorf("Split: nothing says how many parts")
			}
			chunk := (int64(dim) + parts - 1) / parts
			if n.Opset < 18 && int64(dim)%parts != 0 {
				return nil, fmt.Errorf("Split: dimension %d of size %d does not split evenly into %d parts", a, dim, parts)
			}
			for left := int64(dim); left > 0 || int64(len(sizes)) < parts; left -= chunk {
				sizes = append(sizes, min(chunk, max(left, 0)))
			}
		}
		total := int64(0)
		for _, s := range sizes {
			if s < 0 {
				return nil, fmt.Errorf("Split: negative size in %v", sizes)
			}
			total += s
		}
		if total != int64(dim) {
			return nil, fmt.Errorf("Split: sizes %v do not add up to dimension %d of %s", sizes, a, tensor.ShapeString(x.Shape))
		}
		outer, inner := tensor.Size(x.Shape[:a]), tensor.Size(x.Shape[a+1:])
		var outs []*tensor.Tensor
		off := 0
		for _, s := range sizes {
			shape := append([]int{}, x.Shape...)
			shape[a] = int(s)
			o := newTensor(x.DType, shape)
			row := int(s) * inner
			for i := 0; i < outer; i++ {
				src := i*dim*inner + off
				if x.DType == tensor.Int64 {
					copy(o.I[i*row:(i+1)*row], x.I[src:src+row])
				} else {
					copy(o.F[i*row:(i+1)*row], x.F[src:src+row])
				}
			}
			off += row
			outs = append(outs, o)
		}
		return outs, nil
	}), axis}, nil
}

// shapeInput reads a shape given as an int64 tensor.
func shapeInput(op string, t *tensor.Tensor) ([]int, error) {
	v, err := intList(op, "shape", t)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(v))
	for i, d := range v {
		if d < 0 {
			return nil, fmt.Errorf("%s: negative dimension in shape %v", op, v)
		}
		shape[i] = int(d)
	}
	return shape, nil
}

func buildExpand(n *Node) (Op, error) {
	return diffFunc{opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Expand", inputs, 2); err != nil {
			return nil, err
		}
		x := inputs[0]
		s, err := shapeInput("Expand", inputs[1])
		if err != nil {
			return nil, err
		}
		shape, err := tensor.BroadcastShape(x.Shape, s)
		if err != nil {
			return nil, fmt.Errorf("Expand: %s does not broadcast to %v", tensor.ShapeString(x.Shape), s)
		}
		if err := checkSize("Expand", shape); err != nil {
			return nil, err
		}
		out := broadcastTensor(x, shape)
		if out == x {
			out = alias(x, shape)
		}
		return one(out), nil
	}), expandVJP}, nil
}

func buildTile(n *Node) (Op, error) {
	return diffFunc{opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Tile", inputs, 2); err != nil {
			return nil, err
		}
		x := inputs[0]
		reps, err := intList("Tile", "repeats", inputs[1])
		if err != nil {
			return nil, err
		}
		if len(reps) != x.Rank() {
			return nil, fmt.Errorf("Tile: %d repeats for rank %d", len(reps), x.Rank())
		}
		// Tiling is broadcasting [r0, d0, r1, d1, ...] from [1, d0, 1, d1, ...].
		var from, to, shape []int
		for i, r := range reps {
			if r < 0 {
				return nil, fmt.Errorf("Tile: negative repeat %d", r)
			}
			from = append(from, 1, x.Shape[i])
			to = append(to, int(r), x.Shape[i])
			shape = append(shape, int(r)*x.Shape[i])
		}
		if err := checkSize("Tile", shape); err != nil {
			return nil, err
		}
		out := newTensor(x.DType, shape)
		if x.DType == tensor.Int64 {
			broadcastTo(out.I, x.I, to, from)
		} else {
			broadcastTo(out.F, x.F, to, from)
		}
		return one(out), nil
	}), tileVJP}, nil
}

func buildConstantOfShape(n *Node) (Op, error) {
	v, err := n.Attrs.Tensor("value")
	if err != nil {
		return nil, fmt.Errorf("ConstantOfShape: %w", err)
	}
	if v == nil {
		v = tensor.FromFloat32([]int{1}, []float32{0})
	}
	if v.Len() != 1 {
		return nil, fmt.Errorf("ConstantOfShape: value must hold one element, got %s", tensor.ShapeString(v.Shape))
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("ConstantOfShape", inputs, 1); err != nil {
			return nil, err
		}
		shape, err := shapeInput("ConstantOfShape", inputs[0])
		if err != nil {
			return nil, err
		}
		if err := checkSize("ConstantOfShape", shape); err != nil {
			return nil, err
		}
		out := newTensor(v.DType, shape)
		if v.DType == tensor.Int64 {
			for i := range out.I {
				out.I[i] = v.I[0]
			}
		} else {
			for i := range out.F {
				out.F[i] = v.F[0]
			}
		}
		return one(out), nil
	}), nil
}

func buildRange(n *Node) (Op, error) {
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Range", inputs, 3); err != nil {
			return nil, err
		}
		start, limit, delta := inputs[0], inputs[1], inputs[2]
		for _, t := range inputs[:3] {
			if t.Len() != 1 || t.DType != start.DType {
				return nil, fmt.Errorf("Range: start, limit and delta must be scalars of one type, got %s, %s, %s", start, limit, delta)
			}
		}
		if start.DType == tensor.Int64 {
			s, l, d := start.I[0], limit.I[0], delta.I[0]
			if d == 0 {
				return nil, fmt.Errorf("Range: delta is 0")
			}
			cnt := max(0, (l-s+d-sign64(d))/d)
			if cnt > 1<<31 {
				return nil, fmt.Errorf("Range: %d elements is too many", cnt)
			}
			out := tensor.NewInt64(int(cnt))
			for i := range out.I {
				out.I[i] = s + int64(i)*d
			}
			return one(out), nil
		}
		s, l, d := float64(start.F[0]), float64(limit.F[0]), float64(delta.F[0])
		if d == 0 {
			return nil, fmt.Errorf("Range: delta is 0")
		}
		cnt := max(0, math.Ceil((l-s)/d))
		if !(cnt <= 1<<31) {
			return nil, fmt.Errorf("Range: %v elements is too many", cnt)
		}
		out := tensor.New(int(cnt))
		// Accumulate as the spec's loop does: start, start+delta, ...
		v := start.F[0]
		for i := range out.F {
			out.F[i] = v
			v += delta.F[0]
		}
		return one(out), nil
	}), nil
}

func sign64(v int64) int64 {
	if v < 0 {
		return -1
	}
	return 1
}

// expandVJP sums the gradient over the axes the input was broadcast along.
func expandVJP(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
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
func tileVJP(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
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

// VJP puts the outputs' gradients side by side along the axis (zeros
// for outputs the scalar does not depend on).
// splitOp is Split: its VJP takes the gradients of all its outputs.
type splitOp struct {
	run  opFunc
	axis int64
}

func (s splitOp) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) { return s.run(inputs) }

func (s splitOp) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	axis, err := axisIn(s.axis, x.Rank())
	if err != nil {
		return nil, err
	}
	outer := tensor.Size(x.Shape[:axis])
	inner := tensor.Size(x.Shape[axis+1:])
	row := x.Shape[axis] * inner
	gx := tensor.New(x.Shape...)
	pos := 0
	for i, y := range p.Outputs {
		if y == nil {
			return nil, fmt.Errorf("the value of output %d is missing", i)
		}
		part := y.Shape[axis] * inner
		if g := gs[i]; g != nil {
			for o := 0; o < outer; o++ {
				copy(gx.F[o*row+pos:o*row+pos+part], g.F[o*part:(o+1)*part])
			}
		}
		pos += part
	}
	if pos != row {
		return nil, fmt.Errorf("the outputs hold %d of the %d values along axis %d", pos/max(inner, 1), x.Shape[axis], axis)
	}
	return []*tensor.Tensor{gx}, nil
}
