package kernels

import "slices"

// Winograd convolution F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for 3x3 convolutions of stride 1,
// dilation 1 and one group. The output is cut into 4x4 tiles; each tile
// reads a 6x6 patch d of the zero-padded input, and with the filter g of
// an (output, input) channel pair
//
//	Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
//
// so that the sum over input channels is 36 independent matrix products,
// one per position of the 6x6 transformed tile: M[pos] = U[pos] (M x C,
// the transformed weights, packed once at load) times V[pos] (C x tiles,
// the transformed input). That is 36 multiply-adds per tile and channel
// pair instead of 9 x 16 = 144. The products run through the GEMM
// micro-kernels with the tiles as columns, read in place; the output
// transform adds the bias and applies the activation.
//
// The tiles of every image of a batch go into the same products
// (RunBatch), in chunks of a few dozen columns whose transformed input and
// products stay in cache: one chunk per worker when there are enough of
// them, else each stage of a chunk split over the workers.

// wgPos is the number of positions of a transformed tile (6x6).
const wgPos = 36

// wgChunkBytes bounds the scratch of one chunk (its transformed input and
// its products), so that a chunk's stages pass their data through cache.
const wgChunkBytes = 1 << 20

// wgPadBytes bounds the padded input planes of the images run together.
const wgPadBytes = 2 << 20

// winograd is the Winograd path of a Conv.
type winograd struct {
	tilesY, tilesX int       // tiles per image
	hp, wp         int       // padded plane: 4*tilesY+2 x 4*tilesX+2
	mpad           int       // M rounded up to MR
	u              []float32 // per position, M x C packed by packA, at pos*mpad*C
	chunk          int       // most tiles per chunk, a multiple of NR
	// vs and ms are the strides of the positions in a chunk's transformed
	// input (C x chunk each) and products (mpad x chunk): a cache line
	// more than a multiple of 16, so that the 36 positions of a tile, read
	// or written together, fall in different cache sets.
	vs, ms int
	bias   []float32 // the bias, or zeros: M values
}

// tile returns the image and tile row and column of tile t (tiles are
// numbered image by image, row by row).
func (wg *winograd) tile(t int) (img, ty, tx int) {
	perImage := wg.tilesY * wg.tilesX
	img, t = t/perImage, t%perImage
	return img, t / wg.tilesX, t % wg.tilesX
}

// winogradApplies reports whether the convolution is one Winograd F(4x4,
// 3x3) computes.
func winogradApplies(p ConvParams) bool {
	return p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 &&
		p.DilH == 1 && p.DilW == 1 && p.Group == 1
}

// Rows of the transforms, with the interpolation points 0, ±1, ±2, ∞.
var (
	wgG = [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
)

// setupWinograd prepares the Winograd path from the weights (M x C x 3 x 3):
// the transformed filters, G g G^T (in float64), packed per position.
func (c *Conv) setupWinograd(weights []float32) {
	p := c.p
	wg := &winograd{tilesY: (c.oh + 3) / 4, tilesX: (c.ow + 3) / 4}
	wg.hp, wg.wp = 4*wg.tilesY+2, 4*wg.tilesX+2
	wg.mpad = roundUp(p.M, c.mk.mr)
	wg.bias = make([]float32, p.M)
	copy(wg.bias, c.bias)
	perTile := 4 * wgPos * (p.C + wg.mpad)
	wg.chunk = max(c.mk.nr, min(wgMaxChunk, wgChunkBytes/perTile)/c.mk.nr*c.mk.nr)
	wg.vs, wg.ms = roundUp(p.C*wg.chunk, 16)+16, roundUp(wg.mpad*wg.chunk, 16)+16
	// Transformed filters, packed position by position as packA packs an
	// M x C matrix, one panel of mr output channels at a time: the panel's
	// 36 transformed matrices, t[pos][r][c], are all the scratch a filter
	// bank takes at load (36 times mr rows, not 36 times all of M).
	mr := c.mk.mr
	wg.u = make([]float32, wgPos*wg.mpad*p.C)
	kb := kcFor(p.C)
	parallelFor(wg.mpad/mr, workersFor(wgPos*p.M*p.C*4), func(p0, p1 int) {
		t := make([]float32, wgPos*mr*p.C)
		for panel := p0; panel < p1; panel++ {
			m0 := panel * mr
			rows := min(mr, p.M-m0)
			for r := range rows {
				for ch := 0; ch < p.C; ch++ {
					g := weights[((m0+r)*p.C+ch)*9 : ((m0+r)*p.C+ch)*9+9]
					var gg [6][3]float64 // G g
					for i := range 6 {
						for j := range 3 {
							gg[i][j] = wgG[i][0]*float64(g[j]) + wgG[i][1]*float64(g[3+j]) + wgG[i][2]*float64(g[6+j])
						}
					}
					for i := range 6 {
						for j := range 6 {
							v := gg[i][0]*wgG[j][0] + gg[i][1]*wgG[j][1] + gg[i][2]*wgG[j][2]
							t[((i*6+j)*mr+r)*p.C+ch] = float32(v)
						}
					}
				}
			}
			for pos := range wgPos {
				u := wg.u[pos*wg.mpad*p.C:]
				for k0 := 0; k0 < p.C; k0 += kb {
					kc := min(kb, p.C-k0)
					packPanelA(u[k0*wg.mpad+m0*kc:k0*wg.mpad+(m0+mr)*kc], mr, false, 0, rows, k0, kc, 1, t[pos*mr*p.C:], p.C)
				}
			}
		}
	})
	c.wg = wg
}

// wgRun is one run of the Winograd path over n images.
type wgRun struct {
	c      *Conv
	dst    []float32
	src    []float32 // the n inputs
	n      int
	tiles  int  // n * tilesY * tilesX
	vector bool // the transforms' AVX-512 loops (wgVector)
}

// wgPatches is where the input transform of a chunk finds its tiles'
// 6x6 patches of the zero-padded input, from some channel c0 on: channel
// c0+ch of column col's patch starts at x[ch*stride+off[col]], its rows
// wg.wp values apart (columns past the last tile repeat its offset).
type wgPatches struct {
	x      []float32
	stride int
	off    []int
}

// runWinograd computes n images: dst holds n outputs (M x OH x OW), src n
// inputs (C x H x W).
func (c *Conv) runWinograd(dst, src []float32, n int) {
	p := c.p
	plane := c.wg.hp * c.wg.wp
	// Images a few at a time, so that their padded planes stay in cache
	// from their copy to their transform.
	step := max(1, wgPadBytes/(4*p.C*plane))
	inSize, outSize := p.C*p.H*p.W, p.M*c.oh*c.ow
	for i := 0; i < n; i += step {
		k := min(step, n-i)
		c.runWinogradImages(dst[i*outSize:(i+k)*outSize], src[i*inSize:(i+k)*inSize], k)
	}
}

// runWinogradImages is runWinograd on n images that are one group.
//
// Where each worker takes whole chunks, it pads, into scratch of its own,
// only the rows of the input its chunk's tiles read (a band, with the two
// rows each band shares with the next copied twice) just before
// transforming them: the transform reads what its own core wrote, and the
// caller, which takes the first chunks as the layer before took the first
// pixels, reads the rows of the input it computed itself. Padding the
// whole input first, split by channels, had each core's transform read
// half its patches from the other core and each core's copy write over
// the lines the other core had just read: a 128->32 layer at 56x56 took
// 55 us to pad and 460 to transform and multiply on two cores, against
// 50 and 690 on one (Zen 5, two vCPUs 25 GB/s apart).
func (c *Conv) runWinogradImages(dst, src []float32, n int) {
	wg := c.wg
	r := &wgRun{c: c, dst: dst, src: src, n: n, tiles: n * wg.tilesY * wg.tilesX}
	r.vector = r.wgVector()
	w := r.workers(Procs())
	switch chunk, way := r.plan(w); way {
	case wgStages:
		r.runStages(chunk, w)
	case wgOutputs:
		r.runOutputs(chunk, w)
	default:
		r.runChunks(chunk, w)
	}
}

// The ways a run shares its tiles among several workers (wgRun.plan).
const (
	wgChunks  = iota // each worker takes whole chunks
	wgStages         // the workers share each stage of each chunk
	wgOutputs        // one chunk: each worker transforms all of it, and computes its own output channels
)

// wgOutputsMost is the most output channels a run computes a part a
// worker (wgOutputs), which it does only for at least as many outputs as
// inputs (each worker transforms every input channel). On two cores of a
// Zen 5 (2026-12-07), every layer tried ran faster that way alone, the
// same layer again and again, but in their models only the built-in
// shapes model's: its 48->64 and 64->64 layers at 16x16 took 33 -> 25 and
// 42 -> 28 µs alone, and the model 0.23 -> 0.21 ms (9 alternated rounds);
// SqueezeNet's 48->192 and 64->256 at 13x13 86 -> 49 and 136 -> 78 µs
// alone, but 101 -> 110 and 139 -> 162 in the model, DenseNet-121's 24
// 128->32 at 14x14 45 -> 35 alone, 1822 -> 1886 µs together in the model.
const wgOutputsMost = 64

// workers is how many of procs workers the run takes: as many as its
// products keep busy (minFlopsPerWorker each), and two for a run that can
// be split by output channels (wgOutputs) from minFlopsPerWorker on, where each worker's
// own transform of the input leaves nothing to wait for between them: the
// built-in shapes model's 48->64 layer at 16x16 (3.5 MFLOP in its
// products) took 50-59 µs on one worker and 43 on two, in the model on
// two cores of a Zen 5 (2026-12-07, slow state).
func (r *wgRun) workers(procs int) int {
	p, wg := r.c.p, r.c.wg
	flops := 2 * wgPos * wg.mpad * p.C * r.tiles
	w := max(1, min(procs, flops/minFlopsPerWorker))
	if w == 1 && procs > 1 && flops >= minFlopsPerWorker && r.tiles <= wg.chunk && r.byOutputs(2) {
		w = 2
	}
	return w
}

// byOutputs reports whether a run of one chunk can be split by output
// channels over w workers (wgOutputs): at least a panel of them each, and
// at least as many outputs as inputs (each worker transforms every input
// channel), at most wgOutputsMost.
func (r *wgRun) byOutputs(w int) bool {
	p, wg := r.c.p, r.c.wg
	return wg.mpad/r.c.mk.mr >= w && p.C <= p.M && p.M <= wgOutputsMost
}

// runOutputs is the run of one chunk of chunk tiles (all the run's) on w
// workers that each pad and transform the whole input themselves, then
// compute the products and the output transform of their own output
// channels: each reads only its part of the transformed weights, and no
// worker waits for another's stage.
func (r *wgRun) runOutputs(chunk, w int) {
	p, wg, mr := r.c.p, r.c.wg, r.c.mk.mr
	panels := wg.mpad / mr
	parallelParts(panels, w, w, func(q0, q1 int) {
		pad := r.padAll(1)
		v, m := getScratch(wgPos*wg.vs), getScratch(wgPos*wg.ms)
		var off [wgMaxChunk]int
		r.input(*v, chunk, 0, 0, p.C, r.inPad(*pad, off[:chunk], 0))
		r.someProducts(*m, *v, chunk, r.tiles, 0, wgPos, q0*mr, q1*mr)
		r.output(*m, chunk, 0, q0*mr, min(q1*mr, p.M))
		putScratch(v)
		putScratch(m)
		putScratch(pad)
	})
}

// runChunks is the run in chunks of chunk tiles, each worker taking whole
// chunks: on one worker from the whole input padded first, on several
// each padding its own bands.
func (r *wgRun) runChunks(chunk, w int) {
	p, wg := r.c.p, r.c.wg
	chunks := (r.tiles + chunk - 1) / chunk
	if w == 1 {
		pad := r.padAll(1)
		v, m := getScratch(wgPos*wg.vs), getScratch(wgPos*wg.ms)
		var off [wgMaxChunk]int
		for t0 := 0; t0 < r.tiles; t0 += chunk {
			r.input(*v, chunk, t0, 0, p.C, r.inPad(*pad, off[:chunk], t0))
			r.products(*m, *v, chunk, min(chunk, r.tiles-t0), 0, wgPos)
			r.output(*m, chunk, t0, 0, p.M)
		}
		putScratch(v)
		putScratch(m)
		putScratch(pad)
		return
	}
	rows := 0
	for k := range chunks {
		rows = max(rows, r.bandRows(k*chunk, chunk))
	}
	// Channels a band at a time, so that a band stays in cache from its
	// copy to its transform.
	cb := max(1, min(p.C, wgBandValues/(rows*wg.wp)))
	parallelFor(chunks, w, func(k0, k1 int) {
		band := getScratch(cb * rows * wg.wp)
		v, m := getScratch(wgPos*wg.vs), getScratch(wgPos*wg.ms)
		var off [wgMaxChunk]int
		for k := k0; k < k1; k++ {
			t0 := k * chunk
			for c0 := 0; c0 < p.C; c0 += cb {
				c1 := min(p.C, c0+cb)
				r.input(*v, chunk, t0, c0, c1, r.band(*band, off[:chunk], t0, chunk, c0, c1))
			}
			r.products(*m, *v, chunk, min(chunk, r.tiles-t0), 0, wgPos)
			r.output(*m, chunk, t0, 0, p.M)
		}
		putScratch(band)
		putScratch(v)
		putScratch(m)
	})
}

// runStages is the run in chunks of chunk tiles whose stages the w
// workers share, from the whole input padded first.
func (r *wgRun) runStages(chunk, w int) {
	p, wg := r.c.p, r.c.wg
	plane := wg.hp * wg.wp
	pad := r.padAll(w)
	v, m := getScratch(wgPos*wg.vs), getScratch(wgPos*wg.ms)
	var off [wgMaxChunk]int
	for t0 := 0; t0 < r.tiles; t0 += chunk {
		pt := r.inPad(*pad, off[:chunk], t0)
		parallelFor(p.C, w, func(c0, c1 int) {
			r.input(*v, chunk, t0, c0, c1, wgPatches{x: pt.x[c0*plane:], stride: plane, off: pt.off})
		})
		parallelFor(wgPos, w, func(p0, p1 int) { r.products(*m, *v, chunk, min(chunk, r.tiles-t0), p0, p1) })
		parallelFor(p.M, w, func(m0, m1 int) { r.output(*m, chunk, t0, m0, m1) })
	}
	putScratch(v)
	putScratch(m)
	putScratch(pad)
}

// padAll returns the padded planes of the run's images (scratch, to hand
// back), written on up to w workers, split by channels.
func (r *wgRun) padAll(w int) *[]float32 {
	c, p, wg := r.c, r.c.p, r.c.wg
	plane := wg.hp * wg.wp
	buf := getScratch(r.n * p.C * plane)
	pad := *buf
	// The copy counts 32 multiply-adds a value (every stage after waits
	// for all of them): both cores pad from 125K values on (vgg_small's
	// 16->32 @112 and 64->64 @56, two cores, 2.7-2.9 ms runs alternated:
	// 406-438 -> 373-380 us and 493-498 -> 421-439).
	parallelFor(r.n*p.C, min(w, workersFor(r.n*p.C*plane*32)), func(c0, c1 int) {
		for i := c0; i < c1; i++ {
			c.padRows(pad[i*plane:], r.src[i*p.H*p.W:], 0, wg.hp)
		}
	})
	return buf
}

// inPad returns where the patches of the chunk of tiles from t0 are in
// the padded planes pad (padAll), their offsets in off.
func (r *wgRun) inPad(pad []float32, off []int, t0 int) wgPatches {
	p, wg := r.c.p, r.c.wg
	plane := wg.hp * wg.wp
	for col := range off {
		img, ty, tx := wg.tile(min(t0+col, r.tiles-1))
		off[col] = img*p.C*plane + 4*ty*wg.wp + 4*tx
	}
	return wgPatches{x: pad, stride: plane, off: off}
}

// wgMaxChunk bounds winograd.chunk.
const wgMaxChunk = 128

// wgBandValues bounds a band's scratch (see runChunks).
const wgBandValues = 1 << 16

// bandRows is how many padded rows the chunk of tiles from t0 reads: for
// each image it has tiles of, the rows from its first tile's to its last
// tile's patch.
func (r *wgRun) bandRows(t0, chunk int) int {
	wg := r.c.wg
	perImage := wg.tilesY * wg.tilesX
	last := min(t0+chunk, r.tiles) - 1
	rows := 0
	for t := t0; t <= last; {
		end := min(last, (t/perImage+1)*perImage-1)
		rows += 4*((end%perImage)/wg.tilesX-(t%perImage)/wg.tilesX) + 6
		t = end + 1
	}
	return rows
}

// band pads into buf the rows of channels c0..c1 that the chunk of tiles
// from t0 reads (bandRows: channel by channel, each image's rows after the
// previous image's) and returns where the chunk's patches are, their
// offsets in off.
func (r *wgRun) band(buf []float32, off []int, t0, chunk, c0, c1 int) wgPatches {
	p, wg := r.c.p, r.c.wg
	perImage := wg.tilesY * wg.tilesX
	stride := r.bandRows(t0, chunk) * wg.wp
	last := min(t0+chunk, r.tiles) - 1
	row := 0 // the band's row of the image's first row
	for t := t0; t <= last; {
		img := t / perImage
		end := min(last, (img+1)*perImage-1)
		y0, y1 := 4*((t%perImage)/wg.tilesX), 4*((end%perImage)/wg.tilesX)+6
		for ch := c0; ch < c1; ch++ {
			r.c.padRows(buf[(ch-c0)*stride+row*wg.wp:], r.src[(img*p.C+ch)*p.H*p.W:], y0, y1)
		}
		for ; t <= end; t++ {
			_, ty, tx := wg.tile(t)
			off[t-t0] = (row+4*ty-y0)*wg.wp + 4*tx
		}
		row += y1 - y0
	}
	for col := last - t0 + 1; col < chunk; col++ {
		off[col] = off[last-t0]
	}
	return wgPatches{x: buf, stride: stride, off: off}
}

// padRows writes rows y0..y1 of a channel's zero-padded plane (hp x wp) to
// dst from the channel's input src (H x W): the rows cleared, then the
// input's values copied in. (Clearing whole rows first, lines at a time,
// was faster than clearing only the borders, which left the copy to
// write lines in part: ResNet-18's 256->256 @14 layers took 10-40 µs
// longer each on two cores.)
func (c *Conv) padRows(dst, src []float32, y0, y1 int) {
	p, wp := c.p, c.wg.wp
	clear(dst[:(y1-y0)*wp])
	// Padded rows iy0..iy1 hold input rows.
	if iy0, iy1 := max(y0, p.PadT), min(y1, p.PadT+p.H); iy0 < iy1 {
		copyRows(c.mk.kind, dst[(iy0-y0)*wp+p.PadL:], wp, src[(iy0-p.PadT)*p.W:], p.W, iy1-iy0, p.W)
	}
}

// plan returns the tiles per chunk for w workers, and whether the workers
// share each chunk's stages (its input transform by channels, products by
// positions, output transform by output channels) rather than each taking
// whole chunks. On one worker, chunks are as large as wg.chunk allows.
// Otherwise it estimates, for each size (16, through the half-width
// products, and the multiples of the kernel's width up to wg.chunk), when
// the last worker finishes both ways, and takes the soonest:
//
//   - whole chunks, cut into pieces as parallelFor cuts them and taken in
//     order by whichever worker is free: their tiles leave the workers
//     unevenly when there are few (a 28x28 image has 49 tiles, two chunks
//     of 32, one of them half empty);
//   - shared stages: every chunk's work divided evenly, but three hand-offs
//     a chunk, and half its transformed input and products read by the
//     other core (a 32->128 layer at 27x27 took 233 µs this way against
//     157 µs in chunks of 16, on two cores of a Zen 5; 256->256 on six
//     14x14 images, three chunks of 32, 5.3 ms against 6.5 ms in whole
//     chunks).
//
// The estimate's rates are this machine's, rounded: 150 GFLOP/s for a
// core's products, 50 GB/s for the transforms' traffic, 200 GB/s to read
// the transformed weights again at each chunk, 30 GB/s for data one core
// wrote and the other reads, 2 µs a hand-off, and 10 µs a chunk for its
// 36 products' calls (16->64 at 55x55 ran in 188 µs in chunks of 64
// against 240 µs in chunks of 32, although these share the tiles better).
func (r *wgRun) plan(w int) (chunk, way int) {
	c, wg, nr := r.c, r.c.wg, r.c.mk.nr
	if w == 1 {
		return min(wg.chunk, roundUp(r.tiles, nr)), wgChunks
	}
	narrow := nr > 16 && c.mk.mr == 8 && hasNarrowTile(c.mk.kind)
	sizes := []int{}
	if narrow {
		sizes = append(sizes, 16)
	}
	for size := nr; size <= wg.chunk; size += nr {
		sizes = append(sizes, size)
	}
	colUS := float64(2*wgPos*wg.mpad*c.p.C)/150e3 + float64(4*wgPos*(c.p.C+c.p.M))/50e3
	chunkUS := 10 + float64(4*wgPos*wg.mpad*c.p.C)/200e3
	cost := func(size, t0 int) float64 { // one chunk's time on one core
		tiles := min(size, r.tiles-t0)
		cols := roundUp(tiles, nr)
		if narrow && tiles <= 16 {
			cols = 16
		}
		return chunkUS + float64(cols)*colUS
	}
	best := -1.0
	free := make([]float64, w) // when each worker is free
	for _, size := range sizes {
		chunks := (r.tiles + size - 1) / size
		clear(free)
		pieces := min(chunks, w*chunksPerWorker) // as parallelFor cuts them
		for j := range pieces {
			k := 0
			for i := range free {
				if free[i] < free[k] {
					k = i
				}
			}
			for ch := chunks * j / pieces; ch < chunks*(j+1)/pieces; ch++ {
				free[k] += cost(size, ch*size)
			}
		}
		shared := 0.0
		for ch := range chunks {
			shared += cost(size, ch*size)/float64(w) + 3*2 + float64(4*wgPos*size*(c.p.C+wg.mpad))/2/30e3
		}
		if end := slices.Max(free); best < 0 || end <= best {
			best, chunk, way = end, size, wgChunks
		}
		if shared < best {
			best, chunk, way = shared, size, wgStages
		}
		if chunks == 1 && r.byOutputs(w) {
			// Each worker: every tile's input transform, its share of
			// the products, the weights and the output transform, a
			// hand-off, and half the input from the other core.
			cols := float64(roundUp(r.tiles, nr))
			if narrow && r.tiles <= 16 {
				cols = 16
			}
			wf := float64(w)
			outputs := 10 + float64(4*wgPos*wg.mpad*c.p.C)/200e3/wf +
				cols*(float64(4*wgPos*c.p.C)/50e3+(float64(2*wgPos*wg.mpad*c.p.C)/150e3+float64(4*wgPos*c.p.M)/50e3)/wf) +
				2 + float64(4*r.n*c.p.C*c.p.H*c.p.W)/2/30e3
			if outputs < best {
				best, chunk, way = outputs, size, wgOutputs
			}
		}
	}
	return chunk, way
}

// input writes the transformed input of the chunk of tiles from t0 and of
// channels c0..c1 to v, from the patches pt (from channel c0 on): V[pos]
// is C x chunk at pos*vs. Columns past the last tile are zero.
func (r *wgRun) input(v []float32, chunk, t0, c0, c1 int, pt wgPatches) {
	if r.vector {
		r.inputVector(v, chunk, t0, c0, c1, pt)
		return
	}
	wg := r.c.wg
	ps := wg.vs
	for col := 0; col < chunk; col++ {
		if t0+col >= r.tiles {
			for ch := c0; ch < c1; ch++ {
				for pos := range wgPos {
					v[pos*ps+ch*chunk+col] = 0
				}
			}
			continue
		}
		for ch := c0; ch < c1; ch++ {
			d := pt.x[(ch-c0)*pt.stride+pt.off[col]:]
			var b [6][6]float32 // B^T d
			for j := range 6 {
				d0, d1, d2 := d[j], d[wg.wp+j], d[2*wg.wp+j]
				d3, d4, d5 := d[3*wg.wp+j], d[4*wg.wp+j], d[5*wg.wp+j]
				b[0][j], b[1][j], b[2][j], b[3][j], b[4][j], b[5][j] = wgInRow(d0, d1, d2, d3, d4, d5)
			}
			o := v[ch*chunk+col:]
			for i := range 6 {
				x0, x1, x2, x3, x4, x5 := wgInRow(b[i][0], b[i][1], b[i][2], b[i][3], b[i][4], b[i][5])
				o[(i*6)*ps], o[(i*6+1)*ps], o[(i*6+2)*ps] = x0, x1, x2
				o[(i*6+3)*ps], o[(i*6+4)*ps], o[(i*6+5)*ps] = x3, x4, x5
			}
		}
	}
}

// wgInRow is B^T applied to one column (or row) of six values.
func wgInRow(d0, d1, d2, d3, d4, d5 float32) (x0, x1, x2, x3, x4, x5 float32) {
	x0 = 4*d0 - 5*d2 + d4
	x1 = -4*(d1+d2) + d3 + d4
	x2 = 4*(d1-d2) - d3 + d4
	x3 = 2*(d3-d1) - d2 + d4
	x4 = 2*(d1-d3) - d2 + d4
	x5 = 4*d1 - 5*d3 + d5
	return
}

// products computes M[pos] = U[pos] V[pos] for positions p0..p1 into m
// (mpad x chunk at pos*ms), of which the first cols columns are used: a
// chunk of 16 tiles or fewer (a 14x14 or 13x13 image alone has 16) takes
// the kernel half as wide, where there is one.
func (r *wgRun) products(m, v []float32, chunk, cols, p0, p1 int) {
	r.someProducts(m, v, chunk, cols, p0, p1, 0, r.c.wg.mpad)
}

// someProducts is products of rows r0..r1 (multiples of the kernel's MR)
// of each position's product.
func (r *wgRun) someProducts(m, v []float32, chunk, cols, p0, p1, r0, r1 int) {
	c, wg := r.c, r.c.wg
	for pos := p0; pos < p1; pos++ {
		if cols <= 16 && r.narrowProducts(m[pos*wg.ms:], v[pos*wg.vs:], chunk, wg.u[pos*wg.mpad*c.p.C:], r0, r1) {
			continue
		}
		t := gemmTask{
			mk: c.mk, m: wg.mpad, n: chunk, k: c.p.C, mpad: wg.mpad,
			ap:  wg.u[pos*wg.mpad*c.p.C:],
			bIn: v[pos*wg.vs:], ldbIn: chunk, bInCols: chunk,
			out: m[pos*wg.ms:], ldc: chunk,
		}
		t.run(0, chunk, r0, r1)
	}
}

// narrowProducts computes the first 16 columns of rows r0..r1 of one
// position's product m = u v (u packed as the products' A, v C x chunk) through narrowTile,
// k blocks and strips in the order gemmTask.run takes them, so that each
// value has the bits the whole-width product gives it. It reports false
// (and computes nothing) where there is no narrow kernel.
func (r *wgRun) narrowProducts(m, v []float32, chunk int, u []float32, r0, r1 int) bool {
	c, wg := r.c, r.c.wg
	mr := c.mk.mr
	if mr != 8 || !hasNarrowTile(c.mk.kind) {
		return false
	}
	kb := kcFor(c.p.C)
	for pc := 0; pc < c.p.C; pc += kb {
		kc := min(kb, c.p.C-pc)
		flags := 0
		if pc > 0 {
			flags = kAccumulate
		}
		ablk := u[pc*wg.mpad:]
		for ir := r0; ir < r1; ir += mr {
			narrowTile(kc, ablk[ir*kc:ir*kc+kc*mr], v[pc*chunk:], chunk, m[ir*chunk:], chunk, flags)
		}
	}
	return true
}

// output writes the output channels m0..m1 of the chunk's tiles from their
// products, with the bias and activation.
func (r *wgRun) output(m []float32, chunk, t0, m0, m1 int) {
	if r.vector {
		r.outputVector(m, chunk, t0, m0, m1)
		return
	}
	c, wg := r.c, r.c.wg
	perImage := wg.tilesY * wg.tilesX
	ps := wg.ms
	npix := c.oh * c.ow
	lo, hi := -float32Inf, float32Inf
	if c.clamp {
		lo, hi = c.lo, c.hi
	}
	for col := 0; col < min(chunk, r.tiles-t0); col++ {
		t := t0 + col
		img, rest := t/perImage, t%perImage
		ty, tx := rest/wg.tilesX, rest%wg.tilesX
		rows, cols := min(4, c.oh-4*ty), min(4, c.ow-4*tx)
		for k := m0; k < m1; k++ {
			s := m[k*chunk+col:]
			var a [4][6]float32 // A^T m
			for j := range 6 {
				a[0][j], a[1][j], a[2][j], a[3][j] = wgOutRow(s[j*ps], s[(6+j)*ps], s[(12+j)*ps], s[(18+j)*ps], s[(24+j)*ps], s[(30+j)*ps])
			}
			var b float32
			if c.bias != nil {
				b = c.bias[k]
			}
			out := r.dst[(img*c.p.M+k)*npix+4*ty*c.ow+4*tx:]
			for i := 0; i < rows; i++ {
				var y [4]float32
				y[0], y[1], y[2], y[3] = wgOutRow(a[i][0], a[i][1], a[i][2], a[i][3], a[i][4], a[i][5])
				row := out[i*c.ow : i*c.ow+cols]
				for j := range row {
					row[j] = min(max(y[j]+b, lo), hi)
				}
				if c.silu {
					SiLU(row, row)
				}
			}
		}
	}
}

// wgOutRow is A^T applied to one column (or row) of six values.
func wgOutRow(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	y0 = m0 + s12 + s34
	y1 = d12 + 2*d34
	y2 = s12 + 4*s34
	y3 = d12 + 8*d34 + m5
	return
}

// chooseWinograd reports whether NewConv should take the Winograd path of
// a convolution it applies to. The rule is measured (one core of a Zen 5,
// the fastest of 200 runs of single layers at batch 1): per tile, the
// products cost about C*M and the transforms about C+M, so the gain grows
// with h = C*M/(C+M), and with the tiles an image has (a chunk's products
// are 32 or more columns wide). It goes by tiles, not pixels: a 27x27
// output has the 7x7 tiles of a 28x28 one. With 7x7 tiles or more (28x28
// outputs and up), Winograd wins from h = 12 (16->64 @55: 312 -> 271 us;
// 16->64 @27: 83 -> 74; 24->64 @27: 117 -> 94; 64->32 @56: 625 -> 485;
// 32->32 @56: 318 -> 296) and loses below (16->16 @56: 78 against 90;
// 32->16 @28: 41 against 45), except with 14x14 tiles or more (53x53 and
// up) from h >= 9 where the outputs are at least the inputs (thread CPU,
// fastest of 400, 2026-12-07: 16->32 @112 597 -> 431 us, 16->24 @112 451
// -> 368, 16->32 @56 147 -> 133, 20->20 @56 139 -> 125; not 32->16 @56, 153
// against 158, 24->16 @56, 113 against 124, 64->12 @56, even). With 5x5
// tiles (17x17 to 20x20 outputs) it takes h >= 24 (32->128 @20: 175 ->
// 116 us; 16->64 @20 about even; 64->32 @24, h 21: 128 against 134), with
// 4x4 tiles (13x13 to 16x16) h >= 36
// (48->192 @14: 178 -> 151 us, 64->256 @13: 268 -> 245, 64->128 @13: 145 ->
// 137; 48->96 @13 and 40->160 @13, h 32, even or 6% slower; 128->32 @14:
// 83 against 99); an image of at most 16 tiles multiplies through the
// half-width kernel (narrowProducts), which takes the bar down to h = 20
// where C <= 4M (one core, fastest of 300: 32->64 @14 50 -> 42 us, 64->64
// @14 93 -> 73, 48->192 @13 171 -> 135, 64->256 @13 276 -> 191; with
// the output transform in registers, 40->160 @13 109 -> 68 and 48->96 @13
// 84 -> 55 against the pixel-major GEMM; with 4x as many inputs as
// outputs, DenseNet-121's 128->32 @14, 92 against 101 on one core, but on
// two, in the model, 77-83 us each against 88-101, fastest of 30-40 runs,
// 2026-12-07).
// Under 4x4 tiles it loses at batch 1 (512->512 @7: 1.6 -> 5.0 ms;
// 48->192 @10: 100 against 181 us), the weights, four times larger once
// transformed, streaming from memory at every run. The choice does not
// depend on the batch, so that RunBatch gives each image Run's
// bits. Only AVX-512 has the transforms in assembly: the Go ones cost more
// than the products save (64->64 @56: 1.5 ms against the GEMM's 1.3).
func (c *Conv) chooseWinograd() bool {
	p := c.p
	h := p.C * p.M / (p.C + p.M)
	tilesY, tilesX := (c.oh+3)/4, (c.ow+3)/4
	tiles := min(tilesY, tilesX)
	switch {
	case c.mk.kind != kindAVX512:
		return false
	case tiles >= 7:
		return h >= 12 || tiles >= 14 && h >= 9 && p.M >= p.C
	case tiles >= 5:
		return h >= 24
	case tiles >= 4:
		// At most 16 tiles an image: its products take the half-width kernel.
		return h >= 36 || h >= 20 && p.C <= 4*p.M && tilesY*tilesX <= 16
	}
	return false
}
