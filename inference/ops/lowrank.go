package ops

import (
	"fmt"
	"slices"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// LowRank is a gradient held as a sum of outer products instead of its
// values: a vision transformer's attention, below the class token once it
// is picked, gives its keys and values gradients that are one outer
// product per head (each head's keys' gradient is the product of the class
// token's query and its row of the scores' gradient). Kept in this form
// through the transposes, reshapes and slices back to the joint query, key
// and value projection, their gradient through that product's weights is
// one small product per term instead of a GEMM over every token (vit_tiny:
// 196x192x384 multiply-adds per class).
type LowRank struct {
	Shape []int
	Terms []Term
}

// Side values of Term.At: an axis that runs over U's values or V's.
const (
	inU = -1
	inV = -2
)

// Term is one outer product: zero but where each axis a with At[a] >= 0
// is at index At[a], and there U's value at its axes times V's at its
// axes, where U's axes are those with At[a] == inU (in increasing order,
// U row-major over them) and V's those with inV. An axis of size 1 is
// always fixed at 0.
type Term struct {
	At   []int
	U, V []float32
}

// factorDims returns the axes of the factor on side (inU or inV) and their
// sizes.
func (t Term) factorDims(shape []int, side int) (axes, dims []int) {
	for a, s := range t.At {
		if s == side {
			axes, dims = append(axes, a), append(dims, shape[a])
		}
	}
	return axes, dims
}

func (t Term) factor(side int) []float32 {
	if side == inU {
		return t.U
	}
	return t.V
}

func (t *Term) setFactor(side int, f []float32) {
	if side == inU {
		t.U = f
	} else {
		t.V = f
	}
}

// Check reports whether l is well formed for a gradient of shape.
func (l *LowRank) Check(shape []int) error {
	if !tensor.EqualShape(l.Shape, shape) {
		return fmt.Errorf("low-rank gradient of shape %s for a tensor %s", tensor.ShapeString(l.Shape), tensor.ShapeString(shape))
	}
	for i, t := range l.Terms {
		if len(t.At) != len(shape) {
			return fmt.Errorf("term %d has %d axes for a tensor %s", i, len(t.At), tensor.ShapeString(shape))
		}
		for a, s := range t.At {
			if s >= shape[a] || s < inV || shape[a] == 1 && s != 0 {
				return fmt.Errorf("term %d: axis %d of size %d has position %d", i, a, shape[a], s)
			}
		}
		for _, side := range []int{inU, inV} {
			_, dims := t.factorDims(shape, side)
			if n := tensor.Size(dims); len(t.factor(side)) != n {
				return fmt.Errorf("term %d: a factor of %d values over %d positions", i, len(t.factor(side)), n)
			}
		}
	}
	return nil
}

// AddTo adds l's values into dst, which has l's shape (row-major). The
// terms whose factors lie on the same axes at the same fixed indices, and
// whose factors each run over evenly spaced elements, one of them
// contiguous, go through one product: dst's block += Us·Vs over the terms.
func (l *LowRank) AddTo(dst []float32) {
	strides := tensor.Strides(l.Shape)
	done := make([]bool, len(l.Terms))
	for i, t := range l.Terms {
		if done[i] {
			continue
		}
		var group []Term
		for j := i; j < len(l.Terms); j++ {
			if !done[j] && slices.Equal(l.Terms[j].At, t.At) {
				done[j] = true
				group = append(group, l.Terms[j])
			}
		}
		base := 0
		for a, s := range t.At {
			if s >= 0 {
				base += s * strides[a]
			}
		}
		ou, ov := factorOffsets(l.Shape, strides, t, inU), factorOffsets(l.Shape, strides, t, inV)
		su, okU := evenStep(ou)
		sv, okV := evenStep(ov)
		m, n, r := len(ou), len(ov), len(group)
		switch {
		case okU && okV && (n == 1 || sv == 1) && (m == 1 || su >= n):
			if m == 1 {
				su = n
			}
			us, vs := stackFactors(group, inU), stackFactors(group, inV)
			kernels.Gemm(true, false, m, n, r, 1, us, m, vs, n, 1, dst[base:], su)
		case okU && okV && su == 1 && sv >= m:
			us, vs := stackFactors(group, inU), stackFactors(group, inV)
			kernels.Gemm(true, false, n, m, r, 1, vs, n, us, m, 1, dst[base:], sv)
		default:
			for _, g := range group {
				for i, u := range g.U {
					if u == 0 {
						continue
					}
					row := dst[base+ou[i]:]
					for j, v := range g.V {
						row[ov[j]] += u * v
					}
				}
			}
		}
	}
}

// stackFactors returns the factors on side of the terms one after the
// other: the rows of a matrix with one row per term.
func stackFactors(terms []Term, side int) []float32 {
	var out []float32
	for _, t := range terms {
		out = append(out, t.factor(side)...)
	}
	return out
}

// factorOffsets returns, for each value of t's factor on side, its offset in a
// tensor of shape (strides) from the term's fixed position.
func factorOffsets(shape, strides []int, t Term, side int) []int {
	axes, dims := t.factorDims(shape, side)
	n := tensor.Size(dims)
	out := make([]int, n)
	st := make([]int, len(axes))
	for i, a := range axes {
		st[i] = strides[a]
	}
	idx := make([]int, len(axes))
	off := 0
	for i := range out {
		out[i] = off
		off = nextOffset(idx, dims, st, off)
	}
	return out
}

// evenStep returns the step between consecutive offsets when they are
// evenly spaced (any step for fewer than two).
func evenStep(o []int) (int, bool) {
	if len(o) < 2 {
		return 0, true
	}
	s := o[1] - o[0]
	for i := 2; i < len(o); i++ {
		if o[i]-o[i-1] != s {
			return 0, false
		}
	}
	return s, true
}

// addLowRank returns g plus l's values in a new tensor of l's shape (g
// may be nil; neither is modified).
func addLowRank(g *tensor.Tensor, l *LowRank) *tensor.Tensor {
	var out *tensor.Tensor
	if g == nil {
		out = tensor.New(l.Shape...)
	} else {
		out = tensor.NewUninit(g.Shape...)
		copy(out.F, g.F)
	}
	l.AddTo(out.F)
	return out
}

// Concat returns the sum of a and b, low-rank gradients of one tensor (the
// terms of both; either may be nil).
func (l *LowRank) Concat(b *LowRank) *LowRank {
	switch {
	case l == nil:
		return b
	case b == nil:
		return l
	}
	return &LowRank{Shape: l.Shape, Terms: slices.Concat(l.Terms, b.Terms)}
}

// normalize fixes the factor axes of size 1 at 0 (their factors' values do
// not move).
func (t *Term) normalize(shape []int) {
	for a, s := range t.At {
		if s < 0 && shape[a] == 1 {
			t.At[a] = 0
		}
	}
}

// absorb moves fixed axis a of t into the factor on side: that factor's
// values are placed at t.At[a] along the new axis, zero elsewhere.
func (t *Term) absorb(shape []int, a, side int) {
	axes, dims := t.factorDims(shape, side)
	p, _ := slices.BinarySearch(axes, a)
	outer, inner := tensor.Size(dims[:p]), tensor.Size(dims[p:])
	f, d, at := t.factor(side), shape[a], t.At[a]
	out := make([]float32, outer*d*inner)
	for o := range outer {
		copy(out[(o*d+at)*inner:(o*d+at+1)*inner], f[o*inner:(o+1)*inner])
	}
	t.At[a] = side
	t.setFactor(side, out)
}

// padAxis puts the factor on side of t, along its axis a (from size d in
// shape) at offset begin of an axis of size size, zero elsewhere.
func (t *Term) padAxis(shape []int, a, side, begin, size int) {
	axes, dims := t.factorDims(shape, side)
	p, _ := slices.BinarySearch(axes, a)
	outer, inner := tensor.Size(dims[:p]), tensor.Size(dims[p+1:])
	f, d := t.factor(side), shape[a]
	out := make([]float32, outer*size*inner)
	for o := range outer {
		copy(out[(o*size+begin)*inner:(o*size+begin+d)*inner], f[o*d*inner:(o+1)*d*inner])
	}
	t.setFactor(side, out)
}

func (t Term) clone() Term {
	return Term{At: slices.Clone(t.At), U: t.U, V: t.V}
}

// transposeBack is the gradient before a Transpose of perm (output axis i
// is input axis perm[i]) whose output's gradient is l: each term's axes
// relabelled, its factors' values reordered where their axes change order.
func (l *LowRank) transposeBack(perm []int) *LowRank {
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[p] = l.Shape[i]
	}
	out := &LowRank{Shape: shape}
	for _, t := range l.Terms {
		n := Term{At: make([]int, len(perm)), U: t.U, V: t.V}
		for i, p := range perm {
			n.At[p] = t.At[i]
		}
		for _, side := range []int{inU, inV} {
			// The factor's values run over its old axes in order; the new
			// order is by their new labels.
			var labels, dims []int
			for i, s := range t.At {
				if s == side {
					labels, dims = append(labels, perm[i]), append(dims, l.Shape[i])
				}
			}
			if slices.IsSorted(labels) {
				continue
			}
			order := make([]int, len(labels))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return labels[a] - labels[b] })
			f := t.factor(side)
			moved := make([]float32, len(f))
			permute(moved, f, dims, order)
			n.setFactor(side, moved)
		}
		out.Terms = append(out.Terms, n)
	}
	return out
}

// reshapeBack is the gradient, of shape, before an operator that only
// reshapes (Reshape, Flatten, Squeeze, Unsqueeze) and whose output's
// gradient is l. The axes of both shapes fall into groups of equal size;
// a term stays an outer product when each group's axes of l are fixed or
// on one side (a fixed axis joins its group's side). It reports false for
// a term with a group across both sides.
func (l *LowRank) reshapeBack(shape []int) (*LowRank, bool) {
	if tensor.Size(shape) != tensor.Size(l.Shape) || tensor.Size(shape) == 0 {
		return nil, false
	}
	var olds, news [][]int // each group's axes, of l and of shape, sizes 1 left out
	var o, n []int
	i, j := 0, 0
	for {
		for i < len(l.Shape) && l.Shape[i] == 1 {
			i++
		}
		for j < len(shape) && shape[j] == 1 {
			j++
		}
		if i == len(l.Shape) || j == len(shape) {
			break
		}
		po, pn := l.Shape[i], shape[j]
		o, n = []int{i}, []int{j}
		i, j = i+1, j+1
		for po != pn {
			if po < pn {
				po *= l.Shape[i]
				o = append(o, i)
				i++
			} else {
				pn *= shape[j]
				n = append(n, j)
				j++
			}
		}
		olds, news = append(olds, o), append(news, n)
	}
	out := &LowRank{Shape: shape}
	for _, t := range l.Terms {
		t = t.clone()
		at := make([]int, len(shape)) // axes of size 1 stay fixed at 0
		for g, axes := range olds {
			side := 0
			for _, a := range axes {
				if s := t.At[a]; s < 0 {
					if side != 0 && side != s {
						return nil, false
					}
					side = s
				}
			}
			if side == 0 {
				// All fixed: the index within the group, in shape's axes.
				idx := 0
				for _, a := range axes {
					idx = idx*l.Shape[a] + t.At[a]
				}
				for k := len(news[g]) - 1; k >= 0; k-- {
					b := news[g][k]
					at[b], idx = idx%shape[b], idx/shape[b]
				}
				continue
			}
			for _, a := range axes {
				if t.At[a] >= 0 {
					t.absorb(l.Shape, a, side)
				}
			}
			for _, b := range news[g] {
				at[b] = side
			}
		}
		t.At = at
		out.Terms = append(out.Terms, t)
	}
	return out, true
}

// padBack is the gradient, of shape, before a Slice with steps of 1 that
// starts at begin (one index per axis) and whose output's gradient is l:
// fixed indices move by begin, factors are padded with zeros.
func (l *LowRank) padBack(shape, begin []int) *LowRank {
	out := &LowRank{Shape: shape}
	for _, t := range l.Terms {
		t = t.clone()
		for a, s := range t.At {
			switch {
			case s >= 0:
				t.At[a] = s + begin[a]
			case shape[a] != l.Shape[a]:
				// The padding runs over the factor's axes in l's shape
				// for those not yet padded and shape's for the others.
				cur := slices.Clone(shape[:a])
				cur = append(cur, l.Shape[a:]...)
				t.padAxis(cur, a, s, begin[a], shape[a])
			}
		}
		out.Terms = append(out.Terms, t)
	}
	return out
}

// matMulBack is the gradient of A, of shape, in A·B for a matrix B
// (k x nn, row-major) whose product's gradient is l: each term's factor
// that runs over the last axis (the product's columns) times Bᵀ; a term
// fixed on that axis takes B's row there into its smaller factor first.
func (l *LowRank) matMulBack(shape []int, b []float32, k, nn int) *LowRank {
	last := len(l.Shape) - 1
	out := &LowRank{Shape: shape}
	for _, t := range l.Terms {
		t = t.clone()
		if t.At[last] >= 0 {
			side := inU
			if len(t.V) < len(t.U) {
				side = inV
			}
			t.absorb(l.Shape, last, side)
		}
		side := t.At[last]
		f := t.factor(side)
		rows := len(f) / nn
		g := make([]float32, rows*k)
		lo, hi := 0, nn
		if rows == 1 {
			// One row, often nonzero over a slice alone (a head's keys
			// in the joint projection's columns): that span of B.
			lo, hi = tensor.NonzeroSpan(f)
		}
		if lo < hi {
			kernels.Gemm(false, true, rows, k, hi-lo, 1, f[lo:], nn, b[lo:], nn, 0, g, k)
		}
		t.setFactor(side, g)
		t.normalize(shape)
		out.Terms = append(out.Terms, t)
	}
	return out
}

// lowRankVJP is implemented by the operators whose VJP takes output
// gradients with a low-rank part. vjpLow gets, per output, a dense part
// and a low-rank part (either may be nil, not both for every output) and
// returns the inputs' gradients the same way; handled false (with nothing
// else) asks for the low-rank parts added into the dense ones and the VJP.
type lowRankVJP interface {
	vjpLow(p *Pass, gs []*tensor.Tensor, lows []*LowRank) (grads []*tensor.Tensor, glows []*LowRank, handled bool, err error)
}

// lowGradFunc is the low-rank VJP of an operator whose outputs after the
// first carry no gradient (firstOutput); g or low may be nil, not both. It
// is called for dense gradients too: an operator may make a low-rank one
// from them (MatMul).
type lowGradFunc func(p *Pass, g *tensor.Tensor, low *LowRank) ([]*tensor.Tensor, []*LowRank, bool, error)

// lowDiff is a diffFunc whose VJP also takes low-rank gradients.
type lowDiff struct {
	diffFunc
	low lowGradFunc
}

func (f lowDiff) vjpLow(p *Pass, gs []*tensor.Tensor, lows []*LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
	for i := 1; i < len(gs); i++ {
		if gs[i] != nil || lows[i] != nil {
			return nil, nil, false, nil
		}
	}
	if gs[0] == nil && lows[0] == nil {
		return nil, nil, false, nil
	}
	return f.low(p, gs[0], lows[0])
}

// VJPLow is VJP with output gradients that may have a low-rank part: the
// gradient of output i is gradOuts[i] plus lows[i] (either may be nil).
// It returns the inputs' gradients the same way; an operator without a
// low-rank VJP gets the sums, and its results have no low-rank part. An
// operator with one may return a low-rank part from dense gradients
// (MatMul's B from an output gradient of one nonzero row per product).
// Like VJP's, these gradients are read-only and may share storage.
func VJPLow(opType string, op Op, p *Pass, gradOuts []*tensor.Tensor, lows []*LowRank) (grads []*tensor.Tensor, glows []*LowRank, err error) {
	if len(gradOuts) > len(p.Outputs) || len(lows) > len(p.Outputs) {
		return nil, nil, fmt.Errorf("%s: %d output gradients for %d outputs", opType, max(len(gradOuts), len(lows)), len(p.Outputs))
	}
	gs, ls := make([]*tensor.Tensor, len(p.Outputs)), make([]*LowRank, len(p.Outputs))
	copy(gs, gradOuts)
	copy(ls, lows)
	some := false
	for i, l := range ls {
		if l == nil {
			continue
		}
		some = true
		if y := p.Outputs[i]; y == nil {
			return nil, nil, fmt.Errorf("%s: a gradient for output %d, which has no value", opType, i)
		} else if err := l.Check(y.Shape); err != nil {
			return nil, nil, fmt.Errorf("%s: output %d: %w", opType, i, err)
		}
	}
	for _, g := range gs {
		some = some || g != nil
	}
	if !some {
		return make([]*tensor.Tensor, len(p.Inputs)), make([]*LowRank, len(p.Inputs)), nil
	}
	for i, g := range gs {
		if y := p.Outputs[i]; g != nil && (y == nil || g.DType != tensor.Float32 || !tensor.EqualShape(g.Shape, y.Shape)) {
			return nil, nil, fmt.Errorf("%s: the gradient of output %d must be float32 of the output's shape", opType, i)
		}
	}
	f, fuses := op.(fusing)
	if l, ok := op.(lowRankVJP); ok && len(p.Inputs) > 0 && p.Inputs[0] != nil && (!fuses || f.fused().Kind == kernels.ActNone) {
		grads, glows, handled, err := callLow(l, p, gs, ls)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", opType, err)
		}
		if handled {
			for len(grads) < len(p.Inputs) {
				grads = append(grads, nil)
			}
			for len(glows) < len(p.Inputs) {
				glows = append(glows, nil)
			}
			for i := range p.Inputs {
				if grads[i] != nil && !tensor.EqualShape(grads[i].Shape, p.Inputs[i].Shape) {
					return nil, nil, fmt.Errorf("%s: internal error: gradient of input %d is %s, the input is %s", opType, i, tensor.ShapeString(grads[i].Shape), tensor.ShapeString(p.Inputs[i].Shape))
				}
				if glows[i] != nil {
					if err := glows[i].Check(p.Inputs[i].Shape); err != nil {
						return nil, nil, fmt.Errorf("%s: internal error: input %d: %w", opType, i, err)
					}
				}
			}
			return grads, glows, nil
		}
	}
	for i, l := range ls {
		if l != nil {
			gs[i] = addLowRank(gs[i], l)
		}
	}
	grads, err = VJP(opType, op, p, gs...)
	return grads, nil, err
}

// callLow calls l's vjpLow, turning a panic into an error.
func callLow(l lowRankVJP, p *Pass, gs []*tensor.Tensor, ls []*LowRank) (grads []*tensor.Tensor, glows []*LowRank, handled bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			grads, glows, handled, err = nil, nil, false, fmt.Errorf("VJP failed: %v", r)
		}
	}()
	return l.vjpLow(p, gs, ls)
}

// reshapeLow is reshapeBack's low-rank form.
func reshapeLow(p *Pass, g *tensor.Tensor, low *LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
	if low == nil || p.Inputs[0].DType != tensor.Float32 {
		return nil, nil, false, nil
	}
	if !p.need(0) {
		return nil, nil, true, nil
	}
	l, ok := low.reshapeBack(p.Inputs[0].Shape)
	if !ok {
		return nil, nil, false, nil
	}
	var grads []*tensor.Tensor
	if g != nil {
		var err error
		if grads, err = reshapeBack(p, g); err != nil {
			return nil, nil, false, err
		}
	}
	return grads, []*LowRank{l}, true, nil
}

// transposeLow is transposeVJP's low-rank form.
func transposeLow(perm []int64) lowGradFunc {
	return func(p *Pass, g *tensor.Tensor, low *LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
		if low == nil || p.Inputs[0].DType != tensor.Float32 {
			return nil, nil, false, nil
		}
		if !p.need(0) {
			return nil, nil, true, nil
		}
		r := p.Inputs[0].Rank()
		pr := make([]int, r)
		for i := range pr {
			pr[i] = r - 1 - i
		}
		if perm != nil {
			ax, err := normAxes("Transpose", perm, r)
			if err != nil || len(ax) != r {
				return nil, nil, false, err
			}
			copy(pr, ax)
		}
		var grads []*tensor.Tensor
		if g != nil {
			var err error
			if grads, err = transposeVJP(p, g, perm); err != nil {
				return nil, nil, false, err
			}
		}
		return grads, []*LowRank{low.transposeBack(pr)}, true, nil
	}
}
