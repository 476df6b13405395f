package kernels

// Cache blocking of the packed GEMM (Goto's algorithm). A kc x NR panel of B
// (16 KiB for NR=16) stays in L1 while the micro-kernel walks an mc x kc block
// of A (240 KiB) held in L2; the kc x nc block of B (512 KiB) is reused by
// every row block.
const (
	kcBlock = 256
	mcBlock = 240 // a multiple of every kernel's MR (4, 6, 8, 12)
	ncBlock = 512 // a multiple of every kernel's NR (4, 16, 32)

	// gemvRows is the most rows of C that Gemm computes without packing.
	gemvRows = 2

	// shallowK is the deepest k block walked row of tiles by row of tiles
	// (see gemmTask.run).
	shallowK = 96
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X or its transpose, op(A) is m x k and op(B) is k x n. lda, ldb and
// ldc are the row strides of A, B and C as stored. With beta == 0, C is not
// read (NaNs in it do not propagate). Large products use up to
// runtime.GOMAXPROCS(0) goroutines.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(Procs(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, colEpilogue{})
}

// GemmSerial is Gemm on the calling goroutine alone, for callers that split
// many products over the cores themselves (a batched MatMul's small
// products, see GemmWorkers).
func GemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, colEpilogue{})
}

// GemmBias computes C = A·op(B) + bias for a row-major m x k matrix A (row
// stride lda) and op(B) k x n, bias holding one value per column of C (a
// linear layer's), then Gelu of each value when gelu is set. Each goroutine
// starts its part of C from the bias, and takes Gelu of each block of C
// right after the micro-kernel finishes it, while it is in cache
// (epilogue.go), instead of a pass over the whole output; each value of C
// is computed the same way whatever the split over the cores. A nil bias
// adds nothing.
func GemmBias(transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, gelu bool, c []float32, ldc int) {
	if bias != nil {
		_ = bias[:n]
	}
	gemm(Procs(), false, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, colEpilogue{bias: bias, gelu: gelu})
}

// colEpilogue is what GemmBias adds to the product: a bias per column,
// then Gelu. The packed path starts C from the bias; apply adds both to a
// product computed without them (few rows, k = 0).
type colEpilogue struct {
	bias []float32
	gelu bool
}

// apply applies e to columns j0..j1 of the rows i0..i1 of c.
func (e colEpilogue) apply(c []float32, ldc, i0, i1, j0, j1 int) {
	for r := i0; r < i1; r++ {
		row := c[r*ldc+j0 : r*ldc+j1]
		if e.bias != nil {
			Add(row, row, e.bias[j0:j1])
		}
		if e.gelu {
			Gelu(row, row)
		}
	}
}

// GemmWorkers returns how many goroutines Gemm uses for an m x n x k
// product: when it is fewer than the cores, several such products are
// better run side by side (GemmSerial on each core) than one after another.
func GemmWorkers(m, n, k int) int {
	if m <= gemvRows {
		return workersFor(vectorWork * n * k)
	}
	return workersFor(2 * m * n * k)
}

// GemmRepacksB reports whether Gemm packs a transposed B again at every
// call for a product of m rows (the packed product reads only a plain B in
// place; a matrix-vector product of fewer rows reads B's rows as they
// are): a constant B is then better transposed once.
func GemmRepacksB(m int) bool { return m > gemvRows }

// gemm is Gemm on at most maxW goroutines.
func gemm(maxW int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, epi colEpilogue) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		epi.apply(c, ldc, 0, m, 0, n)
		return
	}
	if beta != 0 && beta != 1 {
		scaleC(m, n, beta, c, ldc)
	}
	if m <= gemvRows {
		gemv(min(maxW, workersFor(vectorWork*n*k)), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		epi.apply(c, ldc, 0, m, 0, n)
		return
	}
	mk := active
	t := gemmTask{
		mk: mk, m: m, n: n, k: k,
		plainB: gemmB{kind: mk.kind, b: b, ldb: ldb, trans: transB},
		out:    c, ldc: ldc,
		accumulate: beta != 0 || epi.bias != nil,
		col:        epi,
	}
	if !transB {
		t.bIn, t.ldbIn, t.bInCols = b, ldb, n
	}
	// Kernels that can read A in place (aIn) take the strips of MR rows of
	// a plain A from where it lies, instead of packing it.
	if mk.aIn && !transA && alpha == 1 && m >= mk.mr && lda >= k {
		t.aIn, t.lda = a, lda
		t.parallel(min(maxW, workersFor(2*m*n*k)))
		return
	}
	t.mpad = roundUp(m, mk.mr)
	abuf := getScratch(t.mpad * k)
	t.ap = *abuf
	packA(t.ap, mk.mr, transA, m, k, alpha, a, lda, min(maxW, workersFor(4*m*k)))
	t.parallel(min(maxW, workersFor(2*m*n*k)))
	putScratch(abuf)
}

// scaleC sets C = beta*C, writing zeros when beta == 0 whatever C holds.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// kcFor returns the depth of the k blocks for a product of depth k: at most
// kcBlock, and as even as possible, so that no block is a short remainder
// (every block re-reads and re-writes C).
func kcFor(k int) int {
	blocks := (k + kcBlock - 1) / kcBlock
	return roundUp((k+blocks-1)/blocks, 4)
}

// packA writes alpha*op(A) (m x k) in the layout the micro-kernels read: for
// each kcFor(k)-deep slice of k starting at k0, the slice occupies
// dst[k0*mpad:], split into panels of mr rows; panel i holds kc groups of mr
// values (rows i*mr.., zero past m), one group per k step. dst must hold
// roundUp(m, mr)*k values. It runs on up to w goroutines.
func packA(dst []float32, mr int, trans bool, m, k int, alpha float32, a []float32, lda int, w int) {
	panels := roundUp(m, mr) / mr
	if w <= 1 || panels == 1 {
		// No closure to allocate for the small products of attention.
		packPanelsA(dst, mr, trans, m, k, alpha, a, lda, 0, panels)
		return
	}
	parallelFor(panels, w, func(p0, p1 int) {
		packPanelsA(dst, mr, trans, m, k, alpha, a, lda, p0, p1)
	})
}

// packPanelsA is packA's work on panels p0..p1 (rows p0*mr..p1*mr).
func packPanelsA(dst []float32, mr int, trans bool, m, k int, alpha float32, a []float32, lda int, p0, p1 int) {
	mpad := roundUp(m, mr)
	kb := kcFor(k)
	for k0 := 0; k0 < k; k0 += kb {
		kc := min(kb, k-k0)
		blk := dst[k0*mpad : k0*mpad+kc*mpad]
		for i0 := p0 * mr; i0 < p1*mr; i0 += mr {
			packPanelA(blk[i0*kc:(i0+mr)*kc], mr, trans, i0, m, k0, kc, alpha, a, lda)
		}
	}
}

// packPanelA packs rows i0..i0+mr of alpha*op(A), depths k0..k0+kc.
func packPanelA(panel []float32, mr int, trans bool, i0, m, k0, kc int, alpha float32, a []float32, lda int) {
	if !trans && mr == 8 && i0+8 <= m {
		packPanelA8(panel[:kc*8], k0, kc, alpha, a[i0*lda:], lda)
		return
	}
	for r := 0; r < mr; r++ {
		i := i0 + r
		if i >= m {
			for p := 0; p < kc; p++ {
				panel[p*mr+r] = 0
			}
			continue
		}
		if trans {
			for p := 0; p < kc; p++ {
				panel[p*mr+r] = alpha * a[(k0+p)*lda+i]
			}
		} else {
			row := a[i*lda+k0 : i*lda+k0+kc]
			for p, v := range row {
				panel[p*mr+r] = alpha * v
			}
		}
	}
}

// packPanelA8 is packPanelA for 8 whole rows of A, not transposed (the
// AVX-512 kernel's panels): it reads the 8 rows side by side and writes the
// panel in order, 8 values per k step.
func packPanelA8(panel []float32, k0, kc int, alpha float32, a []float32, lda int) {
	r0 := a[k0 : k0+kc]
	r1 := a[lda+k0 : lda+k0+kc]
	r2 := a[2*lda+k0 : 2*lda+k0+kc]
	r3 := a[3*lda+k0 : 3*lda+k0+kc]
	r4 := a[4*lda+k0 : 4*lda+k0+kc]
	r5 := a[5*lda+k0 : 5*lda+k0+kc]
	r6 := a[6*lda+k0 : 6*lda+k0+kc]
	r7 := a[7*lda+k0 : 7*lda+k0+kc]
	for p := range r0 {
		d := panel[p*8 : p*8+8 : p*8+8]
		d[0], d[1], d[2], d[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
		d[4], d[5], d[6], d[7] = alpha*r4[p], alpha*r5[p], alpha*r6[p], alpha*r7[p]
	}
}

// bPacker fills a B block for the micro-kernel: rows k0..k0+kc of op(B),
// columns j0..j0+nc, as panels of nr columns (zero or don't-care past the
// last column); panel q starts at dst[q*nr*kc] and holds kc groups of nr
// values, one group per k step.
type bPacker interface {
	pack(dst []float32, nr, k0, kc, j0, nc int)
}

// gemmB packs a plain row-major (or transposed) B matrix.
type gemmB struct {
	kind  kernelKind
	b     []float32
	ldb   int
	trans bool
}

func (g *gemmB) pack(dst []float32, nr, k0, kc, j0, nc int) {
	var buf [kcBlock]int
	offs := buf[:kc]
	for p := range offs {
		offs[p] = (k0+p)*g.ldb + j0
	}
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+kc*nr]
		j := j0 + jr
		switch {
		case !g.trans && cols == nr:
			packRows(g.kind, panel, g.b, offs, nr)
		case !g.trans:
			for p, o := range offs {
				d := panel[p*nr : p*nr+nr]
				copy(d, g.b[o:o+cols])
				clear(d[cols:])
			}
		default:
			for c := 0; c < cols; c++ {
				col := g.b[(j+c)*g.ldb+k0 : (j+c)*g.ldb+k0+kc]
				for p, v := range col {
					panel[p*nr+c] = v
				}
			}
			for p := 0; p < kc; p++ {
				clear(panel[p*nr+cols : p*nr+nr])
			}
		}
		for p := range offs {
			offs[p] += nr
		}
	}
}

// gemmTask is one packed product C (op)= A*B, A packed by packA (or read in
// place), B packed on the fly by bp.
type gemmTask struct {
	mk      microKernel
	m, n, k int
	// If set, row i of A is aIn[i*lda:] in place (m >= MR: a partial last
	// strip is the last MR rows, see strip); else A is packed by packA in
	// ap, its k slices mpad rows apart.
	aIn        []float32
	lda        int
	ap         []float32
	mpad       int
	bp         bPacker // nil: plainB packs B
	plainB     gemmB
	out        []float32
	ldc        int
	accumulate bool      // the first k block adds to C
	bias       []float32 // per output row, or nil
	clamp      bool
	lo, hi     float32
	silu       bool        // SiLU on the output after the last k block (epilogue.go)
	col        colEpilogue // a bias per column, written first (accumulate is set), and Gelu after the last k block
	final      finisher    // if set, what each worker does with its part of C, once computed
	// short says the last rows, m-4..m (m%MR == 4 on the AVX-512 kernel),
	// are a packed panel of 4 rows, which shortTile computes (B strided in
	// place, no bias or clamp): a product whose rows end a few past a
	// multiple of MR computes 4 rows there instead of MR.
	short bool
	// If set, B(k, j) is bIn[k*ldbIn+j], or bIn[bOffs[k]+j] if bOffs is
	// set, and whole panels of columns j < bInCols are read in place
	// instead of packed.
	bIn     []float32
	ldbIn   int
	bOffs   []int
	bInCols int
	// byPanel asks run to walk every k block of a panel of columns before
	// the next panel where panelByPanel allows it.
	byPanel bool
	// pixelCols says the columns are a channel-major convolution's pixels:
	// split asks fewer of them per worker before cutting by columns.
	pixelCols bool
	// channelCols says the columns are a pixel-major convolution's output
	// channels (B its weights, read in place): split cuts a product of few
	// rows (a 7x7 image's pixels) by columns from two panels a worker on.
	channelCols bool
	// If set, work that must be done before the product (the pixel-major
	// path's gather of A): every worker helps with its parts before its
	// first tile and waits until all are done (prepare), instead of a
	// parallel loop of their own and its hand-off between the cores.
	prep *job
}

// finisher is the last step of each worker's part of a product (columns
// j0..j1 and rows i0..i1 of C, which is out with ldc values a row): moving
// the results where they belong while they are in the worker's cache. (It
// takes the product's fields, not the product: a gemmTask handed to an
// interface's method would move to the heap at every product.)
type finisher interface {
	finish(kind kernelKind, out []float32, ldc, j0, j1, i0, i1 int)
}

// compaction describes the copy of a conv GEMM's scratch output (columns of
// the flattened planes, see Conv) into the real output: the first rows rows
// of the scratch, oh x ow pixels each, from row-major oh x wq.
type compaction struct {
	dst        []float32
	rows       int
	oh, ow, wq int
}

// finish copies the results of scratch rows i0..i1 and columns j0..j1:
// one copy a row where the output rows follow each other in the scratch
// (wq == ow: a 1x1 convolution of fewer columns than 8 tiles, compacted
// only for its partial tiles), one copyRows call a row where the columns
// are all of it, else a copy per output row.
func (f *compaction) finish(kind kernelKind, out []float32, ldc, j0, j1, i0, i1 int) {
	plane := f.oh * f.ow
	for r := i0; r < min(i1, f.rows); r++ {
		dst, src := f.dst[r*plane:(r+1)*plane], out[r*ldc:]
		switch {
		case f.wq == f.ow:
			if x1 := min(j1, plane); j0 < x1 {
				copy(dst[j0:x1], src[j0:x1])
			}
		case j0 == 0 && j1 >= f.oh*f.wq:
			copyRows(kind, dst, f.ow, src, f.wq, f.oh, f.ow)
		default:
			for oy := j0 / f.wq; oy < f.oh && oy*f.wq < j1; oy++ {
				x0, x1 := max(0, j0-oy*f.wq), min(f.ow, j1-oy*f.wq)
				if x0 < x1 {
					copy(dst[oy*f.ow+x0:oy*f.ow+x1], src[oy*f.wq+x0:oy*f.wq+x1])
				}
			}
		}
	}
}

// parallel runs the task on up to w goroutines: column ranges when there are
// enough columns (each goroutine packs its own part of B), else row ranges
// (each goroutine packs all of B, which is then small).
func (t *gemmTask) parallel(w int) {
	nr, mr := t.mk.nr, t.mk.mr
	switch t.split(w) {
	case splitNone:
		t.prepare(0, 1)
		t.run(0, t.n, 0, t.m)
	case splitColumns:
		// The goroutines share a copy on the heap: a product run on one
		// goroutine allocates nothing.
		h := new(*t)
		panels := (t.n + nr - 1) / nr
		parallelFor(panels, w, func(p0, p1 int) {
			h.prepare(p0, panels)
			h.run(p0*nr, min(h.n, p1*nr), 0, h.m)
		})
	default:
		h := new(*t)
		panels := (t.m + mr - 1) / mr
		parallelFor(panels, w, func(p0, p1 int) {
			h.prepare(p0, panels)
			h.run(0, h.n, p0*mr, min(h.m, p1*mr))
		})
	}
}

// prepare does t.prep's parts left (if any) and waits for the others',
// before a worker's part of the product that starts at panel p0 of
// panels: the caller, which starts at the first panels, takes the prep's
// parts from the front, the team, at the last, from the back.
func (t *gemmTask) prepare(p0, panels int) {
	if t.prep != nil {
		t.prep.work(2*p0 < panels)
		t.prep.wait()
	}
}

// How parallel cuts a product.
const (
	splitNone = iota
	splitColumns
	splitRows
)

// split returns how parallel(w) cuts the task.
func (t *gemmTask) split(w int) int {
	colPanels := (t.n + t.mk.nr - 1) / t.mk.nr
	rowPanels := (t.m + t.mk.mr - 1) / t.mk.mr
	switch {
	case w <= 1 || (colPanels < 2*w && rowPanels < 2*w):
		return splitNone
	case colPanels >= 4*w || colPanels >= rowPanels:
		return splitColumns
	case t.pixelCols && colPanels >= 2*w:
		// A worker cut by columns reads its own pixels of the input (its
		// share, while the weights it reads whole are smaller), cut by
		// rows all of it, half of which the other core wrote last:
		// MobileNetV2's 384->64 at 14x14 (7 panels of pixels, 8 of
		// rows) took 55-60 us on two cores, as on one, and takes 44-45
		// (the two vCPUs far apart: xcore 25 GB/s), or 32 against 38
		// (close: 71 GB/s).
		return splitColumns
	case t.channelCols && colPanels >= 2*w && rowPanels < 4*w && t.n >= t.m:
		// Cut by rows, each worker would read all the weights, more
		// than the pixels it gathers, and the few panels of rows split
		// unevenly (4 and 3); cut by columns, half of the weights each:
		// EfficientNet-B0's 1152->192 at 7x7 (6 panels of channels, 7
		// of pixels, 884 KB of weights). A 14x14 image's 25 panels of
		// rows split evenly: a 512->224 layer there took 160-187 us cut
		// by rows, 209-219 cut into 7 panels of columns.
		return splitColumns
	}
	return splitRows
}

// run computes output columns j0..j1 and rows i0..i1 (i0 a multiple of MR).
func (t *gemmTask) run(j0, j1, i0, i1 int) {
	mr, nr := t.mk.mr, t.mk.nr
	bbuf := getScratch(kcBlock*ncBlock + maxTile)
	bp := (*bbuf)[:kcBlock*ncBlock]
	tile := (*bbuf)[kcBlock*ncBlock:]
	if t.col.bias != nil {
		// Each goroutine starts its own part of C from the bias.
		for r := i0; r < min(i1, t.m); r++ {
			copy(t.out[r*t.ldc+j0:r*t.ldc+j1], t.col.bias[j0:j1])
		}
	}
	ncb := ncBlock
	if t.byPanel && panelByPanel(t.m, t.k, t.mk.mr) {
		ncb = nr
	}
	for jc := j0; jc < j1; jc += ncb {
		nc := min(ncb, j1-jc)
		kb := kcFor(t.k)
		for pc := 0; pc < t.k; pc += kb {
			kc := min(kb, t.k-pc)
			whole := 0 // columns read in place, whole panels
			if t.bIn != nil {
				whole = min(nc, max(0, (t.bInCols-jc)/nr*nr))
			}
			// A partial last panel of B in place is read as the whole panel
			// that ends with it (see tile).
			shifted := t.bIn != nil && t.bOffs == nil && whole < nc && nc-whole < nr && jc+nc <= t.bInCols && jc+nc >= nr
			switch {
			case whole == nc || shifted:
			case t.bp == nil:
				t.plainB.pack(bp[whole*kc:], nr, pc, kc, jc+whole, nc-whole)
			default:
				t.bp.pack(bp[whole*kc:], nr, pc, kc, jc+whole, nc-whole)
			}
			flags := 0
			if pc > 0 || t.accumulate {
				flags |= kAccumulate
			}
			if pc+kc >= t.k {
				if t.bias != nil {
					flags |= kBias
				}
				if t.clamp {
					flags |= kClamp
				}
			}
			ablk := t.ap[pc*t.mpad:]
			// strip returns rows ir.. of A: packed, or in place as the
			// MR rows that start shift rows above (the last MR rows for a
			// partial last strip).
			strip := func(ir int) (a []float32, lda, shift int) {
				switch {
				case t.aIn == nil:
					return ablk[ir*kc : ir*kc+kc*mr], 0, 0
				case ir+mr > t.m:
					shift = ir - (t.m - mr)
				}
				return t.aIn[(ir-shift)*t.lda+pc:], t.lda, shift
			}
			// panel returns columns jc+jr.. of B, and likewise how many
			// columns left of them it starts.
			panel := func(jr int) (b []float32, ldb int, offs []int, shift int) {
				switch {
				case jr >= whole && shifted:
					shift = jr - (nc - nr)
				case jr >= whole:
					return bp[jr*kc : jr*kc+kc*nr], 0, nil, 0
				case t.bOffs != nil:
					return t.bIn[jc+jr:], 0, t.bOffs[pc : pc+kc], 0
				}
				return t.bIn[pc*t.ldbIn+jc+jr-shift:], t.ldbIn, nil, shift
			}
			if kc <= shallowK {
				// Shallow products are bound by writing C: finish rows of
				// tiles (a few pages of C) before moving down.
				for ir := i0; ir < i1; ir += mr {
					a, lda, rs := strip(ir)
					for jr := 0; jr < nc; {
						b, ldb, offs, cs := panel(jr)
						// Whole tiles whose B panels lie alike (in place
						// or packed) go to the kernel as one row.
						end := nc
						if jr < whole {
							end = whole
						}
						n := 0
						if rs == 0 && cs == 0 && ir+mr <= t.m {
							n = (min(end, t.n-jc) - jr) / nr
						}
						if n < 2 {
							t.tile(kc, a, lda, b, ldb, offs, ir, jc+jr, rs, cs, flags, tile)
							jr += nr
							continue
						}
						step := nr
						if jr >= whole {
							b, step = bp[jr*kc:], kc*nr
						}
						var bias []float32
						if flags&kBias != 0 {
							bias = t.bias[ir:]
						}
						t.mk.runRow(n, kc, a, lda, b, ldb, offs, step, t.out[ir*t.ldc+jc+jr:], t.ldc, flags, bias, t.lo, t.hi)
						jr += n * nr
					}
					if (t.silu || t.col.gelu) && pc+kc >= t.k {
						t.epilogue(ir, ir+mr, jc, jc+nc)
					}
				}
				continue
			}
			// Deep ones keep a B panel in L1 while A blocks stream from L2.
			for ic := i0; ic < i1; ic += mcBlock {
				for jr := 0; jr < nc; jr += nr {
					b, ldb, offs, cs := panel(jr)
					ie := min(ic+mcBlock, i1)
					if t.aIn == nil && cs == 0 && jc+jr+nr <= t.n {
						// Whole tiles of packed A panels go to the kernel
						// as one column: the rows that end MR or more
						// before m (and before a short panel).
						last := t.m - mr
						if t.short {
							last = t.m - 4 - mr
						}
						if n := (min(ie, last+mr) - ic) / mr; n >= 2 {
							var bias []float32
							if flags&kBias != 0 {
								bias = t.bias[ic:]
							}
							t.mk.runCol(n, kc, ablk[ic*kc:], b, ldb, offs, t.out[ic*t.ldc+jc+jr:], t.ldc, flags, bias, t.lo, t.hi)
							for ir := ic + n*mr; ir < ie; ir += mr {
								a, lda, rs := strip(ir)
								t.tile(kc, a, lda, b, ldb, offs, ir, jc+jr, rs, cs, flags, tile)
							}
							if t.silu && pc+kc >= t.k {
								t.epilogue(ic, ie, jc+jr, jc+jr+nr)
							}
							continue
						}
					}
					for ir := ic; ir < ie; ir += mr {
						a, lda, rs := strip(ir)
						t.tile(kc, a, lda, b, ldb, offs, ir, jc+jr, rs, cs, flags, tile)
					}
					if t.silu && pc+kc >= t.k {
						t.epilogue(ic, min(ic+mcBlock, i1), jc+jr, jc+jr+nr)
					}
				}
				if t.col.gelu && pc+kc >= t.k {
					// Rows of nc values: Gelu's setup paid once per row.
					t.epilogue(ic, min(ic+mcBlock, i1), jc, jc+nc)
				}
			}
		}
	}
	putScratch(bbuf)
	if t.final != nil {
		t.final.finish(t.mk.kind, t.out, t.ldc, j0, j1, i0, i1)
	}
}

// panelByPanel reports whether a product of m rows and depth k may walk
// every k block of one panel of columns before the next panel (with B
// read in place, nothing to pack): a deep product (k blocks deeper than
// shallowK, more than one) of one block of rows, whose B panels are then
// not reused over row blocks anyway, and whose A, all its k blocks, stays
// in L2 (at most 512 KB). A panel's C tiles, written by the first k
// block, are still in L1 or L2 when the next adds to them, instead of
// coming back from L3 (SqueezeNet's classifier, pixel-major: 172 x 1024
// results, 700 KB). Every tile sums its k blocks in the same order either
// way.
func panelByPanel(m, k, mr int) bool {
	kb := kcFor(k)
	return m <= mcBlock && kb > shallowK && kb < k && roundUp(m, mr)*k <= 1<<17
}

// tile computes the output tile at row i, column j: straight into the output
// when it is whole, else through the scratch tile. A partial tile at the
// bottom or right edge may come from A and B shifted up by rs rows and left
// by cs columns (strip, panel: the whole tile that ends where C ends), of
// which the scratch tile's last rows and columns are kept.
func (t *gemmTask) tile(kc int, a []float32, lda int, b []float32, ldb int, offs []int, i, j, rs, cs, flags int, tmp []float32) {
	mr, nr := t.mk.mr, t.mk.nr
	rows, cols := min(mr, t.m-i), min(nr, t.n-j)
	var bias []float32
	if flags&kBias != 0 {
		bias = t.bias[i:]
	}
	if t.short && i+4 == t.m {
		if cols != nr || ldb == 0 || offs != nil || flags&^kAccumulate != 0 {
			panic("kernels: a short tile needs whole columns of B strided in place and no bias or clamp")
		}
		shortTile(kc, a, b, ldb, t.out[i*t.ldc+j:], t.ldc, flags)
		return
	}
	if rows == mr && cols == nr {
		t.mk.run(kc, a, lda, b, ldb, offs, t.out[i*t.ldc+j:], t.ldc, flags, bias, t.lo, t.hi)
		return
	}
	t.mk.run(kc, a, lda, b, ldb, offs, tmp, nr, 0, nil, 0, 0)
	tmp = tmp[rs*nr+cs:]
	switch flags {
	case 0:
		// Nothing to add or clamp (the small products of attention, 49 or
		// 197 wide, end in such tiles): one call for the rows.
		copyRows(t.mk.kind, t.out[i*t.ldc+j:], t.ldc, tmp, nr, rows, cols)
		return
	case kAccumulate:
		for r := 0; r < rows; r++ {
			row := t.out[(i+r)*t.ldc+j : (i+r)*t.ldc+j+cols]
			Add(row, row, tmp[r*nr:r*nr+cols])
		}
		return
	}
	// The last k block of a convolution's edge tiles (ResNet-18's 1x1
	// stride-2 layer of 784 columns ends in 16 of them): the micro-kernel's
	// steps in its order (C added, then the bias, then the clamp), as
	// vector loops over each row. Adding -0 changes no value.
	lo, hi := -float32Inf, float32Inf
	if flags&kClamp != 0 {
		lo, hi = t.lo, t.hi
	}
	for r := 0; r < rows; r++ {
		row, res := t.out[(i+r)*t.ldc+j:(i+r)*t.ldc+j+cols], tmp[r*nr:r*nr+cols]
		if flags&kAccumulate != 0 {
			AddInto(res, row)
		}
		b := negZero
		if flags&kBias != 0 {
			b = bias[r]
		}
		ScaleClamp(row, res, 1, b, lo, hi)
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }
