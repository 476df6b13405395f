package kernels

// Convolutions of non-overlapping patches: a kernel as large as its
// stride, without padding or dilation (a vision transformer's patch
// embedding, 16x16 of stride 16). The planes would split every input
// channel into KH x KW stride phases, a scalar copy of the whole input on
// one core per channel (ViT's 224x224x3 input: 100 µs, on two cores 2
// channels against 1, then handed over); here each row of the pixel-major
// product (one output pixel: its patch, KW consecutive input values for
// each channel and kernel row) is copied straight from the input. Each
// worker copies the patches of its own pixels, multiplies them by the
// weights transposed at load (both read in place by the aIn kernels), and
// transposes its pixels of every output channel into the output with the
// bias and activation: nothing is handed between the cores.

// minPatchWidth is the narrowest patch the path takes: rows of 8 values
// or more copied at once (the 4x4 and 2x2 patches of Swin's and
// ConvNeXt's stems and downsamplings keep the planes; not measured).
const minPatchWidth = 8

// patchPlan is the patches path of a Conv.
type patchPlan struct {
	wt   []float32 // kg x ldw: weights transposed, zero past M
	npad int       // columns: M rounded up to NR
	ldw  int       // row stride of wt
	rows int       // output pixels rounded up to MR
}

// patchApplies reports whether p is a convolution of non-overlapping
// patches that kernel mk computes on the patches path: with at least a
// tile's width of output channels, so that the weights transposed and
// padded to whole tiles take at most 2.5 times their bytes (one channel
// would take 48 times; the real stems have 96 or more).
func patchApplies(p ConvParams, mk microKernel) bool {
	return mk.aIn && p.Group == 1 && p.M >= mk.nr && p.KH == p.StrideH && p.KW == p.StrideW && p.KW >= minPatchWidth &&
		p.DilH == 1 && p.DilW == 1 && p.PadT == 0 && p.PadL == 0 && p.PadB == 0 && p.PadR == 0
}

// setupPatches prepares the patches path from the weights (M x C x KH x KW).
func (c *Conv) setupPatches(weights []float32) {
	p := c.p
	c.kg = p.C * p.KH * p.KW
	pp := &patchPlan{npad: roundUp(p.M, c.mk.nr), rows: roundUp(c.oh*c.ow, c.mk.mr)}
	// Rows a power of two apart would share a few cache sets.
	pp.ldw = pp.npad + 16
	pp.wt = make([]float32, c.kg*pp.ldw)
	Transpose(pp.wt, pp.ldw, weights, c.kg, p.M, c.kg)
	c.patch = pp
}

// runPatches is Run on the patches path.
func (c *Conv) runPatches(dst, src []float32) {
	p, pp := c.p, c.patch
	mr := c.mk.mr
	npix := c.oh * c.ow
	// The result's rows are a few values longer than a power of two, so
	// that walking down its columns does not hit the same cache sets.
	ldc := pp.npad + 16
	abuf, cbuf := getScratch(pp.rows*c.kg), getScratch(pp.rows*ldc)
	a, ct := *abuf, *cbuf
	t := &gemmTask{
		mk: c.mk, m: pp.rows, n: pp.npad, k: c.kg, aIn: a, lda: c.kg,
		out: ct, ldc: ldc, bIn: pp.wt, ldbIn: pp.ldw, bInCols: pp.npad,
	}
	lo, hi := -float32Inf, float32Inf
	if c.clamp {
		lo, hi = c.lo, c.hi
	}
	parallelFor(pp.rows/mr, workersFor(2*pp.rows*pp.npad*c.kg), func(p0, p1 int) {
		r0, r1 := p0*mr, p1*mr
		c.gatherPatches(a, src, r0, r1)
		t.run(0, t.n, r0, r1)
		if e := min(r1, npix); r0 < e {
			transposeRows(c.mk.kind, dst[r0:], npix, ct[r0*ldc:], ldc, e-r0, 0, p.M, c.bias, lo, hi)
			if c.silu {
				for m := range p.M {
					row := dst[m*npix+r0 : m*npix+e]
					SiLU(row, row)
				}
			}
		}
	})
	putScratch(cbuf)
	putScratch(abuf)
}

// gatherPatches writes rows r0..r1 of the product's A (kg values a row):
// row r the patch of output pixel r (of the last pixel past the image),
// its channels, kernel rows and kernel columns in the weights' order. The
// pixels of one output row read each kernel row of a channel from one
// stretch of the input, KW values a pixel: one copyRows call for them.
func (c *Conv) gatherPatches(a, src []float32, r0, r1 int) {
	p := c.p
	npix := c.oh * c.ow
	for r := r0; r < r1; {
		q := min(r, npix-1)
		oy, ox := q/c.ow, q%c.ow
		n := 1 // pixels of this output row from r on
		if r < npix {
			n = min(r1, npix, (oy+1)*c.ow) - r
		}
		base := oy*p.KH*p.W + ox*p.KW
		for ci := range p.C {
			for ky := range p.KH {
				k := (ci*p.KH + ky) * p.KW
				copyRows(c.mk.kind, a[r*c.kg+k:], c.kg, src[ci*p.H*p.W+ky*p.W+base:], p.KW, n, p.KW)
			}
		}
		r += n
	}
}
