package kernels

import "sync"

// Conv is a convolution whose weights are prepared once, at model load, and
// then run on many inputs, concurrently if wanted: Run does not modify c
// (RunBatch, on a pixel-major 1x1 convolution's first batch, packs the
// weights of its channel-major product once: channelsForBatch).
//
// Every convolution runs as a stride-1 one over "planes": the zero-padded
// input split by stride phase (for stride s, s x s planes of rows
// r*s+py-PadT and columns q*s+px-PadL; only the phases some tap uses). In a
// plane of width wq, output pixel (oy, ox) of tap (ky, kx) reads element
// (oy+ky*DilH/s)*wq + ox+kx*DilW/s of plane ((ky*DilH)%s, (kx*DilW)%s), so
// over the flattened outputs j = oy*wq+ox each tap is a contiguous run of
// the planes, shifted by a constant. Output columns ox >= OW are computed and
// dropped (wq-OW of every wq). That makes the GEMM's B matrix (im2col) rows
// plain slices of the planes, and a depthwise channel one long vector sum.
type Conv struct {
	p      ConvParams
	mk     microKernel
	oh, ow int
	bias   []float32
	lo, hi float32
	clamp  bool
	silu   bool // p.Act is ActSiLU (see epilogue.go)

	// Planes.
	direct     bool // stride 1 and no padding: the input is its own plane
	hq, wq     int  // plane size
	phY, phX   []int
	chanStride int // values per input channel in the planes
	slack      int // values after the last plane that reads may touch
	hp, wp     int // padded input size (strided convs: see prepareChannel)
	prepTmp    int // scratch values prepareChannel needs

	// GEMM path (all but depthwise), per group.
	ap      []float32 // weights packed by packA, group g at g*mpad*kg
	biasPad []float32 // bias, group g at g*mpad, zero past mg
	mpad    int
	kg      int
	rowOff  []int // plane offset of each k (channel, ky, kx) of group 0
	maxOff  int   // max(rowOff)
	// bInPlace has the micro-kernel read B straight from the input (a 1x1
	// stride-1 conv's B is the input itself) instead of packing it.
	bInPlace bool

	// Pixel-major GEMM path (see convpix.go), or nil.
	pix *pixelPlan
	// Patches path (see convpatch.go), or nil.
	patch *patchPlan
	// Packs the channel-major path of a pixel-major convolution whose
	// batches take it (channelsForBatch).
	batchOnce sync.Once

	// Winograd path (see winograd.go), or nil.
	wg *winograd

	// Matrix-vector path (1x1 conv of a 1x1 image, see vector.go).
	vec      []float32
	vecByRow bool

	// Direct path of a 3x3 stride-2 convolution of few input channels
	// (see convdirect.go), or nil.
	cd *convDirect

	// Depthwise path.
	depthwise bool
	dwW       []float32 // C x KH*KW
	dwOffs    []int     // plane offset of each tap
	dwMaxOff  int       // max(dwOffs)
	dw        dwGeom    // the direct path (see dwdirect.go), if dw.recs != nil
	dwBias    []float32 // the bias, or zeros, for the direct path
}

// NewConv prepares a convolution. weights is M x C/Group x KH x KW; bias has
// M values or is nil. The slices are copied, not retained.
// p must be valid.
func NewConv(p ConvParams, weights, bias []float32) *Conv {
	return newConv(p, weights, bias, layoutAuto)
}

// NewBandConv prepares the convolution p of a band of the input rows of
// whole, a convolution of the whole input with p's weights (p differs from
// whole's parameters only in H, PadT and PadB): it takes whole's path (the
// pixel- or channel-major product, the patches, or a direct one), so that
// each output it computes is bit for bit whole's output at that pixel. It
// returns nil when whole takes the patches path and the band, padded, does
// not, and when whole takes the Winograd path: its products stream every
// transformed weight however few the rows (the built-in shapes model's
// 64->64 layer at 16x16 took 57 µs for a band of 8 rows, 50 for all 16),
// and its tiles would fix where a band starts.
func NewBandConv(p ConvParams, weights, bias []float32, whole *Conv) *Conv {
	layout := layoutAuto
	switch {
	case whole.wg != nil:
		return nil
	case whole.pix != nil:
		layout = layoutPixels
	case whole.patch != nil:
		if !patchApplies(p, whole.mk) {
			return nil
		}
		layout = layoutPatches
	case whole.ap != nil:
		layout = layoutChannels
	}
	return newConv(p, weights, bias, layout)
}

// newConv is NewConv with the GEMM's layout chosen by the caller.
func newConv(p ConvParams, weights, bias []float32, layout gemmLayout) *Conv {
	if err := p.Validate(); err != nil {
		panic("kernels: " + err.Error())
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	taps := p.KH * p.KW
	if len(weights) < p.M*cg*taps || (bias != nil && len(bias) < p.M) {
		panic("kernels: conv weights or bias too short")
	}
	c := &Conv{p: p, mk: active}
	if bias != nil {
		c.bias = append([]float32(nil), bias[:p.M]...)
	}
	c.oh, c.ow = p.OutSize()
	c.lo, c.hi, c.clamp = clampValues(p.Act)
	c.silu = p.Act.Kind == ActSiLU
	if winogradApplies(p) && (layout == layoutWinograd || layout == layoutAuto && c.chooseWinograd()) {
		c.setupWinograd(weights)
		return c
	}
	c.setupPlanes()
	if layout == layoutPatches || layout == layoutAuto && patchApplies(p, c.mk) {
		c.setupPatches(weights)
		return c
	}
	if cg == 1 && mg == 1 {
		c.depthwise = true
		c.dwW = append([]float32(nil), weights[:p.M*taps]...)
		c.dwOffs = make([]int, taps)
		for ky := 0; ky < p.KH; ky++ {
			for kx := 0; kx < p.KW; kx++ {
				o := c.tapOffset(ky, kx)
				c.dwOffs[ky*p.KW+kx] = o
				c.dwMaxOff = max(c.dwMaxOff, o)
			}
		}
		if !c.clamp {
			c.lo, c.hi = -float32Inf, float32Inf
		}
		if dwDirectApplies(p, c.mk.kind) {
			c.dw = newDwGeom(p, c.oh, c.ow, true)
			c.dwBias = make([]float32, p.C)
			copy(c.dwBias, c.bias)
		}
		return c
	}
	if convDirectApplies(p, c.mk.kind) && layout == layoutAuto {
		c.setupConvDirect(weights, bias)
		return c
	}
	if p.H*p.W == 1 && c.oh*c.ow == 1 && p.KH*p.KW == 1 && p.PadT+p.PadL == 0 && p.Group == 1 {
		c.setupVector(weights)
		return c
	}
	c.kg = cg * taps
	c.rowOff = make([]int, c.kg)
	for ci := 0; ci < cg; ci++ {
		for ky := 0; ky < p.KH; ky++ {
			for kx := 0; kx < p.KW; kx++ {
				o := ci*c.chanStride + c.tapOffset(ky, kx)
				c.rowOff[(ci*p.KH+ky)*p.KW+kx] = o
				c.maxOff = max(c.maxOff, o)
			}
		}
	}
	if c.choosePixelMajor(layout) {
		c.setupPixelMajor(weights)
		// A batch takes the channel-major product (see convbatch.go),
		// prepared at the first batch (channelsForBatch).
		c.bInPlace = c.direct && p.KH == 1 && p.KW == 1
		return c
	}
	c.setupChannels(weights, bias)
	return c
}

// setupChannels prepares the channel-major GEMM path from the weights
// (M x C/Group x KH x KW) and bias (M values or nil).
func (c *Conv) setupChannels(weights, bias []float32) {
	c.packChannels(weights, c.kg, false, bias)
}

// packChannels is setupChannels from group g's weights at a[g*mg*c.kg:]:
// M x C/Group x KH x KW with lda values a row, or (trans, one group) their
// transpose.
func (c *Conv) packChannels(a []float32, lda int, trans bool, bias []float32) {
	p := c.p
	mg := p.M / p.Group
	c.mpad = roundUp(mg, c.mk.mr)
	c.ap = make([]float32, p.Group*c.mpad*c.kg)
	for g := 0; g < p.Group; g++ {
		packA(c.ap[g*c.mpad*c.kg:], c.mk.mr, trans, mg, c.kg, 1, a[g*mg*c.kg:], lda, workersFor(4*mg*c.kg))
	}
	if bias != nil {
		c.biasPad = make([]float32, p.Group*c.mpad)
		for g := 0; g < p.Group; g++ {
			copy(c.biasPad[g*c.mpad:], bias[g*mg:(g+1)*mg])
		}
	}
	c.bInPlace = c.direct && p.KH == 1 && p.KW == 1
}

// Run computes dst (M x OH x OW) from src (C x H x W). Large convolutions use
// up to runtime.GOMAXPROCS(0) goroutines.
func (c *Conv) Run(dst, src []float32) {
	p := c.p
	if len(src) < p.C*p.H*p.W || len(dst) < p.M*c.oh*c.ow {
		panic("kernels: conv input or output too short")
	}
	if c.wg != nil {
		c.runWinograd(dst, src, 1)
		return
	}
	if c.depthwise {
		c.runDepthwise(dst, src)
		return
	}
	if c.vec != nil {
		c.runVector(dst, src)
		return
	}
	if c.cd != nil {
		c.runConvDirect(dst, src)
		return
	}
	if c.patch != nil {
		c.runPatches(dst, src)
		return
	}
	x, buf := c.planes(src, 1)
	if c.pix != nil {
		c.runPixelMajor(dst, x, 1, 0)
		if buf != nil {
			putScratch(buf)
		}
		return
	}
	cg, mg := p.C/p.Group, p.M/p.Group
	n := c.oh * c.wq
	cb := convB{kind: c.mk.kind, x: x, rowOff: c.rowOff, maxOff: c.maxOff}
	t := gemmTask{
		mk: c.mk, m: mg, n: n, k: c.kg, mpad: c.mpad, bp: &cb,
		ldc: c.oh * c.ow, pixelCols: true,
		clamp: c.clamp, lo: c.lo, hi: c.hi, silu: c.silu,
	}
	w := workersFor(2 * mg * n * c.kg)
	// Unless the output rows and columns come out whole and contiguous, the
	// GEMM writes whole tiles to a scratch matrix, compacted into dst after.
	// (A few partial tiles at the right edge go through the micro-kernel's
	// slower scratch-tile path instead.)
	var cbuf *[]float32
	if c.wq != c.ow || mg%c.mk.mr != 0 || (n%c.mk.nr != 0 && n < 8*c.mk.nr) {
		t.m, t.n = c.mpad, roundUp(n, c.mk.nr)
		t.ldc = t.n
		cbuf = getScratch(t.m * t.n)
		t.out = *cbuf
	}
	for g := 0; g < p.Group; g++ {
		cb.base = g * cg * c.chanStride
		if c.bInPlace {
			t.bIn, t.ldbIn, t.bInCols = x[cb.base:], c.chanStride, c.oh*c.ow
		} else {
			// Whole panels read in place must stay inside x.
			t.bIn, t.bOffs = x[cb.base:], c.rowOff
			t.bInCols = min(t.n, len(x)-cb.base-c.maxOff)
		}
		t.ap = c.ap[g*c.mpad*c.kg:]
		if c.bias != nil {
			t.bias = c.biasPad[g*c.mpad:]
		}
		out := dst[g*mg*c.oh*c.ow : (g+1)*mg*c.oh*c.ow]
		if cbuf == nil {
			t.out = out
		} else {
			t.final = &compaction{dst: out, rows: mg, oh: c.oh, ow: c.ow, wq: c.wq}
		}
		t.parallel(w)
	}
	if cbuf != nil {
		putScratch(cbuf)
	}
	if buf != nil {
		putScratch(buf)
	}
}

// RunBatch computes n images: dst holds n outputs (M x OH x OW) one after
// the other, src n inputs (C x H x W). Each image's output is the one Run
// gives it, bit for bit; the Winograd path puts the tiles of all the
// images in the same products, the pixel-major path the pixels of several
// images (runPixelBatch), a 1x1 convolution on the channel-major path
// too (runChannelBatch), and the matrix-vector path by rows several
// images' dot products a weight row (runVectorBatch).
func (c *Conv) RunBatch(dst, src []float32, n int) {
	p := c.p
	inSize, outSize := p.C*p.H*p.W, p.M*c.oh*c.ow
	if len(src) < n*inSize || len(dst) < n*outSize {
		panic("kernels: conv input or output too short")
	}
	if c.wg != nil && n > 0 {
		c.runWinograd(dst, src, n)
		return
	}
	if n > 1 && c.vec != nil && c.vecByRow {
		c.runVectorBatch(dst, src, n)
		return
	}
	if n > 1 && c.bInPlace && c.channelBatchFits() {
		c.runChannelBatch(dst, src, n)
		return
	}
	if c.pix != nil && n > 1 {
		c.runPixelBatch(dst, src, n)
		return
	}
	for i := 0; i < n; i++ {
		c.Run(dst[i*outSize:(i+1)*outSize], src[i*inSize:(i+1)*inSize])
	}
}

// planes returns the planes of n images (C x H x W each, one after the
// other in src): src itself for a direct convolution, whose images are then
// C*H*W values apart, else scratch (buf, to hand back) holding each image's
// planes C*chanStride values apart, with slack after the last.
func (c *Conv) planes(src []float32, n int) (x []float32, buf *[]float32) {
	p := c.p
	if c.direct {
		return src[:n*p.C*p.H*p.W], nil
	}
	buf = getScratch(n*p.C*c.chanStride + c.slack)
	x = *buf
	clear(x[n*p.C*c.chanStride:])
	parallelFor(n*p.C, workersFor(n*p.C*c.chanStride*8), func(c0, c1 int) {
		clear(x[c0*c.chanStride : c1*c.chanStride])
		tmp := getScratch(c.prepTmp)
		clear(*tmp)
		for ch := c0; ch < c1; ch++ {
			c.prepareChannel(x[ch*c.chanStride:], src[ch*p.H*p.W:], *tmp)
		}
		putScratch(tmp)
	})
	return x, buf
}

// convB packs B blocks of the convolution GEMM straight from the planes: row
// k of B is the planes from base+rowOff[k] on.
type convB struct {
	kind   kernelKind
	x      []float32
	rowOff []int
	maxOff int // max(rowOff)
	base   int // offset of the group's first channel
}

func (cb *convB) pack(dst []float32, nr, k0, kc, j0, nc int) {
	var buf [kcBlock]int
	offs := buf[:kc]
	for p, o := range cb.rowOff[k0 : k0+kc] {
		offs[p] = o + cb.base + j0
	}
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : jr*kc+kc*nr]
		if cb.maxOff+cb.base+j0+jr+nr <= len(cb.x) {
			packRows(cb.kind, panel, cb.x, offs, nr)
		} else {
			// Only near the end of the input of a direct conv: columns past
			// it are junk, but keep them finite and deterministic.
			for p, o := range offs {
				d := panel[p*nr : p*nr+nr]
				if o+nr <= len(cb.x) {
					copy(d, cb.x[o:o+nr])
					continue
				}
				clear(d[copy(d, cb.x[min(o, len(cb.x)):]):])
			}
		}
		for p := range offs {
			offs[p] += nr
		}
	}
}
