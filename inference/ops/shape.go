package ops

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// The operators here move or reinterpret data without arithmetic; they work
// on both float32 and int64 tensors. Those that only change the shape
// (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) return a tensor
// that shares its input's data, which is safe because no operator writes
// into its inputs.

func init() {
	register("Identity", buildIdentity, differentiable)
	register("Dropout", buildDropout, differentiable)
	register("Flatten", buildFlatten, differentiable)
	register("Reshape", buildReshape, differentiable)
	register("Squeeze", buildSqueeze, differentiable)
	register("Unsqueeze", buildUnsqueeze, differentiable)
	register("Shape", buildShape, noGradient)
	register("Concat", buildConcat, differentiable)
	register("Transpose", buildTranspose, differentiable)
	register("DepthToSpace", buildDepthToSpace, differentiable)
	register("SpaceToDepth", buildSpaceToDepth, differentiable)
	register("Split", buildSplit, differentiable)
	register("Size", func(n *Node) (Op, error) {
		return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := required("Size", inputs, 1); err != nil {
				return nil, err
			}
			return one(tensor.FromInt64([]int{}, []int64{int64(inputs[0].Len())})), nil
		}), nil
	}, noGradient)
}

func buildIdentity(n *Node) (Op, error) {
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Identity", inputs, 1); err != nil {
			return nil, err
		}
		return one(alias(inputs[0], inputs[0].Shape)), nil
	}), reshapeBack}, reshapeLow}, nil
}

// buildDropout: inference is the identity. From opset 12 the ratio and
// training_mode are inputs; training mode with a non-zero ratio would need
// random numbers and is refused.
func buildDropout(n *Node) (Op, error) {
	mask := n.NumOutputs > 1
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Dropout", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if tm := in(inputs, 2); tm != nil && tm.Len() == 1 && tm.Int64s()[0] != 0 {
			ratio := float32(0.5)
			if r := in(inputs, 1); r != nil {
				var err error
				if ratio, err = scalarFloat("Dropout", "ratio", r); err != nil {
					return nil, err
				}
			}
			if ratio != 0 {
				return nil, fmt.Errorf("Dropout: training mode is not supported: this engine only runs inference")
			}
		}
		res := []*tensor.Tensor{alias(x, x.Shape)}
		if mask {
			m := tensor.NewInt64(x.Shape...)
			for i := range m.I {
				m.I[i] = 1
			}
			res = append(res, m)
		}
		return res, nil
	}), reshapeBack}, reshapeLow}, nil
}

func buildFlatten(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", 1)
	if err != nil {
		return nil, fmt.Errorf("Flatten: %w", err)
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Flatten", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		r := x.Rank()
		// axis may equal the rank (everything in the outer dimension).
		if axis < -int64(r) || axis > int64(r) {
			return nil, fmt.Errorf("Flatten: axis %d is out of range for rank %d", axis, r)
		}
		a := int(axis)
		if a < 0 {
			a += r
		}
		return one(alias(x, []int{tensor.Size(x.Shape[:a]), tensor.Size(x.Shape[a:])})), nil
	}), reshapeBack}, reshapeLow}, nil
}

func buildReshape(n *Node) (Op, error) {
	allowZero := int64(0)
	if n.Opset >= 14 {
		var err error
		if allowZero, err = n.Attrs.Int("allowzero", 0); err != nil {
			return nil, fmt.Errorf("Reshape: %w", err)
		}
	}
	// Opset 1-4 carried the shape as an attribute; keep accepting it.
	attrShape, err := n.Attrs.Ints("shape", nil)
	if err != nil {
		return nil, fmt.Errorf("Reshape: %w", err)
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Reshape", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		spec := attrShape
		if s := in(inputs, 1); s != nil {
			var err error // not the builder's: runs may be concurrent
			if spec, err = intList("Reshape", "shape", s); err != nil {
				return nil, err
			}
		} else if spec == nil {
			return nil, fmt.Errorf("Reshape: input 1 (shape) is missing")
		}
		shape, err := reshapeTarget(x.Shape, spec, allowZero != 0)
		if err != nil {
			return nil, err
		}
		return one(alias(x, shape)), nil
	}), reshapeBack}, reshapeLow}, nil
}

// reshapeTarget resolves a Reshape shape: 0 copies the input dimension
// (unless allowZero), -1 is inferred.
func reshapeTarget(in []int, spec []int64, allowZero bool) ([]int, error) {
	shape := make([]int, len(spec))
	infer := -1
	known := 1
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("Reshape: shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("Reshape: shape %v copies dimension %d of %s, which has none", spec, i, tensor.ShapeString(in))
			}
			shape[i] = in[i]
		case d < 0:
			return nil, fmt.Errorf("Reshape: invalid dimension %d in shape %v", d, spec)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	total := tensor.Size(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("Reshape: cannot reshape %s to %v", tensor.ShapeString(in), spec)
		}
		shape[infer] = total / known
	}
	if tensor.Size(shape) != total {
		return nil, fmt.Errorf("Reshape: cannot reshape %s (%d values) to %v", tensor.ShapeString(in), total, spec)
	}
	return shape, nil
}

// axesFunc gives the axes of an operator given its inputs; nil means no
// axes were given.
type axesFunc func(inputs []*tensor.Tensor) ([]int64, error)

// axesSource returns the axesFunc of Squeeze, Unsqueeze or a reduction:
// from attribute "axes" before opset since, from input 1 after.
func axesSource(op string, n *Node, since int) (axesFunc, error) {
	if n.Opset < since {
		axes, err := n.Attrs.Ints("axes", nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		return func([]*tensor.Tensor) ([]int64, error) { return axes, nil }, nil
	}
	return func(inputs []*tensor.Tensor) ([]int64, error) {
		t := in(inputs, 1)
		if t == nil {
			return nil, nil
		}
		return intList(op, "axes", t)
	}, nil
}

func buildSqueeze(n *Node) (Op, error) {
	axesOf, err := axesSource("Squeeze", n, 13)
	if err != nil {
		return nil, err
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Squeeze", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		axes, err := axesOf(inputs)
		if err != nil {
			return nil, err
		}
		drop := make([]bool, x.Rank())
		if len(axes) == 0 {
			for i, d := range x.Shape {
				drop[i] = d == 1
			}
		} else {
			ax, err := normAxes("Squeeze", axes, x.Rank())
			if err != nil {
				return nil, err
			}
			for _, a := range ax {
				if x.Shape[a] != 1 {
					return nil, fmt.Errorf("Squeeze: dimension %d of %s is not 1", a, tensor.ShapeString(x.Shape))
				}
				drop[a] = true
			}
		}
		shape := []int{}
		for i, d := range x.Shape {
			if !drop[i] {
				shape = append(shape, d)
			}
		}
		return one(alias(x, shape)), nil
	}), reshapeBack}, reshapeLow}, nil
}

func buildUnsqueeze(n *Node) (Op, error) {
	axesOf, err := axesSource("Unsqueeze", n, 13)
	if err != nil {
		return nil, err
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Unsqueeze", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		axes, err := axesOf(inputs)
		if err != nil {
			return nil, err
		}
		if len(axes) == 0 {
			return nil, fmt.Errorf("Unsqueeze: axes are missing")
		}
		r := x.Rank() + len(axes)
		ax, err := normAxes("Unsqueeze", axes, r)
		if err != nil {
			return nil, err
		}
		add := make([]bool, r)
		for _, a := range ax {
			add[a] = true
		}
		shape := make([]int, r)
		j := 0
		for i := range shape {
			if add[i] {
				shape[i] = 1
			} else {
				shape[i] = x.Shape[j]
				j++
			}
		}
		return one(alias(x, shape)), nil
	}), reshapeBack}, reshapeLow}, nil
}

func buildShape(n *Node) (Op, error) {
	start, err := n.Attrs.Int("start", 0)
	if err != nil {
		return nil, fmt.Errorf("Shape: %w", err)
	}
	_, hasEnd := n.Attrs["end"]
	end, err := n.Attrs.Int("end", 0)
	if err != nil {
		return nil, fmt.Errorf("Shape: %w", err)
	}
	if n.Opset < 15 {
		start, hasEnd = 0, false
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Shape", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		r := int64(x.Rank())
		clamp := func(v int64) int64 {
			if v < 0 {
				v += r
			}
			return min(max(v, 0), r)
		}
		s, e := clamp(start), r
		if hasEnd {
			e = clamp(end)
		}
		e = max(e, s)
		out := tensor.NewInt64(int(e - s))
		for i := range out.I {
			out.I[i] = int64(x.Shape[int(s)+i])
		}
		return one(out), nil
	}), nil
}

func buildConcat(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", 1)
	if err != nil {
		return nil, fmt.Errorf("Concat: %w", err)
	}
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(inputs) == 0 {
			return nil, fmt.Errorf("Concat: no inputs")
		}
		if err := required("Concat", inputs, len(inputs)); err != nil {
			return nil, err
		}
		first := inputs[0]
		a, err := normAxis("Concat", axis, first.Rank())
		if err != nil {
			return nil, err
		}
		shape := append([]int{}, first.Shape...)
		shape[a] = 0
		for _, t := range inputs {
			if t.DType != first.DType || t.Rank() != first.Rank() {
				return nil, fmt.Errorf("Concat: inputs %s and %s differ in type or rank", first, t)
			}
			for d := range shape {
				if d != a && t.Shape[d] != first.Shape[d] {
					return nil, fmt.Errorf("Concat: shapes %s and %s differ outside axis %d", tensor.ShapeString(first.Shape), tensor.ShapeString(t.Shape), a)
				}
			}
			shape[a] += t.Shape[a]
		}
		if err := budget.checkSize("Concat", first.DType, shape); err != nil {
			return nil, err
		}
		outer := tensor.Size(shape[:a])
		inner := tensor.Size(shape[a+1:])
		if first.DType == tensor.Float32 && outer == 1 && adjacent(inputs) {
			// The inputs were written side by side into one array (the
			// engine places them so): they already are the output.
			return one(&tensor.Tensor{Shape: shape, F: first.F[:tensor.Size(shape)]}), nil
		}
		out := newOutput(first.DType, shape)
		if first.DType == tensor.Int64 {
			concatInto(out.I, inputs, func(t *tensor.Tensor) []int64 { return t.I }, a, outer, inner)
		} else {
			concatInto(out.F, inputs, func(t *tensor.Tensor) []float32 { return t.F }, a, outer, inner)
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return concatVJP(p, g, axis) }}, nil
}

// adjacent reports whether the float32 values of ts lie one after another
// in one array, in their order.
func adjacent(ts []*tensor.Tensor) bool {
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1].F, ts[i].F
		if len(a) == 0 || len(b) == 0 || cap(a)-len(a) < len(b) || &a[:len(a)+1][len(a)] != &b[0] {
			return false
		}
	}
	return true
}

func concatInto[T any](dst []T, inputs []*tensor.Tensor, data func(*tensor.Tensor) []T, axis, outer, inner int) {
	rowOut := len(dst)
	if outer > 0 {
		rowOut = len(dst) / outer
	}
	off := 0
	for _, t := range inputs {
		row := t.Shape[axis] * inner
		src := data(t)
		for o := 0; o < outer; o++ {
			copy(dst[o*rowOut+off:o*rowOut+off+row], src[o*row:(o+1)*row])
		}
		off += row
	}
}

func buildTranspose(n *Node) (Op, error) {
	perm, err := n.Attrs.Ints("perm", nil)
	if err != nil {
		return nil, fmt.Errorf("Transpose: %w", err)
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Transpose", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		r := x.Rank()
		p := make([]int, r)
		if perm == nil {
			for i := range p {
				p[i] = r - 1 - i
			}
		} else {
			if len(perm) != r {
				return nil, fmt.Errorf("Transpose: perm %v does not fit rank %d", perm, r)
			}
			ax, err := normAxes("Transpose", perm, r)
			if err != nil {
				return nil, err
			}
			copy(p, ax)
		}
		shape := make([]int, r)
		for i, a := range p {
			shape[i] = x.Shape[a]
		}
		if keepsOrder(x.Shape, p) {
			// Only axes of size 1 move (a transformer's [1,T,C] <->
			// [T,1,C]): the values stay in order, so the output is a view.
			return one(alias(x, shape)), nil
		}
		out := newOutput(x.DType, shape)
		if x.DType == tensor.Int64 {
			permute(out.I, x.I, x.Shape, p)
		} else {
			permute(out.F, x.F, x.Shape, p)
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return transposeVJP(p, g, perm) }}, transposeLow(perm)}, nil
}

// keepsOrder reports whether reordering the axes of shape by perm leaves
// the values in the same order: the axes longer than 1 keep their order.
func keepsOrder(shape, perm []int) bool {
	last := -1
	for _, a := range perm {
		if shape[a] == 1 {
			continue
		}
		if a < last {
			return false
		}
		last = a
	}
	return true
}

// permute writes src (shape) with its axes reordered by perm into dst,
// walking dst in order with an odometer over the source strides. Axes that
// stay adjacent and in order are merged first, so that a channel shuffle
// or an NCHW<->NHWC transpose copies whole rows where it can.
func permute[T any](dst, src []T, shape []int, perm []int) {
	if len(dst) == 0 {
		return
	}
	st := tensor.Strides(shape)
	var n, s []int // merged output dims and their source strides
	for _, a := range perm {
		if shape[a] == 1 {
			continue
		}
		if k := len(n) - 1; k >= 0 && s[k] == st[a]*shape[a] {
			n[k] *= shape[a]
			s[k] = st[a]
			continue
		}
		n, s = append(n, shape[a]), append(s, st[a])
	}
	if len(n) == 0 {
		dst[0] = src[0]
		return
	}
	r := len(n)
	last, lastStride := n[r-1], s[r-1]
	if d, ok := any(dst).([]float32); ok && r >= 2 && s[r-2] == 1 && n[r-2] >= transposeSlab && lastStride != 1 {
		transposeMatrices(d, any(src).([]float32), n, s)
		return
	}
	forRows(len(dst)/last, last, n[:r-1], s[:r-1], 0, func(o, off int) {
		row := dst[o*last : (o+1)*last]
		if lastStride == 1 {
			copy(row, src[off:off+last])
			return
		}
		for i := range row {
			row[i] = src[off+i*lastStride]
		}
	})
}

// transposeSlab is how many of the source's columns transposeMatrices
// takes at a time: a block of 16x16 in registers is 16 wide. A source of
// fewer columns (an NHWC image's 3 channels moved to the front) keeps
// permute's rows, which split its long rows over the cores.
const transposeSlab = 16

// transposeMatrices is permute of float32 values where the output's last
// two merged axes (n, s: extents and source strides) are the source's
// last axis (stride 1) and another, transposed: a matrix transposed for
// each index of the axes before (attention's keys, a patch embedding's
// tokens), in slabs of transposeSlab of its columns (kernels.Transpose,
// blocks of 16x16 in registers) split over the cores.
func transposeMatrices(dst, src []float32, n, s []int) {
	const slab = transposeSlab
	r := len(n)
	last, lastStride, inner := n[r-1], s[r-1], n[r-2]
	slabs := (inner + slab - 1) / slab
	outer, outerStrides := n[:r-2], s[:r-2]
	parallelFor(len(dst)/(last*inner)*slabs, slab*last, func(u0, u1 int) {
		for u := u0; u < u1; u++ {
			g, c0 := u/slabs, u%slabs*slab
			off, q := 0, g
			for d := len(outer) - 1; d >= 0; d-- {
				off += q % outer[d] * outerStrides[d]
				q /= outer[d]
			}
			kernels.Transpose(dst[(g*inner+c0)*last:], last, src[off+c0:], lastStride, last, min(slab, inner-c0))
		}
	})
}

// reshapeBack is the VJP of the operators that only move values without
// changing their order: it hands the gradient back in the input's shape.
// Dropout is the identity at inference; its mask output gets no gradient.
func reshapeBack(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	if x.Len() != g.Len() {
		return nil, fmt.Errorf("input %s and output %s differ in size", tensor.ShapeString(x.Shape), tensor.ShapeString(g.Shape))
	}
	return []*tensor.Tensor{g.Reshaped(x.Shape)}, nil
}

// concatVJP cuts the gradient into the inputs' slabs along the axis.
func concatVJP(p *Pass, g *tensor.Tensor, a int64) ([]*tensor.Tensor, error) {
	axis, err := axisIn(a, g.Rank())
	if err != nil {
		return nil, err
	}
	outer := tensor.Size(g.Shape[:axis])
	inner := tensor.Size(g.Shape[axis+1:])
	outRow := g.Shape[axis] * inner
	grads := make([]*tensor.Tensor, len(p.Inputs))
	pos := 0 // offset of the current input's slab within an output row
	for i, x := range p.Inputs {
		if x == nil {
			continue
		}
		if x.Rank() != g.Rank() {
			return nil, fmt.Errorf("input %d has rank %d, the output %d", i, x.Rank(), g.Rank())
		}
		row := x.Shape[axis] * inner
		if p.need(i) {
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

// transposeVJP transposes the gradient back.
func transposeVJP(p *Pass, g *tensor.Tensor, perm []int64) ([]*tensor.Tensor, error) {
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
	r := x.Rank()
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
	if r > 0 && perm[r-1] == int64(r-1) && g.Shape[r-1] > 0 {
		n := g.Shape[r-1]
		// The last axis stays: a row of g is a row of gx. Rows of zeros
		// (all but the class token's in each of a vision transformer's
		// heads, once picked) are skipped.
		idx := make([]int, r-1)
		off := 0
		for row := range g.Len() / n {
			if lo, hi := tensor.NonzeroSpan(g.F[row*n : (row+1)*n]); lo < hi {
				copy(gx.F[off:off+n], g.F[row*n:])
			}
			off = nextOffset(idx, g.Shape[:r-1], stride[:r-1], off)
		}
		return []*tensor.Tensor{gx}, nil
	}
	// Only from the first to the last nonzero value of g (a vision
	// transformer's class token's row, once picked); a gradient nonzero
	// over most of its span is transposed whole, as Run transposes.
	lo, hi := tensor.NonzeroSpan(g.F)
	if lo == hi {
		return []*tensor.Tensor{gx}, nil
	}
	if 2*(hi-lo) > g.Len() {
		inv := make([]int, r)
		for i, p := range perm {
			inv[p] = i
		}
		permute(gx.F, g.F, g.Shape, inv)
		return []*tensor.Tensor{gx}, nil
	}
	idx := make([]int, r)
	off := 0
	for d, q := r-1, lo; d >= 0; d-- {
		idx[d], q = q%g.Shape[d], q/g.Shape[d]
		off += idx[d] * stride[d]
	}
	for _, v := range g.F[lo:hi] {
		gx.F[off] = v
		off = nextOffset(idx, g.Shape, stride, off)
	}
	return []*tensor.Tensor{gx}, nil
}

func blockSize(op string, n *Node) (int, error) {
	b, err := n.Attrs.Int("blocksize", 0)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if b <= 0 {
		return 0, fmt.Errorf("%s: blocksize must be positive, got %d", op, b)
	}
	return int(b), nil
}

// rearrange views x as shape6, permutes it by perm and returns it with
// shape out.
func rearrange(x *tensor.Tensor, shape6, perm, out []int) *tensor.Tensor {
	res := newTensor(x.DType, out)
	if x.DType == tensor.Int64 {
		permute(res.I, x.I, shape6, perm)
	} else {
		permute(res.F, x.F, shape6, perm)
	}
	return res
}

// buildDepthToSpace moves blocks of channels into b x b spatial blocks:
// mode DCR (default) takes the block index from the outer part of the
// channel, CRD from the inner part.
func buildDepthToSpace(n *Node) (Op, error) {
	b, err := blockSize("DepthToSpace", n)
	if err != nil {
		return nil, err
	}
	mode, err := n.Attrs.String("mode", "DCR")
	if err != nil {
		return nil, fmt.Errorf("DepthToSpace: %w", err)
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, fmt.Errorf("DepthToSpace: unknown mode %q", mode)
	}
	return traced(opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("DepthToSpace", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if x.Rank() != 4 || x.Shape[1]%(b*b) != 0 {
			return nil, fmt.Errorf("DepthToSpace: input %s must be N x C x H x W with C a multiple of %d", tensor.ShapeString(x.Shape), b*b)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1]/(b*b), x.Shape[2], x.Shape[3]
		out := []int{nb, c, h * b, w * b}
		if mode == "DCR" {
			return one(rearrange(x, []int{nb, b, b, c, h, w}, []int{0, 3, 4, 1, 5, 2}, out)), nil
		}
		return one(rearrange(x, []int{nb, c, b, b, h, w}, []int{0, 1, 4, 2, 5, 3}, out)), nil
	})), nil
}

func buildSpaceToDepth(n *Node) (Op, error) {
	b, err := blockSize("SpaceToDepth", n)
	if err != nil {
		return nil, err
	}
	return traced(opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("SpaceToDepth", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if x.Rank() != 4 || x.Shape[2]%b != 0 || x.Shape[3]%b != 0 {
			return nil, fmt.Errorf("SpaceToDepth: input %s must be N x C x H x W with H and W multiples of %d", tensor.ShapeString(x.Shape), b)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2]/b, x.Shape[3]/b
		return one(rearrange(x, []int{nb, c, h, b, w, b}, []int{0, 3, 5, 1, 2, 4}, []int{nb, c * b * b, h, w})), nil
	})), nil
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
	return splitOp{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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

// splitOp is Split: its VJP takes the gradients of all its outputs.
type splitOp struct {
	run  opFunc
	axis int64
}

func (s splitOp) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return s.run(budget, inputs)
}

// VJP puts the outputs' gradients side by side along the axis (zeros
// for outputs the scalar does not depend on).
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
