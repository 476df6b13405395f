package kernels

// Pixel-major convolution GEMM. The planes' flattened columns (see Conv)
// carry wq-OW junk columns per output row and round the row length up to
// NR: a 3x3 convolution of a 7x7 image computes 64 columns for 49 pixels,
// of a 13x13 one 224 for 169. Turned around, with the output pixels as the
// GEMM's rows (MR at a time) and the output channels as its columns, the
// same convolution computes 56 rows for 49 pixels, 176 for 169, and the
// weights, transposed once at load, are read in place as B panels. The
// price is gathering the A panels (the pixels' taps, im2col) at every run
// and transposing the result into channel-major order, with the bias and
// activation (a SiLU over each block of rows just transposed), which pays where there are many output channels per pixel.

// pixelCost and pixelCostContiguous are how many multiply-adds gathering
// one A value costs, in the estimate that chooses between the two layouts:
// fitted to single-layer timings on Zen 5. A panel whose MR pixels are
// consecutive in the planes (all of a 1x1 convolution of a whole image,
// most of a strided or padded one's when an output row holds several
// panels) is copied 8 values at a time; the others gather 8 single values.
const (
	pixelCost           = 24
	pixelCostContiguous = 8
)

// maxPixelA bounds the gathered A matrix (values; it is scratch for the
// whole run): larger images keep the channel-major GEMM, which needs no
// more than the planes.
const maxPixelA = 1 << 20

// pixelPlan is the pixel-major path of a Conv.
type pixelPlan struct {
	wt     []float32 // per group, kg x ldw: weights transposed, zero past mg
	npad   int       // columns: mg rounded up to NR
	ldw    int       // row stride of wt
	rows   int       // output pixels rounded up to MR
	pixOff []int     // plane offset of each output pixel, rows of them (the last repeated)
}

// gemmLayout chooses between the channel-major and pixel-major GEMMs of a
// convolution: NewConv estimates, tests force one.
type gemmLayout uint8

const (
	layoutAuto gemmLayout = iota
	layoutChannels
	layoutPixels
	// layoutWinograd is Winograd F(4x4, 3x3) where it applies (see
	// winograd.go).
	layoutWinograd
	// layoutPatches is the patches path (see convpatch.go), for a
	// convolution patchApplies accepts.
	layoutPatches
)

// choosePixelMajor reports whether the pixel-major layout computes the
// convolution with clearly less work than the channel-major one, counting
// the gather of A as multiply-adds (see pixelCost).
func (c *Conv) choosePixelMajor(layout gemmLayout) bool {
	p := c.p
	switch {
	case layout != layoutAuto:
		return layout == layoutPixels
	case c.mk.kind != kindAVX512, roundUp(c.oh*c.ow, c.mk.mr)*c.kg > maxPixelA:
		// Only AVX-512 has the gathers in assembly (the estimate's costs).
		return false
	}
	mg, mr := p.M/p.Group, c.mk.mr
	rows := roundUp(c.oh*c.ow, mr)
	gather := rows * pixelCostContiguous
	if !c.direct || p.KH*p.KW != 1 {
		gather = 0
		pixOff := c.pixelOffsets(rows)
		for i := 0; i < rows; i += mr {
			cost := pixelCost
			if pixOff[i+mr-1]-pixOff[i] == mr-1 {
				cost = pixelCostContiguous
			}
			gather += mr * cost
		}
	}
	channelMajor := roundUp(mg, mr) * roundUp(c.oh*c.wq, c.mk.nr)
	pixelMajor := productRows(c.mk, c.oh*c.ow)*roundUp(mg, c.mk.nr) + gather
	return 20*pixelMajor < 19*channelMajor
}

// productRows is how many rows the pixel-major product of npix pixels
// computes with kernel mk: npix rounded up to MR, or where the pixels end 1
// to 4 rows past a multiple of MR, to a last panel of 4 rows (shortTile).
func productRows(mk microKernel, npix int) int {
	rows := roundUp(npix, mk.mr)
	if r := npix % mk.mr; mk.mr == 8 && r > 0 && r <= 4 && hasShortTile(mk.kind) {
		return rows - 4
	}
	return rows
}

// pixelOffsets returns the plane offset of each output pixel, for rows
// rows (the last pixel repeated past the image).
func (c *Conv) pixelOffsets(rows int) []int {
	npix := c.oh * c.ow
	off := make([]int, rows)
	for i := range off {
		j := min(i, npix-1)
		off[i] = j/c.ow*c.wq + j%c.ow
	}
	return off
}

// setupPixelMajor prepares the pixel-major path from the weights
// (M x C/Group x KH x KW).
func (c *Conv) setupPixelMajor(weights []float32) {
	p := c.p
	mg := p.M / p.Group
	pp := &pixelPlan{npad: roundUp(mg, c.mk.nr)}
	// Rows a power of two apart would share a few cache sets: a B panel's
	// rows could not stay in L1 together.
	pp.ldw = pp.npad + 16
	npix := c.oh * c.ow
	pp.rows = roundUp(npix, c.mk.mr)
	pp.pixOff = c.pixelOffsets(pp.rows)
	pp.wt = make([]float32, p.Group*c.kg*pp.ldw)
	for g := 0; g < p.Group; g++ {
		wt := pp.wt[g*c.kg*pp.ldw:]
		for m := 0; m < mg; m++ {
			for k, v := range weights[(g*mg+m)*c.kg : (g*mg+m+1)*c.kg] {
				wt[k*pp.ldw+m] = v
			}
		}
	}
	c.pix = pp
}

// pixelBatchRows bounds the rows (pixels of several images) of one
// pixel-major product in a batch (runPixelBatch): the gemm reads B once
// per block of mcBlock rows, so more rows save no further reads of the
// weights, while the gathered A grows with them.
const pixelBatchRows = mcBlock

// runPixelBatch is RunBatch on the pixel-major path: the pixels of as many
// images as fit pixelBatchRows are the rows of one product, which reads
// each panel of weights once for them all instead of once an image. The
// product's rows are independent (each output value sums its terms in the
// same order in whatever row it is), so every image's output is the one
// Run gives it, bit for bit.
func (c *Conv) runPixelBatch(dst, src []float32, n int) {
	p := c.p
	inSize, outSize := p.C*p.H*p.W, p.M*c.oh*c.ow
	step := max(1, pixelBatchRows/(c.oh*c.ow))
	for i := 0; i < n; i += step {
		k := min(step, n-i)
		x, buf := c.planes(src[i*inSize:(i+k)*inSize], k)
		stride := inSize
		if buf != nil {
			stride = p.C * c.chanStride
		}
		c.runPixelMajor(dst[i*outSize:(i+k)*outSize], x, k, stride)
		if buf != nil {
			putScratch(buf)
		}
	}
}

// runPixelMajor computes the GEMM part of Run on the pixel-major path from
// the planes x of n images, stride values apart (their outputs one after
// the other in dst): one product whose rows are the pixels of every image.
func (c *Conv) runPixelMajor(dst, x []float32, n, stride int) {
	p, pp := c.p, c.pix
	cg, mg := p.C/p.Group, p.M/p.Group
	mr := c.mk.mr
	npix := c.oh * c.ow
	rows, pixOff := pp.rows, pp.pixOff
	if n > 1 {
		rows = roundUp(n*npix, mr)
		pixOff = make([]int, rows)
		for r := range pixOff {
			i := min(r, n*npix-1)
			pixOff[r] = i/npix*stride + pp.pixOff[i%npix]
		}
	}
	m := productRows(c.mk, n*npix)
	abuf := getScratch(rows * c.kg)
	kb := kcFor(c.kg)
	// The result's rows are a few values longer than a power of two, so
	// that walking down its columns does not hit the same cache sets.
	ldc := pp.npad + 16
	cbuf := getScratch(rows * ldc)
	a, ct := *abuf, *cbuf
	t := gemmTask{
		mk: c.mk, m: m, n: pp.npad, k: c.kg, ap: a, mpad: rows,
		out: ct, ldc: ldc, ldbIn: pp.ldw, bInCols: pp.npad, short: m < rows, byPanel: true, channelCols: true,
	}
	lo, hi := -float32Inf, float32Inf
	if c.clamp {
		lo, hi = c.lo, c.hi
	}
	w := workersFor(2 * rows * pp.npad * c.kg)
	split := t.split(w)
	for g := 0; g < p.Group; g++ {
		base := g * cg * c.chanStride
		t.prep = nil
		if split == splitColumns {
			// Every worker reads all of A: each gathers the k rows (input
			// channels) of its part, which it likely wrote itself (the
			// layer before split its channels the same way), before its
			// first panel (gemmTask.prep), and reads the other's part in
			// the product, in order.
			units := (c.kg + gatherUnit - 1) / gatherUnit
			t.prep = newJob(func(u0, u1 int) {
				ka, kz := u0*gatherUnit, min(c.kg, u1*gatherUnit)
				for k0 := ka / kb * kb; k0 < kz; k0 += kb {
					kc := min(kb, c.kg-k0)
					s, e := max(ka, k0)-k0, min(kz, k0+kc)-k0
					blk := a[k0*rows:]
					for i0 := 0; i0 < m; i0 += mr {
						r := min(mr, m-i0)
						gatherPanel(c.mk.kind, blk[i0*kc+s*r:i0*kc+e*r], x[base:], c.rowOff[k0+s:k0+e], c.maxOff, pixOff[i0:i0+r])
					}
				}
			}, units, min(units, w))
		} else {
			parallelFor(rows/mr, workersFor(pixelCost*2*rows*c.kg), func(p0, p1 int) {
				for k0 := 0; k0 < c.kg; k0 += kb {
					kc := min(kb, c.kg-k0)
					blk := a[k0*rows:]
					for i0 := p0 * mr; i0 < p1*mr; i0 += mr {
						r := min(mr, m-i0)
						gatherPanel(c.mk.kind, blk[i0*kc:i0*kc+kc*r], x[base:], c.rowOff[k0:k0+kc], c.maxOff, pixOff[i0:i0+r])
					}
				}
			})
		}
		t.bIn = pp.wt[g*c.kg*pp.ldw:]
		tr := &pixelOut{c: c, dst: dst, n: n, g: g, lo: lo, hi: hi}
		if split == splitRows {
			// Each worker has some pixels of every channel: the
			// transposition, by channels, comes after.
			t.final = nil
			t.parallel(w)
			parallelFor(mg, workersFor(8*mg*npix*n), func(m0, m1 int) { tr.finish(c.mk.kind, ct, ldc, m0, m1, 0, rows) })
		} else {
			// Each worker transposes the channels it computed.
			t.final = tr
			t.parallel(w)
		}
	}
	putScratch(cbuf)
	putScratch(abuf)
}

// gatherUnit is how many k rows of A a worker gathers at least, when the
// workers gather by k rows (16: whole cache lines of the 8-row panels).
const gatherUnit = 16

// pixelOut is the last step of a pixel-major product: the channels it
// computed, transposed from the scratch (pixel-major, ldc values a pixel)
// into the output planes of group g of n images, with the bias, clamp and
// SiLU.
type pixelOut struct {
	c      *Conv
	dst    []float32
	n, g   int
	lo, hi float32
}

// finish writes channels j0..j1 (all rows of t's product: every pixel of
// the n images) of the group.
func (o *pixelOut) finish(kind kernelKind, ct []float32, ldc, j0, j1, _, _ int) {
	c := o.c
	mg, npix := c.p.M/c.p.Group, c.oh*c.ow
	j1 = min(j1, mg)
	if j0 >= j1 {
		return
	}
	var bias []float32
	if c.bias != nil {
		bias = c.bias[o.g*mg : (o.g+1)*mg]
	}
	for i := range o.n {
		out := o.dst[(i*c.p.Group+o.g)*mg*npix : (i*c.p.Group+o.g+1)*mg*npix]
		transposeRows(kind, out, npix, ct[i*npix*ldc:], ldc, npix, j0, j1, bias, o.lo, o.hi)
		if c.silu {
			rows := out[j0*npix : j1*npix]
			SiLU(rows, rows)
		}
	}
}

// gatherPanel writes an A panel of the pixel-major GEMM: for each k step p
// and panel row r, panel[p*mr+r] = x[rowOff[p]+pixOff[r]] (mr =
// len(pixOff)). Every rowOff[p] must be at most maxOff.
func gatherPanel(kind kernelKind, panel, x []float32, rowOff []int, maxOff int, pixOff []int) {
	mr := len(pixOff)
	switch {
	case mr == 8:
		gatherPanel8(kind, panel, x, rowOff, maxOff, pixOff)
		return
	case mr == 4 && pixOff[3]-pixOff[0] == 3:
		// A short panel (see gemmTask.short) of consecutive pixels.
		for p, o := range rowOff {
			*(*[4]float32)(panel[p*4:]) = *(*[4]float32)(x[o+pixOff[0]:])
		}
		return
	}
	for p, o := range rowOff {
		d := panel[p*mr : p*mr+mr]
		for r, q := range pixOff {
			d[r] = x[o+q]
		}
	}
}

// transposeRowsGo writes channels m0..m1 of dst (channel-major, npix
// pixels each, lds values apart) from ct (pixel-major, ldc values per
// pixel), adding the bias and clamping to [lo, hi].
func transposeRowsGo(dst []float32, lds int, ct []float32, ldc, npix, m0, m1 int, bias []float32, lo, hi float32) {
	for m := m0; m < m1; m++ {
		var b float32
		if bias != nil {
			b = bias[m]
		}
		row := dst[m*lds : m*lds+npix]
		col := ct[m:]
		for i := range row {
			row[i] = clamp(col[i*ldc]+b, lo, hi)
		}
	}
}

// gatherPanel8Go is gatherPanel for 8 rows: 8 values copied at once where
// the panel's pixels are consecutive in the planes.
func gatherPanel8Go(panel, x []float32, rowOff, pixOff []int) {
	q := pixOff[:8]
	if q[7]-q[0] == 7 {
		for p, o := range rowOff {
			*(*[8]float32)(panel[p*8:]) = *(*[8]float32)(x[o+q[0]:])
		}
		return
	}
	for p, o := range rowOff {
		d := panel[p*8 : p*8+8 : p*8+8]
		s := x[o:]
		d[0], d[1], d[2], d[3] = s[q[0]], s[q[1]], s[q[2]], s[q[3]]
		d[4], d[5], d[6], d[7] = s[q[4]], s[q[5]], s[q[6]], s[q[7]]
	}
}
