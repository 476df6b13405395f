package ops

import (
	"fmt"
	"slices"

	"camscope/inference/tensor"
)

func init() {
	register("Gather", buildGather, differentiable)
	register("OneHot", buildOneHot, noGradient)
	register("ScatterND", buildScatterND, noGradient)
}

// buildGather: out = data indexed along axis by indices (any shape,
// negative values count from the end); the output shape is
// data.shape[:axis] + indices.shape + data.shape[axis+1:].
func buildGather(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", 0)
	if err != nil {
		return nil, fmt.Errorf("Gather: %w", err)
	}
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Gather", inputs, 2); err != nil {
			return nil, err
		}
		data, indices := inputs[0], inputs[1]
		if indices.DType != tensor.Int64 {
			return nil, fmt.Errorf("Gather: indices must be integers, got %s", indices)
		}
		if data.Rank() == 0 {
			return nil, fmt.Errorf("Gather: data must not be a scalar")
		}
		a, err := normAxis("Gather", axis, data.Rank())
		if err != nil {
			return nil, err
		}
		dim := data.Shape[a]
		idx := make([]int, len(indices.I))
		for i, v := range indices.I {
			if v < -int64(dim) || v >= int64(dim) {
				return nil, fmt.Errorf("Gather: index %d is out of range for dimension %d of size %d", v, a, dim)
			}
			if v < 0 {
				v += int64(dim)
			}
			idx[i] = int(v)
		}
		var shape []int
		shape = append(shape, data.Shape[:a]...)
		shape = append(shape, indices.Shape...)
		shape = append(shape, data.Shape[a+1:]...)
		if err := budget.checkSize("Gather", data.DType, shape); err != nil {
			return nil, err
		}
		out := newOutput(data.DType, shape)
		outer, inner := tensor.Size(data.Shape[:a]), tensor.Size(data.Shape[a+1:])
		if data.DType == tensor.Int64 {
			gatherInto(out.I, data.I, idx, outer, dim, inner)
		} else {
			gatherInto(out.F, data.F, idx, outer, dim, inner)
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return gatherVJP(p, g, axis) }}, nil
}

func gatherInto[T any](dst, src []T, idx []int, outer, dim, inner int) {
	o := 0
	for i := 0; i < outer; i++ {
		for _, j := range idx {
			s := (i*dim + j) * inner
			copy(dst[o:o+inner], src[s:s+inner])
			o += inner
		}
	}
}

// gatherVJP adds each output element's gradient to the data element it was
// read from (an index read twice gets both).
func gatherVJP(p *Pass, g *tensor.Tensor, a int64) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x, idx := p.Inputs[0], p.in(1)
	if idx == nil {
		return nil, fmt.Errorf("indices are missing")
	}
	axis, err := axisIn(a, x.Rank())
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

// buildOneHot: out has depth inserted at axis; values is [off, on];
// negative indices count from depth.
func buildOneHot(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("OneHot: %w", err)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("OneHot", inputs, 3); err != nil {
			return nil, err
		}
		idx, dt, vals := inputs[0], inputs[1], inputs[2]
		if dt.Len() != 1 {
			return nil, fmt.Errorf("OneHot: depth must hold one value")
		}
		depth := int(dt.Float64s()[0])
		if depth <= 0 {
			return nil, fmt.Errorf("OneHot: depth %d must be positive", depth)
		}
		if vals.Len() != 2 {
			return nil, fmt.Errorf("OneHot: values must hold [off, on], got %s", tensor.ShapeString(vals.Shape))
		}
		a, err := normAxis("OneHot", axis, idx.Rank()+1)
		if err != nil {
			return nil, err
		}
		shape := append(append(append([]int{}, idx.Shape[:a]...), depth), idx.Shape[a:]...)
		if err := budget.checkSize("OneHot", vals.DType, shape); err != nil {
			return nil, err
		}
		outer, inner := tensor.Size(idx.Shape[:a]), tensor.Size(idx.Shape[a:])
		out := newTensor(vals.DType, shape)
		iv := idx.Float64s()
		for o := 0; o < outer; o++ {
			for d := 0; d < depth; d++ {
				for i := 0; i < inner; i++ {
					k := int(iv[o*inner+i])
					if k < 0 {
						k += depth
					}
					at, on := (o*depth+d)*inner+i, 0
					if k == d {
						on = 1
					}
					if vals.DType == tensor.Int64 {
						out.I[at] = vals.I[on]
					} else {
						out.F[at] = vals.F[on]
					}
				}
			}
		}
		return one(out), nil
	}), nil
}

// buildScatterND: out = data with the slices that indices [..., k] address
// (the first k dimensions of data) replaced by updates, or combined with
// them by the reduction (add, mul, max, min), in the order of indices.
func buildScatterND(n *Node) (Op, error) {
	reduction, err := n.Attrs.String("reduction", "none")
	if err != nil {
		return nil, fmt.Errorf("ScatterND: %w", err)
	}
	switch reduction {
	case "none", "add", "mul", "max", "min":
	default:
		return nil, fmt.Errorf("ScatterND: unknown reduction %q", reduction)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("ScatterND", inputs, 3); err != nil {
			return nil, err
		}
		data, indices, updates := inputs[0], inputs[1], inputs[2]
		if indices.DType != tensor.Int64 || indices.Rank() == 0 {
			return nil, fmt.Errorf("ScatterND: indices must be integers of rank 1 or more, got %s", indices)
		}
		if updates.DType != data.DType {
			return nil, fmt.Errorf("ScatterND: updates %s and data %s differ in type", updates, data)
		}
		k := indices.Shape[indices.Rank()-1]
		if k > data.Rank() {
			return nil, fmt.Errorf("ScatterND: index tuples of %d for data of rank %d", k, data.Rank())
		}
		want := append(append([]int{}, indices.Shape[:indices.Rank()-1]...), data.Shape[k:]...)
		if !slices.Equal(updates.Shape, want) {
			return nil, fmt.Errorf("ScatterND: updates have shape %s, want %s", tensor.ShapeString(updates.Shape), tensor.ShapeString(want))
		}
		out := data.Clone()
		inner := tensor.Size(data.Shape[k:])
		tuples := tensor.Size(indices.Shape[:indices.Rank()-1])
		for t := 0; t < tuples; t++ {
			off := 0
			for d := 0; d < k; d++ {
				v, dim := indices.I[t*k+d], int64(data.Shape[d])
				if v < -dim || v >= dim {
					return nil, fmt.Errorf("ScatterND: index %d is out of range for dimension %d of size %d", v, d, dim)
				}
				if v < 0 {
					v += dim
				}
				off = off*int(dim) + int(v)
			}
			dst, src := off*inner, t*inner
			if data.DType == tensor.Int64 {
				scatterInto(out.I[dst:dst+inner], updates.I[src:src+inner], reduction)
			} else {
				scatterInto(out.F[dst:dst+inner], updates.F[src:src+inner], reduction)
			}
		}
		return one(out), nil
	}), nil
}

func scatterInto[T float32 | int64](dst, src []T, reduction string) {
	switch reduction {
	case "add":
		for i, v := range src {
			dst[i] += v
		}
	case "mul":
		for i, v := range src {
			dst[i] *= v
		}
	case "max":
		for i, v := range src {
			dst[i] = max(dst[i], v)
		}
	case "min":
		for i, v := range src {
			dst[i] = min(dst[i], v)
		}
	default:
		copy(dst, src)
	}
}
