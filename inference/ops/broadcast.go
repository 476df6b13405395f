package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

func init() {
	register("Expand", buildExpand, differentiable)
	register("Tile", buildTile, differentiable)
}

// bcastDim is one dimension of a broadcast loop nest: its size and the
// element strides of the two operands along it (0 where an operand is
// broadcast).
type bcastDim struct{ n, sa, sb int }

// broadcastPlan describes how to walk an output of shape out whose operands
// have shapes a and b, after dropping unit dimensions and merging adjacent
// dimensions that are contiguous in both operands. For the shapes CNNs use
// (same shape, a scalar, a per-channel [C,1,1] operand) this leaves one to
// three dimensions, so the innermost loop runs over long contiguous rows.
func broadcastPlan(out, a, b []int) []bcastDim {
	r := len(out)
	sa := alignedStrides(a, out)
	sb := alignedStrides(b, out)
	var dims []bcastDim
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		d := bcastDim{out[i], sa[i], sb[i]}
		if k := len(dims) - 1; k >= 0 {
			p := dims[k]
			if p.sa == d.sa*d.n && p.sb == d.sb*d.n {
				dims[k] = bcastDim{p.n * d.n, d.sa, d.sb}
				continue
			}
		}
		dims = append(dims, d)
	}
	if len(dims) == 0 {
		dims = append(dims, bcastDim{1, 0, 0})
	}
	return dims
}

// alignedStrides returns the strides of shape s, right-aligned to out, with
// 0 for dimensions where s is broadcast.
func alignedStrides(s, out []int) []int {
	st := make([]int, len(out))
	off := len(out) - len(s)
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[off+i] = acc
		}
		acc *= s[i]
	}
	return st
}

// rowKernels are the inner loops of a binary operator on one row: both
// operands vary (vv), the second is fixed (vs), or the first is (sv).
type rowKernels[T any] struct {
	vv func(d, a, b []T)
	vs func(d, a []T, b T)
	sv func(d []T, a T, b []T)
}

// broadcastApply computes dst = op(a, b) elementwise with numpy broadcasting;
// dst has the broadcast shape. Large outputs are split across cores, by
// rows, or within the row when there is only one.
func broadcastApply[T any](k rowKernels[T], dst, a, b []T, dshape, ashape, bshape []int) {
	if len(dst) == 0 {
		return
	}
	dims := broadcastPlan(dshape, ashape, bshape)
	last := dims[len(dims)-1]
	outer := dims[:len(dims)-1]
	n := last.n
	rows := len(dst) / n
	if rows == 1 {
		parallelFor(n, 1, func(lo, hi int) { applyRow(k, last, dst, a, b, 0, 0, 0, lo, hi) })
		return
	}
	par := parallelFor
	if last.sa == 0 || last.sb == 0 {
		// Each row scaled or shifted by one value of the other operand:
		// a tensor's channels (planes) by a value a channel, such as a
		// squeeze-excitation's Mul.
		par = parallelPlanes
	}
	par(rows, n, func(lo, hi int) {
		idx := make([]int, len(outer))
		ia, ib := 0, 0
		for j, r := len(outer)-1, lo; j >= 0; j-- {
			idx[j] = r % outer[j].n
			r /= outer[j].n
			ia += idx[j] * outer[j].sa
			ib += idx[j] * outer[j].sb
		}
		for row := lo; row < hi; row++ {
			applyRow(k, last, dst, a, b, row*n, ia, ib, 0, n)
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
	})
}

// applyRow computes elements [lo, hi) of the row at dst[o:], whose operands
// start at a[ia] and b[ib].
func applyRow[T any](k rowKernels[T], last bcastDim, dst, a, b []T, o, ia, ib, lo, hi int) {
	d := dst[o+lo : o+hi]
	switch {
	case last.sa == 1 && last.sb == 1:
		k.vv(d, a[ia+lo:ia+hi], b[ib+lo:ib+hi])
	case last.sa == 1:
		k.vs(d, a[ia+lo:ia+hi], b[ib])
	case last.sb == 1:
		k.sv(d, a[ia], b[ib+lo:ib+hi])
	default:
		// Both operands are broadcast along the row: one value, repeated.
		k.vs(d[:1], a[ia:ia+1], b[ib])
		for i := 1; i < len(d); i++ {
			d[i] = d[0]
		}
	}
}

// broadcastTo copies src (shape sshape) into dst of shape dshape, repeating
// it along broadcast dimensions.
func broadcastTo[T any](dst, src []T, dshape, sshape []int) {
	k := rowKernels[T]{
		vv: func(d, a, _ []T) { copy(d, a) },
		vs: func(d, a []T, _ T) { copy(d, a) },
		sv: func(d []T, a T, _ []T) {
			for i := range d {
				d[i] = a
			}
		},
	}
	broadcastApply(k, dst, src, src, dshape, sshape, sshape)
}

// broadcastTensor returns t broadcast to shape (t itself when the shapes
// already match).
func broadcastTensor(t *tensor.Tensor, shape []int) *tensor.Tensor {
	if tensor.EqualShape(t.Shape, shape) {
		return t
	}
	out := newTensor(t.DType, shape)
	if t.DType == tensor.Int64 {
		broadcastTo(out.I, t.I, shape, t.Shape)
	} else {
		broadcastTo(out.F, t.F, shape, t.Shape)
	}
	return out
}

// broadcastOffsets returns, for each element of a tensor of shape out (in
// row-major order), the flat index of the element of a tensor of shape in
// that numpy broadcasting reads there.
func broadcastOffsets(out, in []int) ([]int, error) {
	if len(in) > len(out) {
		return nil, fmt.Errorf("shape %s does not broadcast to %s", tensor.ShapeString(in), tensor.ShapeString(out))
	}
	r := len(out)
	stride := make([]int, r) // in's stride along each axis of out; 0 where broadcast
	acc := 1
	for i := r - 1; i >= 0; i-- {
		j := i - (r - len(in))
		if j < 0 {
			continue
		}
		switch in[j] {
		case out[i]:
			stride[i] = acc
		case 1:
		default:
			return nil, fmt.Errorf("shape %s does not broadcast to %s", tensor.ShapeString(in), tensor.ShapeString(out))
		}
		acc *= in[j]
	}
	offs := make([]int, tensor.Size(out))
	idx := make([]int, r)
	off := 0
	for k := range offs {
		offs[k] = off
		off = nextOffset(idx, out, stride, off)
	}
	return offs, nil
}

func buildExpand(n *Node) (Op, error) {
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		if err := budget.checkSize("Expand", x.DType, shape); err != nil {
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
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		if err := budget.checkSize("Tile", x.DType, shape); err != nil {
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
		nextIndex(idx, g.Shape)
	}
	return []*tensor.Tensor{gx}, nil
}
