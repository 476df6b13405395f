package ops

import (
	"fmt"
	"slices"
	"sync"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("Gemm", buildGemm, differentiable)
	register("MatMul", buildMatMul, differentiable)
}

func buildGemm(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 1)
	if err != nil {
		return nil, fmt.Errorf("Gemm: %w", err)
	}
	beta, err := n.Attrs.Float("beta", 1)
	if err != nil {
		return nil, fmt.Errorf("Gemm: %w", err)
	}
	ta, err := n.Attrs.Int("transA", 0)
	if err != nil {
		return nil, fmt.Errorf("Gemm: %w", err)
	}
	tb, err := n.Attrs.Int("transB", 0)
	if err != nil {
		return nil, fmt.Errorf("Gemm: %w", err)
	}
	transA, transB := ta != 0, tb != 0
	var wt *transposedWeights
	if w := in(n.Consts, 1); transB && w != nil && w.Rank() == 2 && w.DType == tensor.Float32 {
		wt = &transposedWeights{w: w}
	}
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Gemm", inputs, 2); err != nil {
			return nil, err
		}
		a, b, c := inputs[0], inputs[1], in(inputs, 2)
		for _, t := range []*tensor.Tensor{a, b, c} {
			if t != nil {
				if err := requireFloat("Gemm", t); err != nil {
					return nil, err
				}
			}
		}
		if a.Rank() != 2 || b.Rank() != 2 {
			return nil, fmt.Errorf("Gemm: A %s and B %s must be matrices", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		m, k := a.Shape[0], a.Shape[1]
		if transA {
			m, k = k, m
		}
		kb, nn := b.Shape[0], b.Shape[1]
		if transB {
			kb, nn = nn, kb
		}
		if k != kb {
			return nil, fmt.Errorf("Gemm: A %s and B %s do not multiply (transA=%v, transB=%v)", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape), transA, transB)
		}
		if err := budget.checkSize("Gemm", tensor.Float32, []int{m, nn}); err != nil {
			return nil, err
		}
		out := tensor.NewUninit(m, nn)
		bf, ldb, tb := b.F, b.Shape[1], transB
		if wt != nil && b == wt.w && kernels.GemmRepacksB(m) {
			bf, ldb, tb = wt.get(), nn, false
		}
		if c != nil && !transA && alpha == 1 && beta == 1 && (c.Rank() == 1 || c.Rank() == 2 && c.Shape[0] == 1) && c.Len() == nn {
			// A linear layer: its bias per column, which each core's part
			// of the product starts from.
			kernels.GemmBias(tb, m, nn, k, a.F, a.Shape[1], bf, ldb, c.F, false, out.F, nn)
			return one(out), nil
		}
		bt := beta
		if c != nil && beta != 0 {
			if s, err := tensor.BroadcastShape([]int{m, nn}, c.Shape); err != nil || !tensor.EqualShape(s, []int{m, nn}) {
				return nil, fmt.Errorf("Gemm: C %s does not broadcast to %dx%d", tensor.ShapeString(c.Shape), m, nn)
			}
			broadcastTo(out.F, c.F, out.Shape, c.Shape)
		} else {
			bt = 0
		}
		if m*nn > 0 {
			kernels.Gemm(transA, tb, m, nn, k, alpha, a.F, a.Shape[1], bf, ldb, bt, out.F, nn)
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return gemmVJP(p, g, alpha, beta, transA, transB)
	}}, nil
}

// transposedWeights is a Gemm's constant B (transB = 1: a linear layer's
// weights as PyTorch stores them, n x k) transposed once, on the first
// product that would otherwise pack it again at every run (an attention's
// out-projection over a transformer's tokens; not a classifier's single
// row, whose matrix-vector product reads the rows as they are): the
// product then reads B's panels in place. Each value of C is the same sum
// either way.
type transposedWeights struct {
	once sync.Once
	w    *tensor.Tensor
	t    []float32
}

func (tw *transposedWeights) get() []float32 {
	tw.once.Do(func() {
		n, k := tw.w.Shape[0], tw.w.Shape[1]
		tw.t = make([]float32, k*n)
		kernels.Transpose(tw.t, n, tw.w.F, k, n, k)
	})
	return tw.t
}

// buildMatMul: numpy matmul, with 1-D operands promoted to matrices and the
// batch dimensions broadcast.
func buildMatMul(n *Node) (Op, error) {
	bias, err := n.Attrs.Int(FusedBias, 0)
	if err != nil {
		return nil, fmt.Errorf("MatMul: %w", err)
	}
	act, err := n.Attrs.String(FusedActivation, "")
	if err != nil {
		return nil, fmt.Errorf("MatMul: %w", err)
	}
	if act != "" && act != "Gelu" {
		return nil, fmt.Errorf("MatMul: cannot fuse activation %q", act)
	}
	if bias != 0 || act != "" {
		return matMulFused{bias: bias != 0, gelu: act == "Gelu"}, nil
	}
	return lowDiff{diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("MatMul", inputs, 2); err != nil {
			return nil, err
		}
		a, b := inputs[0], inputs[1]
		if a.DType != b.DType {
			return nil, fmt.Errorf("MatMul: operand types differ (%s and %s)", a, b)
		}
		if a.Rank() == 0 || b.Rank() == 0 {
			return nil, fmt.Errorf("MatMul: operands must not be scalars, got %s and %s", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		as, bs := a.Shape, b.Shape
		if len(as) == 1 {
			as = []int{1, as[0]}
		}
		if len(bs) == 1 {
			bs = []int{bs[0], 1}
		}
		m, k := as[len(as)-2], as[len(as)-1]
		kb, nn := bs[len(bs)-2], bs[len(bs)-1]
		if k != kb {
			return nil, fmt.Errorf("MatMul: shapes %s and %s do not multiply", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		batch, err := tensor.BroadcastShape(as[:len(as)-2], bs[:len(bs)-2])
		if err != nil {
			return nil, fmt.Errorf("MatMul: batch dimensions of %s and %s do not broadcast", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
		var shape []int
		shape = append(shape, batch...)
		if len(a.Shape) > 1 {
			shape = append(shape, m)
		}
		if len(b.Shape) > 1 {
			shape = append(shape, nn)
		}
		if err := budget.checkSize("MatMul", a.DType, append(append([]int{}, batch...), m, nn)); err != nil {
			return nil, err
		}
		if tensor.Size(shape) == 0 || k == 0 {
			return one(newTensor(a.DType, shape)), nil
		}
		out := newOutput(a.DType, shape)
		if a.DType == tensor.Int64 {
			matmulBatches(as, bs, batch, m, nn, k, func(oa, ob, oc int) {
				for i := 0; i < m; i++ {
					for j := 0; j < nn; j++ {
						var s int64
						for p := 0; p < k; p++ {
							s += a.I[oa+i*k+p] * b.I[ob+p*nn+j]
						}
						out.I[oc+i*nn+j] = s
					}
				}
			})
			return one(out), nil
		}
		if len(bs) == 2 {
			// Every batch of A meets the same B: one tall product.
			rows := a.Len() / k
			kernels.Gemm(false, false, rows, nn, k, 1, a.F, k, b.F, nn, 0, out.F, nn)
			return one(out), nil
		}
		nb := tensor.Size(batch)
		if nb == 1 || kernels.GemmWorkers(m, nn, k) >= kernels.Procs() {
			matmulBatches(as, bs, batch, m, nn, k, func(oa, ob, oc int) {
				kernels.Gemm(false, false, m, nn, k, 1, a.F[oa:], k, b.F[ob:], nn, 0, out.F[oc:], nn)
			})
			return one(out), nil
		}
		// Products too small to split well (attention heads, windows) run
		// side by side, one per core at a time.
		offs := make([][3]int, 0, nb)
		matmulBatches(as, bs, batch, m, nn, k, func(oa, ob, oc int) { offs = append(offs, [3]int{oa, ob, oc}) })
		parallelFor(nb, 2*m*nn*k, func(lo, hi int) {
			for _, o := range offs[lo:hi] {
				kernels.GemmSerial(false, false, m, nn, k, 1, a.F[o[0]:], k, b.F[o[1]:], nn, 0, out.F[o[2]:], nn)
			}
		})
		return one(out), nil
	}), matMulVJP}, matMulLow}, nil
}

// matmulBatches calls f with the offsets of A, B and the output for every
// batch index of the broadcast batch shape.
func matmulBatches(as, bs, batch []int, m, n, k int, f func(oa, ob, oc int)) {
	nb := tensor.Size(batch)
	sa := alignedStrides(as[:len(as)-2], batch)
	sb := alignedStrides(bs[:len(bs)-2], batch)
	idx := make([]int, len(batch))
	for i := 0; i < nb; i++ {
		ia, ib := 0, 0
		for d, v := range idx {
			ia += v * sa[d]
			ib += v * sb[d]
		}
		f(ia*m*k, ib*k*n, i*m*n)
		nextIndex(idx, batch)
	}
}

// gemmVJP: for Y = alpha·op(A)·op(B) + beta·C, dop(A) = alpha·G·op(B)ᵀ,
// dop(B) = alpha·op(A)ᵀ·G, dC = beta·G summed over C's broadcast axes.
func gemmVJP(p *Pass, g *tensor.Tensor, alpha, beta float32, transA, transB bool) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	a, b := p.Inputs[0], p.in(1)
	if b == nil || a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("A and B must be matrices")
	}
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	nn := b.Shape[1]
	if transB {
		nn = b.Shape[0]
	}
	if !tensor.EqualShape(g.Shape, []int{m, nn}) {
		return nil, fmt.Errorf("output %s does not match A %s and B %s", tensor.ShapeString(g.Shape), tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	grads := make([]*tensor.Tensor, len(p.Inputs))
	if p.need(0) {
		ga := tensor.New(a.Shape...)
		if transA {
			kernels.Gemm(transB, true, k, m, nn, alpha, b.F, b.Shape[1], g.F, nn, 0, ga.F, m)
		} else if lo, hi := nonzeroRows(g.F, nn); lo < hi {
			// Only G's nonzero rows (a vision transformer's class token's,
			// once picked: the other rows of dA are zero) and the span of
			// columns they use (one, for a class's logit: the product
			// reads one row of a classifier's weights, not all).
			clo, chi := nn, 0
			for r := lo; r < hi; r++ {
				if l, h := tensor.NonzeroSpan(g.F[r*nn : (r+1)*nn]); l < h {
					clo, chi = min(clo, l), max(chi, h)
				}
			}
			bOff := clo
			if transB {
				bOff = clo * k
			}
			kernels.Gemm(false, !transB, hi-lo, k, chi-clo, alpha, g.F[lo*nn+clo:], nn, b.F[bOff:], b.Shape[1], 0, ga.F[lo*k:], k)
		}
		grads[0] = ga
	}
	if p.need(1) {
		gb := tensor.New(b.Shape...)
		if transB {
			kernels.Gemm(true, transA, nn, k, m, alpha, g.F, nn, a.F, a.Shape[1], 0, gb.F, k)
		} else {
			kernels.Gemm(!transA, false, k, nn, m, alpha, a.F, a.Shape[1], g.F, nn, 0, gb.F, nn)
		}
		grads[1] = gb
	}
	if p.need(2) {
		c := p.Inputs[2]
		offs, err := broadcastOffsets(g.Shape, c.Shape)
		if err != nil {
			return nil, err
		}
		gc := tensor.New(c.Shape...)
		for i, v := range g.F {
			gc.F[offs[i]] += beta * v
		}
		grads[2] = gc
	}
	return grads, nil
}

// matMulVJP covers A (any rank >= 2, its leading axes taken as rows) times a
// matrix B, and batched products whose batch axes are equal. dA = G·Bᵀ,
// dB = Aᵀ·G.
// nonzeroRows returns the first nonzero row of v (rows of n values) and
// one past the last; lo == hi when every row is zero.
func nonzeroRows(v []float32, n int) (lo, hi int) {
	lo, hi = tensor.NonzeroSpan(v)
	return lo / n, (hi + n - 1) / n
}

// matMulInputGrad sets rows lo to hi of ga (rows of k) to those of g·Bᵀ
// (g: rows of nn; B: k x nn). Rows after the first often use fewer of g's
// columns: the gradient of a vision transformer's joint query, key and value
// projection is nonzero in the class token's row and, in every other row,
// only in the keys' and values' columns, once the class token is picked.
// Those rows then go through a GEMM over that span of columns alone (a
// third less work there); the first row, if it spans more, through one of
// its own.
func matMulInputGrad(ga, g, b []float32, lo, hi, k, nn int) {
	clo, chi := nn, 0
	for r := lo + 1; r < hi; r++ {
		if l, h := tensor.NonzeroSpan(g[r*nn : (r+1)*nn]); l < h {
			clo, chi = min(clo, l), max(chi, h)
		}
	}
	if l, h := tensor.NonzeroSpan(g[lo*nn : (lo+1)*nn]); l < clo || h > chi {
		if lo+1 == hi || chi <= clo || chi-clo == nn {
			kernels.Gemm(false, true, hi-lo, k, nn, 1, g[lo*nn:], nn, b, nn, 0, ga[lo*k:], k)
			return
		}
		kernels.Gemm(false, true, 1, k, nn, 1, g[lo*nn:], nn, b, nn, 0, ga[lo*k:], k)
		lo++
	}
	kernels.Gemm(false, true, hi-lo, k, chi-clo, 1, g[lo*nn+clo:], nn, b[clo:], nn, 0, ga[lo*k:], k)
}

func matMulVJP(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1); err != nil {
		return nil, err
	}
	a, b := p.Inputs[0], p.in(1)
	if b == nil || a.Rank() < 2 || b.Rank() < 2 {
		return nil, fmt.Errorf("%w for vector operands (A %s, B %s)", ErrNoVJP, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	k, nn := b.Shape[b.Rank()-2], b.Shape[b.Rank()-1]
	if a.Shape[a.Rank()-1] != k {
		return nil, fmt.Errorf("A %s and B %s do not multiply", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	var batch, m int
	switch {
	case b.Rank() == 2:
		batch, m = 1, a.Len()/k
	case tensor.EqualShape(a.Shape[:a.Rank()-2], b.Shape[:b.Rank()-2]):
		batch, m = tensor.Size(b.Shape[:b.Rank()-2]), a.Shape[a.Rank()-2]
	default:
		return nil, fmt.Errorf("%w for broadcast batch axes (A %s, B %s)", ErrNoVJP, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	grads := make([]*tensor.Tensor, 2)
	var ga, gb *tensor.Tensor
	if p.need(0) {
		ga = tensor.New(a.Shape...)
		grads[0] = ga
	}
	if p.need(1) {
		gb = tensor.New(b.Shape...)
		grads[1] = gb
	}
	bStride := k * nn
	if b.Rank() == 2 {
		bStride = 0
	}
	for i := 0; i < batch; i++ {
		// Only the rows between the first and the last nonzero row of g
		// (a vision transformer's class token is often the only one after
		// the last attention): the other rows of dA are zero, and the
		// other rows of A add nothing to dB.
		lo, hi := nonzeroRows(g.F[i*m*nn:(i+1)*m*nn], nn)
		if lo == hi {
			continue
		}
		if ga != nil {
			matMulInputGrad(ga.F[i*m*k:], g.F[i*m*nn:], b.F[i*bStride:], lo, hi, k, nn)
		}
		switch {
		case gb == nil:
		case hi-lo == 1:
			// One row (an attention's query of the class token): dB is
			// the outer product of A's row and G's, row by row.
			ar, gr := a.F[(i*m+lo)*k:(i*m+lo+1)*k], g.F[(i*m+lo)*nn:(i*m+lo+1)*nn]
			for r, v := range ar {
				kernels.MulScalar(gb.F[i*k*nn+r*nn:i*k*nn+(r+1)*nn], gr, v)
			}
		default:
			kernels.Gemm(true, false, k, nn, hi-lo, 1, a.F[(i*m+lo)*k:], k, g.F[(i*m+lo)*nn:], nn, 0, gb.F[i*k*nn:], nn)
		}
	}
	return grads, nil
}

// matMulFused is a MatMul of a matrix B (A of any rank >= 2, its leading
// axes taken as rows) with what the loader fused into it (FusedBias,
// FusedActivation "Gelu"): y = gelu(A·B + bias), in one product that adds
// the bias and takes Gelu of each block of the output as it finishes it
// (kernels.GemmBias).
type matMulFused struct {
	bias, gelu bool
}

// operands checks the inputs and returns the rows of A, the depth and the
// columns of the product.
func (f matMulFused) operands(inputs []*tensor.Tensor) (rows, k, nn int, err error) {
	want := 2
	if f.bias {
		want = 3
	}
	if err := required("MatMul", inputs, want); err != nil {
		return 0, 0, 0, err
	}
	for _, t := range inputs[:want] {
		if err := requireFloat("MatMul", t); err != nil {
			return 0, 0, 0, err
		}
	}
	a, b := inputs[0], inputs[1]
	if a.Rank() < 2 || b.Rank() != 2 || a.Shape[a.Rank()-1] != b.Shape[0] {
		return 0, 0, 0, fmt.Errorf("MatMul: shapes %s and %s do not multiply as a fused product", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	k, nn = b.Shape[0], b.Shape[1]
	if f.bias && inputs[2].Len() != nn {
		return 0, 0, 0, fmt.Errorf("MatMul: the fused bias %s does not have the %d columns of the product", tensor.ShapeString(inputs[2].Shape), nn)
	}
	return tensor.Size(a.Shape[:a.Rank()-1]), k, nn, nil
}

func (f matMulFused) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	rows, k, nn, err := f.operands(inputs)
	if err != nil {
		return nil, err
	}
	a := inputs[0]
	shape := append(slices.Clone(a.Shape[:a.Rank()-1]), nn)
	if err := budget.checkSize("MatMul", tensor.Float32, shape); err != nil {
		return nil, err
	}
	out := tensor.NewUninit(shape...)
	f.product(out.F, inputs, 0, rows, k, nn)
	return one(out), nil
}

// product writes rows lo..hi of A·B + bias, then Gelu, into dst (those
// rows only, from dst[0]).
func (f matMulFused) product(dst []float32, inputs []*tensor.Tensor, lo, hi, k, nn int) {
	n := hi - lo
	if n <= 0 || nn == 0 {
		return
	}
	var bias []float32
	if f.bias {
		bias = inputs[2].F
	}
	kernels.GemmBias(false, n, nn, k, inputs[0].F[lo*k:], k, inputs[1].F, nn, bias, f.gelu, dst, nn)
}

// VJP: through Gelu first, its derivative at the pre-activation, which is
// computed again for the rows where the output gradient is nonzero (often
// one: a vision transformer's class token); then as MatMul's, and the
// bias's gradient is the column sums.
func (f matMulFused) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(p, gs, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		rows, k, nn, err := f.operands(p.Inputs)
		if err != nil {
			return nil, err
		}
		if nn == 0 || rows == 0 {
			return make([]*tensor.Tensor, len(p.Inputs)), nil
		}
		if f.gelu && !p.need(1) && !p.need(2) {
			// Only A wants a gradient (B and the bias are weights): it
			// comes from the rows of G that are nonzero, through Gelu's
			// derivative there, without a full-size gradient of the
			// pre-activation (a vision transformer's MLP, below the
			// class token: one row of 197).
			grads := make([]*tensor.Tensor, len(p.Inputs))
			if p.need(0) {
				ga := tensor.New(p.Inputs[0].Shape...)
				if lo, hi := nonzeroRows(g.F, nn); lo < hi {
					z := tensor.NewUninit(hi-lo, nn)
					matMulFused{bias: f.bias}.product(z.F, p.Inputs, lo, hi, k, nn)
					for i, v := range z.F {
						z.F[i] = g.F[lo*nn+i] * geluDeriv(v)
					}
					matMulInputGrad(ga.F[lo*k:], z.F, p.Inputs[1].F, 0, hi-lo, k, nn)
					tensor.Recycle(z)
				}
				grads[0] = ga
			}
			return grads, nil
		}
		if f.gelu {
			lo, hi := nonzeroRows(g.F, nn)
			gz := tensor.New(g.Shape...)
			z := gz.F[lo*nn : hi*nn]
			f2 := matMulFused{bias: f.bias}
			f2.product(z, p.Inputs, lo, hi, k, nn)
			for i, v := range z {
				z[i] = g.F[lo*nn+i] * geluDeriv(v)
			}
			g = gz
		}
		var need []bool
		if p.Need != nil {
			need = p.Need[:min(2, len(p.Need))]
		}
		grads, err := matMulVJP(&Pass{Inputs: p.Inputs[:2], Outputs: p.Outputs, Need: need}, g)
		if err != nil {
			return nil, err
		}
		if f.bias {
			grads = append(grads, nil)
			if p.need(2) {
				gb := tensor.New(p.Inputs[2].Shape...)
				for r := range rows {
					for j, v := range g.F[r*nn : (r+1)*nn] {
						gb.F[j] += v
					}
				}
				grads[2] = gb
			}
		}
		return grads, nil
	})
}

// matMulLow is matMulVJP's low-rank form. A's gradient from a low-rank
// output gradient, when B is a matrix that needs none (a linear layer's
// weights), is low rank too (LowRank.matMulBack). B's gradient, when the
// output gradient of each product has one nonzero row (an attention's
// class token's, after it is picked), is low rank: per product, the outer
// product of A's row and that row of G.
func matMulLow(p *Pass, g *tensor.Tensor, low *LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
	if err := p.requireFloat(0, 1); err != nil {
		return nil, nil, false, err
	}
	a, b := p.Inputs[0], p.in(1)
	if b == nil || a.Rank() < 2 || b.Rank() < 2 || a.Shape[a.Rank()-1] != b.Shape[b.Rank()-2] {
		return nil, nil, false, nil
	}
	k, nn := b.Shape[b.Rank()-2], b.Shape[b.Rank()-1]
	if low != nil {
		if b.Rank() != 2 || p.need(1) {
			return nil, nil, false, nil
		}
		var grads []*tensor.Tensor
		if g != nil {
			var err error
			if grads, err = matMulVJP(p, g); err != nil {
				return nil, nil, false, err
			}
		}
		var gl *LowRank
		if p.need(0) {
			gl = low.matMulBack(a.Shape, b.F, k, nn)
		}
		return grads, []*LowRank{gl}, true, nil
	}
	if !p.need(1) || tensor.Size(b.Shape) == 0 {
		return nil, nil, false, nil
	}
	batch, m := 1, a.Len()/k
	if b.Rank() > 2 {
		if !tensor.EqualShape(a.Shape[:a.Rank()-2], b.Shape[:b.Rank()-2]) {
			return nil, nil, false, nil
		}
		batch, m = tensor.Size(b.Shape[:b.Rank()-2]), a.Shape[a.Rank()-2]
	}
	rows := make([]int, batch)
	for i := range batch {
		lo, hi := nonzeroRows(g.F[i*m*nn:(i+1)*m*nn], nn)
		if hi-lo > 1 {
			return nil, nil, false, nil
		}
		rows[i] = -1
		if lo < hi {
			rows[i] = lo
		}
	}
	grads := make([]*tensor.Tensor, 2)
	if p.need(0) {
		// dA = G·Bᵀ from each product's one row, as matMulVJP would.
		ga := tensor.New(a.Shape...)
		bStride := k * nn
		if b.Rank() == 2 {
			bStride = 0
		}
		for i, row := range rows {
			if row >= 0 {
				matMulInputGrad(ga.F[i*m*k:], g.F[i*m*nn:], b.F[i*bStride:], row, row+1, k, nn)
			}
		}
		grads[0] = ga
	}
	gb := &LowRank{Shape: slices.Clone(b.Shape)}
	r := b.Rank()
	for i, row := range rows {
		if row < 0 {
			continue
		}
		t := Term{At: make([]int, r)}
		for d, q := r-3, i; d >= 0; d-- {
			t.At[d], q = q%b.Shape[d], q/b.Shape[d]
		}
		t.At[r-2], t.At[r-1] = inU, inV
		t.U = a.F[(i*m+row)*k : (i*m+row+1)*k]
		t.V = slices.Clone(g.F[(i*m+row)*nn : (i*m+row+1)*nn])
		t.normalize(b.Shape)
		gb.Terms = append(gb.Terms, t)
	}
	return grads, []*LowRank{nil, gb}, true, nil
}

// vjpLow is VJP's low-rank form without Gelu: the bias's gradient (the
// column sums) and B's need the output gradient's values, A's is
// LowRank.matMulBack.
func (f matMulFused) vjpLow(p *Pass, gs []*tensor.Tensor, lows []*LowRank) ([]*tensor.Tensor, []*LowRank, bool, error) {
	for i := 1; i < len(gs); i++ {
		if gs[i] != nil || lows[i] != nil {
			return nil, nil, false, nil
		}
	}
	low := lows[0]
	if f.gelu || low == nil || p.need(1) || p.need(2) {
		return nil, nil, false, nil
	}
	_, k, nn, err := f.operands(p.Inputs)
	if err != nil {
		return nil, nil, false, err
	}
	var grads []*tensor.Tensor
	if gs[0] != nil {
		if grads, err = f.VJP(p, gs); err != nil {
			return nil, nil, false, err
		}
	}
	var gl *LowRank
	if p.need(0) {
		gl = low.matMulBack(p.Inputs[0].Shape, p.Inputs[1].F, k, nn)
	}
	return grads, []*LowRank{gl}, true, nil
}
