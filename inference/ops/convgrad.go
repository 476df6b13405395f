package ops

import (
	"sync"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// transposedConvs keeps, per input size, the prepared convolutions that
// compute a convolution's input gradient (see inputGradConv), for the
// constant weights of one conv; at most maxPrepared sizes.
type transposedConvs struct {
	mu    sync.Mutex
	cache map[[2]int]*inputGrad
	order [][2]int
}

// inputGrad computes a convolution's input gradient from its output
// gradient with the forward kernels (kernels.Conv), as one stride-1
// convolution per part of the input: for stride 1 one part, the whole
// input; for stride sH x sW the sH*sW parts of the input rows r, r+sH,
// r+2sH, ... and columns q, q+sW, ..., each the gradient of a stride-1
// convolution of the output gradient with those of the weights' taps that
// land on it (sub-pixel decomposition: for 3x3 stride 2 the parts take 1,
// 2, 2 and 4 taps, the forward pass's multiplications in all), written to
// a scratch array and spread onto its rows and columns (for stride 2 along
// the rows a part of even columns and one of odd columns merged a row at a
// time: kernels.InterleaveRows).
type inputGrad struct {
	sH, sW, inH, inW, ch int
	parts                []gradPart // rows' residues, then columns'
}

// gradPart is the input rows rH, rH+sH, ... (nH of them) and columns rW,
// rW+sW, ... (nW); k is nil where no tap reaches them (a 1x1 stride-2
// convolution's odd rows and columns): their gradient is 0. Otherwise k's
// output is outH x outW a plane, of which rows skipH to skipH+nH and columns
// skipW to skipW+nW are the part's (see axisPart).
type gradPart struct {
	rH, rW, nH, nW           int
	skipH, skipW, outH, outW int
	k                        *kernels.Conv
}

// run writes the input gradient of nb images to gx from their output
// gradients gy.
func (g *inputGrad) run(gx, gy []float32, nb int) {
	if pt := g.parts[0]; len(g.parts) == 1 && pt.k != nil && pt.outH == g.inH && pt.outW == g.inW {
		pt.k.RunBatch(gx, gy, nb) // the whole input, as a stride-1 convolution's
		return
	}
	planes, hw := nb*g.ch, g.inH*g.inW
	offs := make([]int, len(g.parts)+1) // each part's outputs in scratch
	gaps := false
	for i, pt := range g.parts {
		offs[i+1] = offs[i] + planes*pt.outH*pt.outW
		gaps = gaps || pt.k == nil
	}
	scratch := tensor.NewUninit(offs[len(g.parts)]) // each part's run writes every value it spreads
	defer tensor.Recycle(scratch)
	for i, pt := range g.parts {
		if pt.k != nil {
			pt.k.RunBatch(scratch.F[offs[i]:offs[i+1]], gy, nb)
		}
	}
	if gaps {
		clear(gx[:planes*hw])
	}
	// part i's values of plane c, from the part's first row and column
	at := func(i, c int) []float32 {
		pt := g.parts[i]
		n := pt.outH * pt.outW
		return scratch.F[offs[i]+c*n+pt.skipH*pt.outW+pt.skipW : offs[i]+(c+1)*n]
	}
	for c := range planes {
		plane := gx[c*hw : (c+1)*hw]
		for i := 0; i < len(g.parts); i++ {
			pt := g.parts[i]
			if pt.k == nil {
				continue
			}
			if g.sW == 2 && pt.rW == 0 && i+1 < len(g.parts) && g.parts[i+1].k != nil && g.parts[i+1].rH == pt.rH {
				// The even and odd columns of the same rows, merged.
				odd := g.parts[i+1]
				even, oddv := at(i, c), at(i+1, c)
				kernels.InterleaveRows(plane[pt.rH*g.inW:], g.sH*g.inW, even, pt.outW, oddv, odd.outW, pt.nH, odd.nW)
				if pt.nW > odd.nW { // an odd width's last column
					for a := range pt.nH {
						plane[(pt.rH+a*g.sH)*g.inW+2*odd.nW] = even[a*pt.outW+odd.nW]
					}
				}
				i++
				continue
			}
			spread(plane, at(i, c), pt.outW, g.inW, g.sH, g.sW, pt.rH, pt.rW, pt.nH, pt.nW)
		}
	}
}

// spread writes nH x nW values of part, rows ps apart, to rows rH,
// rH+sH, ... and columns rW, rW+sW, ... of plane, a plane w values wide.
func spread(plane, part []float32, ps, w, sH, sW, rH, rW, nH, nW int) {
	for a := range nH {
		row := plane[(rH+a*sH)*w+rW:]
		row = row[:(nW-1)*sW+1]
		src := part[a*ps : a*ps+nW]
		if sW == 1 {
			copy(row, src)
			continue
		}
		for b, v := range src {
			row[b*sW] = v
		}
	}
}

// axisPart is one residue r of an axis of a convolution: the input
// positions r, r+s, r+2s, ... (n of them) get their gradient from a
// stride-1 correlation of the output gradient, padded by padB and padE,
// with the forward taps taps (in the correlation's order). The
// correlation gives size values, of which those from skip on are the
// part's: where outputs that only read padding would make a pad negative
// (a pad at the end that its last outputs read alone, or a leading pad
// past the kernel), the correlation computes the positions before or after
// the part too, and they are dropped.
type axisPart struct {
	r, n, skip, size, padB, padE int
	taps                         []int
}

// axisParts splits one axis of a convolution (in inputs, out outputs,
// kernel k, stride s, dilation d, leading pad p) into its parts, one per
// residue r < s that has input positions: input r + a*s takes the taps kt ≡
// r+p (mod s), from output (r + a*s + p - kt*d)/s (d is 1 for s > 1). It
// reports false for strides over 1 with dilation (not handled).
func axisParts(in, out, k, s, d, p int) ([]axisPart, bool) {
	if s > 1 && d != 1 {
		return nil, false
	}
	var parts []axisPart
	for r := 0; r < s && r < in; r++ {
		n := (in - r + s - 1) / s
		k0 := (r + p) % s
		var taps []int
		for kt := k0; kt < k; kt += s {
			taps = append([]int{kt}, taps...) // the largest tap reads the earliest output
		}
		if len(taps) == 0 {
			parts = append(parts, axisPart{r: r, n: n})
			continue
		}
		// Position r + a*s reads output a + t - padB through correlation
		// tap t (forward tap taps[t]).
		ext := d * (len(taps) - 1)
		padB := (taps[0]*d - r - p) / s
		skip := max(0, -padB)
		padB += skip
		size := skip + n
		padE := size - 1 + ext - padB - (out - 1)
		if padE < 0 {
			size -= padE
			padE = 0
		}
		parts = append(parts, axisPart{r: r, n: n, skip: skip, size: size, padB: padB, padE: padE, taps: taps})
	}
	return parts, true
}

// inputGradConv returns the convolutions that, run on the output gradient
// of c, give the input gradient, or nil where the decomposition does not
// apply (strides over 1 with dilation), which keeps the GEMM and col2im. For stride 1 the input
// gradient is a convolution of the output gradient with the weights
// flipped in space and transposed in channels (within each group), dilated
// as c, padded by dil*(k-1)-pad on each side; for larger strides each part
// of the input (see inputGrad) is such a convolution with some of the taps.
func (c *conv) inputGradConv(w *tensor.Tensor, geo geom2D, ch int) *inputGrad {
	build := func() *inputGrad { return c.buildInputGrad(w, geo, ch) }
	if c.w == nil || tensor.ArrayID(w) != tensor.ArrayID(c.w) {
		return build()
	}
	t := &c.back
	key := [2]int{geo.inH, geo.inW}
	t.mu.Lock()
	defer t.mu.Unlock()
	if g, ok := t.cache[key]; ok {
		return g
	}
	g := build()
	if t.cache == nil {
		t.cache = map[[2]int]*inputGrad{}
	}
	if len(t.order) == maxPrepared {
		delete(t.cache, t.order[0])
		t.order = t.order[1:]
	}
	t.cache[key] = g
	t.order = append(t.order, key)
	return g
}

func (c *conv) buildInputGrad(w *tensor.Tensor, geo geom2D, ch int) *inputGrad {
	rows, okH := axisParts(geo.inH, geo.outH, geo.kH, geo.sH, geo.dH, geo.padT)
	cols, okW := axisParts(geo.inW, geo.outW, geo.kW, geo.sW, geo.dW, geo.padL)
	if !okH || !okW {
		return nil
	}
	return c.partsGrad(w, geo, ch, rows, cols)
}

// partsGrad makes the inputGrad of the parts rows x cols.
func (c *conv) partsGrad(w *tensor.Tensor, geo geom2D, ch int, rows, cols []axisPart) *inputGrad {
	m := w.Shape[0]
	g := &inputGrad{sH: geo.sH, sW: geo.sW, inH: geo.inH, inW: geo.inW, ch: ch}
	for _, ph := range rows {
		for _, pw := range cols {
			pt := gradPart{rH: ph.r, rW: pw.r, nH: ph.n, nW: pw.n}
			if len(ph.taps) > 0 && len(pw.taps) > 0 {
				pt.skipH, pt.skipW, pt.outH, pt.outW = ph.skip, pw.skip, ph.size, pw.size
				p := kernels.ConvParams{
					C: m, H: geo.outH, W: geo.outW, M: ch, KH: len(ph.taps), KW: len(pw.taps),
					StrideH: 1, StrideW: 1, DilH: geo.dH, DilW: geo.dW,
					PadT: ph.padB, PadB: ph.padE, PadL: pw.padB, PadR: pw.padE,
					Group: c.group,
				}
				if p.Validate() != nil {
					return nil
				}
				pt.k = kernels.NewConv(p, transposeConvWeights(w.F, m, ch, geo.kH, geo.kW, ph.taps, pw.taps, c.group), nil)
			}
			g.parts = append(g.parts, pt)
		}
	}
	return g
}

// transposeConvWeights returns the weights of a transposed convolution:
// w is m x ch/group x kH x kW, the result ch x m/group x len(th) x
// len(tw), with weight (g*cg+i, j, a, b) = w(g*mg+j, i, th[a], tw[b]):
// input and output channels swapped within each group, and the taps
// th x tw of the forward kernel in the order given (all of them, reversed,
// turn the kernel by 180 degrees).
func transposeConvWeights(w []float32, m, ch, kH, kW int, th, tw []int, group int) []float32 {
	cg, mg := ch/group, m/group
	taps, nt := kH*kW, len(th)*len(tw)
	out := make([]float32, ch*mg*nt)
	for g := range group {
		for i := range cg {
			for j := range mg {
				src := w[((g*mg+j)*cg+i)*taps:][:taps]
				dst := out[((g*cg+i)*mg+j)*nt:][:nt]
				for a, y := range th {
					for b, x := range tw {
						dst[a*len(tw)+b] = src[y*kW+x]
					}
				}
			}
		}
	}
	return out
}
