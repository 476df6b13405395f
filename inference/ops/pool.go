package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("MaxPool", func(n *Node) (Op, error) { return buildPool(n, true) }, differentiable)
	register("AveragePool", func(n *Node) (Op, error) { return buildPool(n, false) }, differentiable)
	register("GlobalAveragePool", func(n *Node) (Op, error) { return globalPool{"GlobalAveragePool", false}, nil }, differentiable)
	register("GlobalMaxPool", func(n *Node) (Op, error) { return globalPool{"GlobalMaxPool", true}, nil }, differentiable)
	register("GlobalLpPool", buildGlobalLpPool, noGradient|noConformanceData)
}

type pool struct {
	win        window
	isMax      bool
	includePad bool // AveragePool count_include_pad
	colMajor   bool // MaxPool storage_order 1, for Indices
	indices    bool // MaxPool's second output is wanted
}

func buildPool(n *Node, isMax bool) (Op, error) {
	name := "AveragePool"
	if isMax {
		name = "MaxPool"
	}
	win, err := readWindow(name, n.Attrs)
	if err != nil {
		return nil, err
	}
	if len(win.kernel) == 0 {
		return nil, fmt.Errorf("%s: kernel_shape is required", name)
	}
	p := &pool{win: win, isMax: isMax, indices: isMax && n.NumOutputs > 1}
	cip, err := n.Attrs.Int("count_include_pad", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	so, err := n.Attrs.Int("storage_order", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.includePad, p.colMajor = cip != 0, so != 0
	return p, nil
}

func (p *pool) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return p.run(budget, inputs, nil)
}

func (p *pool) Placeable() bool { return !p.indices }

func (p *pool) RunInto(inputs []*tensor.Tensor, dst []float32) (*tensor.Tensor, error) {
	if p.indices || len(inputs) > 0 && inputs[0] != nil && inputs[0].DType != tensor.Float32 {
		return nil, fmt.Errorf("%s: only a float32 output without indices can be written in place", p.win.op)
	}
	outs, err := p.run(NoBudget, inputs, dst)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// run pools into dst, or into a new array when dst is nil.
func (p *pool) run(budget Budget, inputs []*tensor.Tensor, dst []float32) ([]*tensor.Tensor, error) {
	op := p.win.op
	if err := required(op, inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if !p.isMax || x.DType != tensor.Int64 {
		if err := requireFloat(op, x); err != nil {
			return nil, err
		}
	}
	nb, ch, sp, err := spatial(op, x.Shape)
	if err != nil {
		return nil, err
	}
	g, err := p.win.resolve(sp, p.win.kernel)
	if err != nil {
		return nil, err
	}
	outShape := append([]int{nb, ch}, g.out...)
	if err := budget.checkSize(op, x.DType, outShape); err != nil {
		return nil, err
	}
	var out *tensor.Tensor
	if x.DType == tensor.Int64 {
		out = tensor.NewInt64(outShape...)
	} else if out, err = outputOn(dst, op, outShape); err != nil { // every value is written
		return nil, err
	}
	planes := nb * ch
	inPlane, outPlane := tensor.Size(sp), tensor.Size(g.out)
	var idx *tensor.Tensor
	if p.indices {
		idx = tensor.NewInt64(outShape...)
	}
	if outPlane == 0 {
		return p.outputs(out, idx), nil
	}
	if inPlane == 0 {
		return nil, fmt.Errorf("%s: empty input %s", op, tensor.ShapeString(x.Shape))
	}
	if !p.indices && x.DType == tensor.Float32 && g.identity() {
		// A window of one value (vgg_small's adaptive pooling of a 7x7
		// map to 7x7): each output is its input.
		copy(out.F, x.F[:planes*inPlane])
		return p.outputs(out, idx), nil
	}
	cost := outPlane * tensor.Size(g.k)
	if !p.isMax && x.DType == tensor.Float32 && g.whole() {
		// A window over the whole plane (TensorFlow's AvgPool before a
		// classifier): the plane's mean, as GlobalAveragePool takes it.
		planeMeans(out.F, x.F, inPlane)
		return p.outputs(out, idx), nil
	}
	fast := len(sp) <= 2 && !p.indices && x.DType == tensor.Float32
	var p2 *pool2D
	if fast {
		g2 := as2D(g)
		if kp := maxPoolKernel(g2, p.isMax); kp != nil {
			if planes*cost < maxPoolSplit {
				kp.Run(out.F[:planes*outPlane], x.F[:planes*inPlane])
				return p.outputs(out, idx), nil
			}
			parallelFor(planes, cost, func(lo, hi int) {
				kp.Run(out.F[lo*outPlane:hi*outPlane], x.F[lo*inPlane:hi*inPlane])
			})
			return p.outputs(out, idx), nil
		}
		p2 = newPool2D(g2, p.isMax, p.includePad)
	}
	parallelFor(planes, cost, func(lo, hi int) {
		var tmp []float32
		if fast {
			// From the tensor pool, not make: a fresh array each call
			// (DenseNet's transitions, 0.1-0.4 MB a run) kept landing on
			// fresh pages, whose faults took the pools from 60 to 300 µs
			// in runs between collections (BENCHMARKS.md).
			t := tensor.NewUninit(max(2*p2.g.in[1]+2, inPlane))
			defer tensor.Recycle(t)
			tmp = t.F
		}
		for pl := lo; pl < hi; pl++ {
			switch {
			case fast:
				p2.run(out.F[pl*outPlane:(pl+1)*outPlane], x.F[pl*inPlane:(pl+1)*inPlane], tmp)
			case x.DType == tensor.Int64:
				var ix []int64
				if idx != nil {
					ix = idx.I[pl*outPlane : (pl+1)*outPlane]
				}
				poolND(out.I[pl*outPlane:(pl+1)*outPlane], ix, x.I[pl*inPlane:(pl+1)*inPlane], g, true, false, p.colMajor, pl*inPlane)
			default:
				var ix []int64
				if idx != nil {
					ix = idx.I[pl*outPlane : (pl+1)*outPlane]
				}
				poolND(out.F[pl*outPlane:(pl+1)*outPlane], ix, x.F[pl*inPlane:(pl+1)*inPlane], g, p.isMax, p.includePad, p.colMajor, pl*inPlane)
			}
		}
	})
	return p.outputs(out, idx), nil
}

// Band returns the max pool of a band of h rows of an input of shape x
// (2-D), padded by padT rows above and padB below: each output is its
// window's maximum, wherever the band starts. (An average's sums may take
// another order at another position.)
func (p *pool) Band(x []int, h, padT, padB int) (Op, error) {
	g, err := p.bandGeometry(x)
	if err != nil {
		return nil, err
	}
	b := *p
	b.win.autoPad = "NOTSET"
	b.win.pads = []int{padT, g.padB[1], padB, g.padE[1]}
	if _, err := b.win.resolve([]int{h, x[3]}, p.win.kernel); err != nil {
		return nil, err
	}
	return &b, nil
}

// bandGeometry is the pool's geometry on an input of shape x, for Rows
// and Band: a 2-D max pool without indices or ceil_mode, with explicit
// pads.
func (p *pool) bandGeometry(x []int) (geometry, error) {
	if !p.isMax || p.indices || p.win.ceil || len(x) != 4 || p.win.autoPad != "NOTSET" {
		return geometry{}, fmt.Errorf("%s: a band takes a 2-D max pool without indices or ceil_mode, with explicit pads", p.win.op)
	}
	return p.win.resolve(x[2:], p.win.kernel)
}

// Rows returns the pool's window along the rows on an input of shape x.
func (p *pool) Rows(x []int) (WindowRows, error) {
	g, err := p.bandGeometry(x)
	if err != nil {
		return WindowRows{}, err
	}
	return WindowRows{Extent: (g.k[0]-1)*g.dil[0] + 1, Stride: g.stride[0], PadT: g.padB[0], PadB: g.padE[0]}, nil
}

func (p *pool) outputs(out, idx *tensor.Tensor) []*tensor.Tensor {
	if idx != nil {
		return []*tensor.Tensor{out, idx}
	}
	return one(out)
}

// maxPoolSplit is the work (outputs times window) from which the AVX-512
// max pool splits its planes over the cores: it does 2^16 in about 4 µs
// on one core, and a second core would mostly read planes that the first
// one wrote (the layer before ran on one worker), which in the slow state
// of the two vCPUs (BENCHMARKS.md) cost more than it saves, and the
// writer's next writes to them more again (the built-in shapes model's
// 16x64x64 pool and the convolution before it).
const maxPoolSplit = 1 << 17

// maxPoolKernel returns the AVX-512 kernel that pools whole planes for
// MaxPool's windows of 2 or 3 columns with stride 1 or 2 along the rows (and
// no dilation), or nil for other windows and CPUs.
func maxPoolKernel(g geometry, isMax bool) *kernels.MaxPool2D {
	if !isMax || g.dil[0] != 1 || g.dil[1] != 1 {
		return nil
	}
	return kernels.NewMaxPool2D(g.in[0], g.in[1], g.out[0], g.out[1], g.k[0], g.k[1], g.stride[0], g.stride[1], g.padB[0], g.padB[1])
}

// as2D views a 1-D geometry as 2-D with height 1.
func as2D(g geometry) geometry {
	if len(g.in) == 2 {
		return g
	}
	pre := func(v []int, x int) []int { return []int{x, v[0]} }
	return geometry{
		in: pre(g.in, 1), k: pre(g.k, 1), stride: pre(g.stride, 1), dil: pre(g.dil, 1),
		padB: pre(g.padB, 0), padE: pre(g.padE, 0), out: pre(g.out, 1),
	}
}

// validRange returns the window taps [lo, hi) of output position o that
// fall inside an input of size n.
func validRange(o, stride, pad, dil, k, n int) (lo, hi int) {
	start := o*stride - pad
	lo = 0
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	hi = k
	if last := n - start; last < dil*(k-1)+1 {
		// taps t with start+t*dil < n
		hi = (last + dil - 1) / dil
	}
	return lo, max(hi, lo)
}

// pool2D pools 2-D planes separably: first down the columns, combining
// the window's input rows into one row of width W with vector loops, then
// along that row. Along the row, stride-1 windows that lie inside the row
// are again whole-row vector operations (one shifted row per tap); other
// windows take a short scalar loop. The windows' valid ranges are worked
// out once per run, not per output.
type pool2D struct {
	g          geometry
	isMax      bool
	xs, ys     []tap // per output column / row
	cntX, cntY []int // per output column / row: taps counted by the average
	// [in0, in1) are the output columns whose windows lie inside the row,
	// used as whole-row operations when the stride is 1 or 2 (and the
	// dilation 1 for stride 2).
	in0, in1 int
	// [fy0, fy1) are the output rows that MaxPool computes all at once
	// (see flatRows), if any.
	fy0, fy1 int
	// count is the average's divisor when every window counts the same
	// taps (no padding, or padding counted), or 0: the sums of a whole
	// plane are then divided in one vector loop.
	count float32
	// edges are the output columns outside [in0, in1), computed one by one.
	edges []int
	// pairs is an AveragePool of 2x2 windows, stride 2, every window
	// inside the plane and the plane's width even (DenseNet's
	// transitions): run sums all its pairs of rows first, then the pairs
	// of columns of all of them at once (see pairRows).
	pairs bool
}

// tap is the valid part [lo, hi) of one window along one axis, starting at
// input index start (which may be negative, in the padding).
type tap struct{ start, lo, hi int }

func newPool2D(g geometry, isMax, includePad bool) *pool2D {
	p := &pool2D{g: g, isMax: isMax}
	axis := func(d int) ([]tap, []int) {
		taps, cnt := make([]tap, g.out[d]), make([]int, g.out[d])
		for o := range taps {
			lo, hi := validRange(o, g.stride[d], g.padB[d], g.dil[d], g.k[d], g.in[d])
			taps[o] = tap{o*g.stride[d] - g.padB[d], lo, hi}
			cnt[o] = hi - lo
			if includePad {
				a, b := validRange(o, g.stride[d], 0, g.dil[d], g.k[d], g.in[d]+g.padB[d]+g.padE[d])
				cnt[o] = b - a
			}
		}
		return taps, cnt
	}
	p.ys, p.cntY = axis(0)
	p.xs, p.cntX = axis(1)
	if !isMax && len(p.cntY) > 0 && len(p.cntX) > 0 {
		n := p.cntY[0] * p.cntX[0]
		p.count = float32(n)
		for _, cy := range p.cntY {
			for _, cx := range p.cntX {
				if cy*cx != n || n == 0 {
					p.count = 0
				}
			}
		}
	}
	if g.stride[1] == 1 || g.stride[1] == 2 && g.dil[1] == 1 {
		p.in0, p.in1 = len(p.xs), len(p.xs)
		for ox, t := range p.xs {
			if t.lo == 0 && t.hi == g.k[1] {
				p.in0 = min(p.in0, ox)
				p.in1 = ox + 1
			}
		}
	}
	for ox := range p.xs {
		if ox < p.in0 || ox >= p.in1 {
			p.edges = append(p.edges, ox)
		}
	}
	p.pairs = p.count == 4 && g.k[0] == 2 && g.k[1] == 2 && g.stride[0] == 2 && g.stride[1] == 2 &&
		g.dil[0] == 1 && g.dil[1] == 1 && g.padB[0] == 0 && g.padB[1] == 0 &&
		g.in[1] == 2*g.out[1] && g.in[0] >= 2*g.out[0]
	flat := isMax && g.stride[0] == 1 && g.stride[1] == 1 && g.dil[0] == 1 && g.dil[1] == 1 &&
		g.out[1] == g.in[1] && p.in0 < p.in1 && g.padB[1] < g.k[1]
	if flat {
		p.fy0, p.fy1 = len(p.ys), len(p.ys)
		for oy, t := range p.ys {
			if t.lo == 0 && t.hi == g.k[0] {
				p.fy0 = min(p.fy0, oy)
				p.fy1 = oy + 1
			}
		}
		if (p.fy1-p.fy0)*g.in[1] < g.k[1] {
			p.fy0, p.fy1 = 0, 0
		}
	}
	return p
}

// flatRows computes MaxPool's output rows fy0..fy1, whose windows lie
// inside the columns, stride 1 and output rows as wide as the input's, as
// vector operations over all those rows at once (planes of 7 to 56 columns
// otherwise cost a few calls per row): the maxima down the columns into
// tmp, then along the flattened rows into dst, where the windows of the
// edge columns straddle two rows; those columns are then computed again,
// one by one.
func (p *pool2D) flatRows(dst, src, tmp []float32) {
	w, kh, kw, pl := p.g.in[1], p.g.k[0], p.g.k[1], p.g.padB[1]
	n := (p.fy1 - p.fy0) * w
	v := tmp[:n]
	y := p.ys[p.fy0].start
	copy(v, src[y*w:y*w+n])
	for ky := 1; ky < kh; ky++ {
		kernels.MaxInto(v, src[(y+ky)*w:])
	}
	out := dst[p.fy0*w : p.fy0*w+n]
	// Output j reads v[j-pl+kx]: inside v for j in [pl, n-(kw-1-pl)).
	seg := out[pl : n-(kw-1-pl)]
	copy(seg, v)
	for kx := 1; kx < kw; kx++ {
		kernels.MaxInto(seg, v[kx:])
	}
	for r := 0; r < p.fy1-p.fy0; r++ {
		row, in := out[r*w:(r+1)*w], v[r*w:(r+1)*w]
		for _, ox := range p.edges {
			t := p.xs[ox]
			row[ox] = float32(math.Inf(-1))
			if t.lo < t.hi {
				row[ox] = maxStrided(in[t.start+t.lo:t.start+t.hi], 1)
			}
		}
	}
}

// pairRows is run for pairs: each output row's two input rows summed
// into one row of tmp, then the even and odd columns of all those rows
// split at once (the width is even: each row's own) and summed, and the
// sums divided by 4. Each output is the same sum of the same four values
// in the same order as run's row-by-row loop takes it, in a few calls a
// plane instead of five a row.
func (p *pool2D) pairRows(dst, src, tmp []float32) {
	w, oh := p.g.in[1], p.g.out[0]
	n := oh * w
	line := tmp[:n]
	for oy := range oh {
		kernels.Add(line[oy*w:(oy+1)*w], src[2*oy*w:(2*oy+1)*w], src[(2*oy+1)*w:(2*oy+2)*w])
	}
	even, odd := tmp[n:n+n/2], tmp[n+n/2:2*n]
	kernels.Deinterleave(even, odd, line)
	plane := dst[:n/2]
	kernels.Add(plane, even, odd)
	kernels.DivScalar(plane, plane, p.count)
}

// run pools one plane; tmp has room for 2W+2 values and for the plane.
func (p *pool2D) run(dst, src, tmp []float32) {
	if p.pairs {
		p.pairRows(dst, src, tmp)
		return
	}
	w := p.g.in[1]
	ow := p.g.out[1]
	dh := p.g.dil[0]
	fill := float32(0)
	if p.isMax {
		fill = float32(math.Inf(-1))
	}
	combine := kernels.AddInto
	if p.isMax {
		combine = kernels.MaxInto
	}
	if p.fy0 < p.fy1 {
		p.flatRows(dst, src, tmp)
	}
	for oy, t := range p.ys {
		if oy >= p.fy0 && oy < p.fy1 {
			continue
		}
		row := dst[oy*ow : (oy+1)*ow]
		if t.lo >= t.hi {
			for i := range row {
				row[i] = fill
			}
			continue
		}
		y := t.start + t.lo*dh
		line := tmp[:w]
		copy(line, src[y*w:(y+1)*w])
		for ky := t.lo + 1; ky < t.hi; ky++ {
			y := t.start + ky*dh
			combine(line, src[y*w:(y+1)*w])
		}
		p.alongRow(row, line, tmp[w:], combine)
		if !p.isMax && p.count == 0 {
			cy := p.cntY[oy]
			for i, cx := range p.cntX[:len(row)] {
				if n := cy * cx; n > 0 {
					row[i] /= float32(n)
				} else {
					row[i] = 0
				}
			}
		}
	}
	if p.count != 0 {
		plane := dst[:len(p.ys)*ow]
		kernels.DivScalar(plane, plane, p.count)
	}
}

// alongRow pools the combined input row in into the output row; split has
// room for len(in)+2 values.
func (p *pool2D) alongRow(row, in, split []float32, combine func(dst, src []float32)) {
	dw := p.g.dil[1]
	switch {
	case p.in0 < p.in1 && p.g.stride[1] == 1:
		// Output column ox reads in[ox-pad+kx*dw].
		off := p.in0 - p.g.padB[1]
		seg := row[p.in0:p.in1]
		copy(seg, in[off:])
		for kx := 1; kx < p.g.k[1]; kx++ {
			combine(seg, in[off+kx*dw:])
		}
	case p.in0 < p.in1:
		// Stride 2: output column in0+i reads in[base+2i+kx], that is
		// even[i+kx/2] for even kx and odd[i+kx/2] for odd kx, with the
		// row from base on split into even and odd positions.
		base := 2*p.in0 - p.g.padB[1]
		half := (len(in) - base + 1) / 2
		even, odd := split[:half], split[half:2*half]
		kernels.Deinterleave(even, odd, in[base:])
		seg := row[p.in0:p.in1]
		copy(seg, even)
		for kx := 1; kx < p.g.k[1]; kx++ {
			if kx%2 == 0 {
				combine(seg, even[kx/2:])
			} else {
				combine(seg, odd[kx/2:])
			}
		}
	}
	for _, ox := range p.edges {
		t := p.xs[ox]
		if t.lo >= t.hi {
			row[ox] = 0
			if p.isMax {
				row[ox] = float32(math.Inf(-1))
			}
			continue
		}
		seg := in[t.start+t.lo*dw : t.start+(t.hi-1)*dw+1]
		if p.isMax {
			row[ox] = maxStrided(seg, dw)
		} else {
			row[ox] = sumStrided(seg, dw)
		}
	}
}

// maxStrided is the maximum of seg[0], seg[d], seg[2d], ...; the window
// sizes CNNs use are unrolled. The builtin max compiles without branches,
// which matters on data whose order is random: a NaN in a window gives NaN.
func maxStrided(seg []float32, d int) float32 {
	if d == 1 {
		switch len(seg) {
		case 2:
			return max(seg[0], seg[1])
		case 3:
			return max(max(seg[0], seg[1]), seg[2])
		}
	}
	m := seg[0]
	for i := d; i < len(seg); i += d {
		m = max(m, seg[i])
	}
	return m
}

func sumStrided(seg []float32, d int) float32 {
	if d == 1 {
		switch len(seg) {
		case 2:
			return seg[0] + seg[1]
		case 3:
			return seg[0] + seg[1] + seg[2]
		}
	}
	s := seg[0]
	for i := d; i < len(seg); i += d {
		s += seg[i]
	}
	return s
}

// poolND pools one plane of any spatial rank; it also records the argmax
// (as an index into the whole input, offset by base) when idx is not nil.
func poolND[T number](dst []T, idx []int64, src []T, g geometry, isMax, includePad, colMajor bool, base int) {
	r := len(g.in)
	strides := tensor.Strides(g.in)
	colStrides := make([]int, r)
	acc := 1
	for i := 0; i < r; i++ {
		colStrides[i] = acc
		acc *= g.in[i]
	}
	o := make([]int, r)
	lo, hi, tap := make([]int, r), make([]int, r), make([]int, r)
	for oi := range dst {
		cntPad := 1
		empty := false
		for d := 0; d < r; d++ {
			lo[d], hi[d] = validRange(o[d], g.stride[d], g.padB[d], g.dil[d], g.k[d], g.in[d])
			if lo[d] >= hi[d] {
				empty = true
			}
			a, b := validRange(o[d], g.stride[d], 0, g.dil[d], g.k[d], g.in[d]+g.padB[d]+g.padE[d])
			cntPad *= b - a
		}
		var best T
		var sum float64
		bestAt, cnt := -1, 0
		if !empty {
			copy(tap, lo)
			for {
				off, colOff := 0, 0
				for d := 0; d < r; d++ {
					pos := o[d]*g.stride[d] - g.padB[d] + tap[d]*g.dil[d]
					off += pos * strides[d]
					colOff += pos * colStrides[d]
				}
				v := src[off]
				if bestAt < 0 || v > best {
					best = v
					bestAt = off
					if colMajor {
						bestAt = colOff
					}
				}
				sum += float64(v)
				cnt++
				d := r - 1
				for ; d >= 0; d-- {
					tap[d]++
					if tap[d] < hi[d] {
						break
					}
					tap[d] = lo[d]
				}
				if d < 0 {
					break
				}
			}
		}
		switch {
		case isMax:
			dst[oi] = best
			if empty {
				dst[oi] = T(negInf[T]())
			}
			if idx != nil {
				idx[oi] = int64(base + max(bestAt, 0))
			}
		default:
			if includePad {
				cnt = cntPad
			}
			dst[oi] = 0
			if cnt > 0 {
				dst[oi] = T(sum / float64(cnt))
			}
		}
		for d := r - 1; d >= 0; d-- {
			o[d]++
			if o[d] < g.out[d] {
				break
			}
			o[d] = 0
		}
	}
}

func negInf[T number]() float64 {
	var z T
	switch any(z).(type) {
	case int64:
		return math.MinInt64
	}
	return math.Inf(-1)
}

// globalPool averages or takes the maximum over all spatial dimensions.
type globalPool struct {
	op    string
	isMax bool
}

func (p globalPool) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := required(p.op, inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if err := requireFloat(p.op, x); err != nil {
		return nil, err
	}
	nb, ch, sp, err := spatial(p.op, x.Shape)
	if err != nil {
		return nil, err
	}
	shape := []int{nb, ch}
	for range sp {
		shape = append(shape, 1)
	}
	out := tensor.New(shape...)
	size := tensor.Size(sp)
	if size == 0 {
		return nil, fmt.Errorf("%s: empty input %s", p.op, tensor.ShapeString(x.Shape))
	}
	if !p.isMax {
		planeMeans(out.F, x.F, size)
		return one(out), nil
	}
	parallelFor(len(out.F), size, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			plane := x.F[i*size : (i+1)*size]
			m := plane[0]
			for _, v := range plane[1:] {
				if v > m {
					m = v
				}
			}
			out.F[i] = m
		}
	})
	return one(out), nil
}

// planeMeans sets dst[i] to the mean of src's plane i (size values each),
// the planes split over the cores (EfficientNet's squeeze-excitation pools
// planes of 112x112 and 56x56).
func planeMeans(dst, src []float32, size int) {
	parallelPlanes(len(dst), size, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			dst[i] = kernels.Mean(src[i*size : (i+1)*size])
		}
	})
}

func (p *pool) VJP(ps *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(ps, gs, p.vjp)
}

// vjp: max pooling sends each output's gradient to the first input
// position holding the window's maximum (padding never wins); average
// pooling spreads it evenly over the taps its divisor counted (with
// count_include_pad, taps in the explicit padding count but get nothing).
func (p *pool) vjp(ps *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := ps.requireFloat(0); err != nil {
		return nil, err
	}
	if !ps.need(0) {
		return nil, nil
	}
	x, y := ps.Inputs[0], ps.Outputs[0]
	if x.Rank() < 3 {
		return nil, fmt.Errorf("want an N x C x spatial input, got %s", tensor.ShapeString(x.Shape))
	}
	geo, err := p.win.resolve2D(x.Shape[2:], p.win.kernel, y.Shape[2:])
	if err != nil {
		return nil, err
	}
	planes := x.Shape[0] * x.Shape[1]
	ihw, ohw := geo.inH*geo.inW, geo.outH*geo.outW
	gx := tensor.New(x.Shape...)
	padH, padW := geo.inH+geo.padT+geo.padB, geo.inW+geo.padL+geo.padR
	for pl := 0; pl < planes; pl++ {
		src, dst, gp := x.F[pl*ihw:(pl+1)*ihw], gx.F[pl*ihw:(pl+1)*ihw], g.F[pl*ohw:(pl+1)*ohw]
		for oh := 0; oh < geo.outH; oh++ {
			h0, h1 := windowTaps(oh, geo.sH, geo.padT, geo.dH, geo.kH, geo.inH)
			for ow := 0; ow < geo.outW; ow++ {
				w0, w1 := windowTaps(ow, geo.sW, geo.padL, geo.dW, geo.kW, geo.inW)
				gv := gp[oh*geo.outW+ow]
				if p.isMax {
					best, at := float32(0), -1
					for ki := h0; ki < h1; ki++ {
						ih := tapAt(oh, geo.sH, ki, geo.dH, geo.padT)
						for kj := w0; kj < w1; kj++ {
							i := ih*geo.inW + tapAt(ow, geo.sW, kj, geo.dW, geo.padL)
							if at < 0 || src[i] > best {
								best, at = src[i], i
							}
						}
					}
					if at >= 0 {
						dst[at] += gv
					}
					continue
				}
				cnt := (h1 - h0) * (w1 - w0)
				if p.includePad {
					a, b := windowTaps(oh, geo.sH, 0, geo.dH, geo.kH, padH)
					c, d := windowTaps(ow, geo.sW, 0, geo.dW, geo.kW, padW)
					cnt = (b - a) * (d - c)
				}
				if cnt == 0 {
					continue
				}
				share := gv / float32(cnt)
				for ki := h0; ki < h1; ki++ {
					ih := tapAt(oh, geo.sH, ki, geo.dH, geo.padT)
					for kj := w0; kj < w1; kj++ {
						dst[ih*geo.inW+tapAt(ow, geo.sW, kj, geo.dW, geo.padL)] += share
					}
				}
			}
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// windowTaps returns the kernel taps [lo, hi) of output position o that
// fall inside an input of size size.
func windowTaps(o, s, pad, d, k, size int) (lo, hi int) {
	for lo = 0; lo < k && tapAt(o, s, lo, d, pad) < 0; lo++ {
	}
	for hi = k; hi > lo && tapAt(o, s, hi-1, d, pad) >= size; hi-- {
	}
	return lo, hi
}

func (p globalPool) VJP(ps *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(ps, gs, p.vjp)
}

func (p globalPool) vjp(ps *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := ps.requireFloat(0); err != nil {
		return nil, err
	}
	if !ps.need(0) {
		return nil, nil
	}
	x := ps.Inputs[0]
	if x.Rank() < 3 {
		return nil, fmt.Errorf("want an N x C x spatial input, got %s", tensor.ShapeString(x.Shape))
	}
	planes := x.Shape[0] * x.Shape[1]
	if g.Len() != planes {
		return nil, fmt.Errorf("output gradient %s does not have one value per plane", tensor.ShapeString(g.Shape))
	}
	hw := x.Len() / max(planes, 1)
	gx := tensor.New(x.Shape...)
	for pl := 0; pl < planes; pl++ {
		src, dst := x.F[pl*hw:(pl+1)*hw], gx.F[pl*hw:(pl+1)*hw]
		if p.isMax {
			at := 0
			for i, v := range src {
				if v > src[at] {
					at = i
				}
			}
			dst[at] = g.F[pl]
			continue
		}
		share := g.F[pl] / float32(hw)
		for i := range dst {
			dst[i] = share
		}
	}
	return []*tensor.Tensor{gx}, nil
}

func buildGlobalLpPool(n *Node) (Op, error) {
	p, err := lpOrder("GlobalLpPool", n)
	if err != nil {
		return nil, err
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("GlobalLpPool", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("GlobalLpPool", x); err != nil {
			return nil, err
		}
		nb, ch, sp, err := spatial("GlobalLpPool", x.Shape)
		if err != nil {
			return nil, err
		}
		shape := []int{nb, ch}
		for range sp {
			shape = append(shape, 1)
		}
		out := tensor.New(shape...)
		size := tensor.Size(sp)
		for i := range out.F {
			out.F[i] = float32(lpNorm(x.F, i*size, size, 1, p))
		}
		return one(out), nil
	}), nil
}
