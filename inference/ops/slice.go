package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

func init() { register("Slice", buildSlice, differentiable) }

// buildSlice: starts, ends and axes are attributes before opset 10; from 10
// they are inputs, with optional axes and steps. Bounds are clamped as the
// spec says, so ends like INT64_MAX mean "to the end".
func buildSlice(n *Node) (Op, error) {
	var aStarts, aEnds, aAxes []int64
	if n.Opset < 10 {
		var err error
		if aStarts, err = n.Attrs.Ints("starts", nil); err != nil {
			return nil, fmt.Errorf("Slice: %w", err)
		}
		if aEnds, err = n.Attrs.Ints("ends", nil); err != nil {
			return nil, fmt.Errorf("Slice: %w", err)
		}
		if aAxes, err = n.Attrs.Ints("axes", nil); err != nil {
			return nil, fmt.Errorf("Slice: %w", err)
		}
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Slice", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		starts, ends, axes := aStarts, aEnds, aAxes
		var steps []int64
		if n.Opset >= 10 {
			if err := required("Slice", inputs, 3); err != nil {
				return nil, err
			}
			var err error
			if starts, err = intList("Slice", "starts", inputs[1]); err != nil {
				return nil, err
			}
			if ends, err = intList("Slice", "ends", inputs[2]); err != nil {
				return nil, err
			}
			if t := in(inputs, 3); t != nil {
				if axes, err = intList("Slice", "axes", t); err != nil {
					return nil, err
				}
			}
			if t := in(inputs, 4); t != nil {
				if steps, err = intList("Slice", "steps", t); err != nil {
					return nil, err
				}
			}
		}
		r := x.Rank()
		if len(starts) != len(ends) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
			return nil, fmt.Errorf("Slice: starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
		}
		if axes == nil {
			if len(starts) > r {
				return nil, fmt.Errorf("Slice: %d starts for rank %d", len(starts), r)
			}
			axes = make([]int64, len(starts))
			for i := range axes {
				axes[i] = int64(i)
			}
		}
		ax, err := normAxes("Slice", axes, r)
		if err != nil {
			return nil, err
		}
		first := make([]int, r)
		step := make([]int, r)
		shape := append([]int{}, x.Shape...)
		for d := range step {
			step[d] = 1
		}
		for i, a := range ax {
			st := int64(1)
			if steps != nil {
				st = steps[i]
			}
			if st == 0 {
				return nil, fmt.Errorf("Slice: step 0 on axis %d", a)
			}
			b, cnt := sliceRange(starts[i], ends[i], st, int64(x.Shape[a]))
			first[a], step[a], shape[a] = int(b), int(st), int(cnt)
		}
		out := newOutput(x.DType, shape)
		if x.DType == tensor.Int64 {
			sliceInto(out.I, x.I, shape, x.Shape, first, step)
		} else {
			sliceInto(out.F, x.F, shape, x.Shape, first, step)
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return sliceVJP(p, g, n.Opset, aStarts, aAxes)
	}}, sliceLow(n.Opset, aStarts, aAxes)}, nil
}

// sliceRange clamps start and end on a dimension of size dim and returns
// the first index and the number of elements taken.
func sliceRange(start, end, step, dim int64) (first, count int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end <= start {
			return start, 0
		}
		return start, (end-start-1)/step + 1
	}
	start = min(max(start, -1), dim-1)
	end = min(max(end, -1), dim-1)
	if start <= end {
		return 0, 0
	}
	if step < -dim {
		// Only the first element; also keeps -step from overflowing.
		return start, 1
	}
	return start, (start-end-1)/-step + 1
}

// sliceInto copies the strided selection of src into dst.
func sliceInto[T any](dst, src []T, shape, sshape, first, step []int) {
	if len(dst) == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	sst := tensor.Strides(sshape)
	base := 0
	for d := range first {
		base += first[d] * sst[d]
	}
	for d := range sst {
		sst[d] *= step[d] // the source's stride per output element
	}
	last, lstep := shape[r-1], sst[r-1]
	forRows(len(dst)/last, last, shape[:r-1], sst[:r-1], base, func(o, off int) {
		row := dst[o*last : (o+1)*last]
		if lstep == 1 {
			copy(row, src[off:off+last])
			return
		}
		for i := range row {
			row[i] = src[off+i*lstep]
		}
	})
}

// sliceVJP scatters the gradient back to the elements the slice read
// (before opset 10, the attributes attrStarts and attrAxes). The effective
// start of each axis follows ONNX's clamping; the output's shape
// gives the count.
func sliceVJP(p *Pass, g *tensor.Tensor, opset int, attrStarts, attrAxes []int64) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	r := x.Rank()
	begin, stride, err := sliceBegin(p, opset, attrStarts, attrAxes)
	if err != nil {
		return nil, err
	}
	xs := tensor.Strides(x.Shape)
	gx := tensor.New(x.Shape...)
	// Row by row along the last axis, over the rows from the first to the
	// last holding a nonzero g (a vision transformer's class token's, once
	// picked): the others put zeros into gx.
	lo, hi := tensor.NonzeroSpan(g.F)
	if r == 0 || lo == hi {
		return []*tensor.Tensor{gx}, nil
	}
	n := g.Shape[r-1]
	idx := make([]int, r-1)
	for row := lo / n; row < (hi+n-1)/n; row++ {
		for d, q := r-2, row; d >= 0; d-- {
			idx[d], q = q%g.Shape[d], q/g.Shape[d]
		}
		off := begin[r-1] * xs[r-1]
		for d, i := range idx {
			off += (begin[d] + i*stride[d]) * xs[d]
		}
		step := stride[r-1] * xs[r-1]
		if step == 1 {
			copy(gx.F[off:off+n], g.F[row*n:(row+1)*n])
			continue
		}
		for _, v := range g.F[row*n : (row+1)*n] {
			gx.F[off] = v
			off += step
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// sliceBegin returns the first index a Slice read along each axis of its
// input and its step there (before opset 10, from the attributes
// attrStarts and attrAxes), clamped as ONNX says.
func sliceBegin(p *Pass, opset int, attrStarts, attrAxes []int64) (begin, stride []int, err error) {
	x := p.Inputs[0]
	r := x.Rank()
	var starts, axes, steps []int64
	if opset < 10 {
		starts, axes = attrStarts, attrAxes
	} else {
		if t := p.in(1); t != nil {
			starts = t.Int64s()
		}
		if t := p.in(3); t != nil {
			axes = t.Int64s()
		}
		if t := p.in(4); t != nil {
			steps = t.Int64s()
		}
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, fmt.Errorf("starts %v, axes %v and steps %v differ in length", starts, axes, steps)
	}
	begin, stride = make([]int, r), make([]int, r)
	for i := range stride {
		stride[i] = 1
	}
	for i, a := range axes {
		ax, err := axisIn(a, r)
		if err != nil {
			return nil, nil, err
		}
		dim, st := int64(x.Shape[ax]), int64(1)
		if steps != nil {
			st = steps[i]
		}
		s := starts[i]
		if s < 0 {
			s += dim
		}
		if st > 0 {
			s = min(max(s, 0), dim)
		} else {
			s = min(max(s, 0), dim-1)
		}
		begin[ax], stride[ax] = int(s), int(st)
	}
	return begin, stride, nil
}

// sliceLow is sliceVJP's low-rank form, for steps of 1: the terms padded.
func sliceLow(opset int, attrStarts, attrAxes []int64) lowGradFunc {
	return func(p *Pass, g *tensor.Tensor, low *LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
		if low == nil || p.Inputs[0].DType != tensor.Float32 || tensor.Size(low.Shape) == 0 {
			return nil, nil, false, nil
		}
		if !p.need(0) {
			return nil, nil, true, nil
		}
		begin, stride, err := sliceBegin(p, opset, attrStarts, attrAxes)
		if err != nil {
			return nil, nil, false, err
		}
		for _, s := range stride {
			if s != 1 {
				return nil, nil, false, nil
			}
		}
		var grads []*tensor.Tensor
		if g != nil {
			if grads, err = sliceVJP(p, g, opset, attrStarts, attrAxes); err != nil {
				return nil, nil, false, err
			}
		}
		return grads, []*LowRank{low.padBack(p.Inputs[0].Shape, begin)}, true, nil
	}
}
