//go:build !amd64 || purego

package kernels

func availableKernels() []microKernel { return []microKernel{goKernel} }

// run computes one MR x NR tile with kernel k (see microKernel), from a
// packed B panel, or from B in place: row p at b[p*ldb:] (ldb > 0) or at
// b[offs[p]:] (offs != nil). A is always a packed panel (lda is 0: no
// kernel here reads A in place).
func (k microKernel) run(kc int, a []float32, lda int, b []float32, ldb int, offs []int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	goMicro4x4(kc, a, b, ldb, offs, c, ldc, flags, bias, lo, hi)
}

// hasNarrowTile reports false: there is no narrow kernel here.
func hasNarrowTile(kind kernelKind) bool { return false }

// narrowTile is never called here (see hasNarrowTile).
func narrowTile(kc int, a, b []float32, ldb int, c []float32, ldc, flags int) {
	panic("kernels: no narrow tile kernel")
}

// hasShortTile reports false: there is no short kernel here.
func hasShortTile(kind kernelKind) bool { return false }

// shortTile is never called here (see hasShortTile).
func shortTile(kc int, a, b []float32, ldb int, c []float32, ldc, flags int) {
	panic("kernels: no short tile kernel")
}

// runRow computes n whole tiles side by side, as n calls of run would:
// tile q reads B from b[q*bStep:] and writes c[q*NR:].
func (k microKernel) runRow(n, kc int, a []float32, lda int, b []float32, ldb int, offs []int, bStep int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	for q := 0; q < n; q++ {
		k.run(kc, a, lda, b[q*bStep:], ldb, offs, c[q*k.nr:], ldc, flags, bias, lo, hi)
	}
}

// runCol computes n whole tiles one below the other, as n calls of run
// with packed A panels would: tile q reads A from a[q*kc*MR:] and the bias
// (if any) from bias[q*MR:], and writes c[q*MR*ldc:].
func (k microKernel) runCol(n, kc int, a, b []float32, ldb int, offs []int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	for q := 0; q < n; q++ {
		var bq []float32
		if flags&kBias != 0 {
			bq = bias[q*k.mr:]
		}
		k.run(kc, a[q*kc*k.mr:], 0, b, ldb, offs, c[q*k.mr*ldc:], ldc, flags, bq, lo, hi)
	}
}

// dwFlat is the depthwise inner loop (see dwFlatGo).
func dwFlat(kind kernelKind, dst []float32, n int, src []float32, offs []int, maxOff int, w []float32, bias, lo, hi float32) {
	dwFlatGo(dst, n, src, offs, w, bias, lo, hi)
}

// packRows copies, for each offset o in offs, x[o : o+nr] to the next nr
// values of dst.
func packRows(kind kernelKind, dst, x []float32, offs []int, nr int) {
	for p, o := range offs {
		copy(dst[p*nr:p*nr+nr], x[o:o+nr])
	}
}

// copyRows copies rows (see copyRowsGo).
func copyRows(kind kernelKind, dst []float32, ds int, src []float32, ss, rows, n int) {
	copyRowsGo(dst, ds, src, ss, rows, n)
}

// interleaveRows merges rows of even and odd values (see
// interleaveRowsGo).
func interleaveRows(kind kernelKind, dst []float32, ds int, even []float32, es int, odd []float32, os int, rows, n int) {
	interleaveRowsGo(dst, ds, even, es, odd, os, rows, n)
}

// deinterleaveRows splits rows into even and odd values (see
// deinterleaveRowsGo).
func deinterleaveRows(kind kernelKind, even []float32, es int, odd []float32, os int, src []float32, ss, rows, n int) {
	deinterleaveRowsGo(even, es, odd, os, src, ss, rows, n)
}

// dot returns the dot product of x and y (len(x) == len(y)).
func dot(kind kernelKind, x, y []float32) float32 { return dotGo(x, y) }

// dot3 returns the dot products of x with y0, y1 and y2 (each of len(x)
// values), each the value dot gives for it.
func dot3(kind kernelKind, x, y0, y1, y2 []float32) [3]float32 {
	return [3]float32{dotGo(x, y0), dotGo(x, y1), dotGo(x, y2)}
}

// axpy adds a*x to dst (len(x) == len(dst)).
func axpy(kind kernelKind, dst, x []float32, a float32) { axpyGo(dst, x, a) }

// gatherPanel8 is gatherPanel for 8 rows (see gatherPanel8Go).
func gatherPanel8(kind kernelKind, panel, x []float32, rowOff []int, maxOff int, pixOff []int) {
	gatherPanel8Go(panel, x, rowOff, pixOff)
}

// transposeRows writes channels m0..m1 of dst (see transposeRowsGo).
func transposeRows(kind kernelKind, dst []float32, lds int, ct []float32, ldc, npix, m0, m1 int, bias []float32, lo, hi float32) {
	transposeRowsGo(dst, lds, ct, ldc, npix, m0, m1, bias, lo, hi)
}

// dwDirect is dwDirectGo: the direct path is taken on AVX-512 only.
func dwDirect(kind kernelKind, dst, src []float32, c0, c1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	dwDirectGo(dst, src, c0, c1, g, w, bias, lo, hi)
}

// convDirectBlocks is convDirectBlocksGo: the direct path is taken on
// AVX-512 only.
func convDirectBlocks(kind kernelKind, dst, src []float32, c, b0, b1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	convDirectBlocksGo(dst, src, c, b0, b1, g, w, bias, lo, hi)
}

// prefetch is a hint that needs assembly: nothing here.
func prefetch(kind kernelKind, x []float32) {}

// transpose is transposeGo.
func transpose(kind kernelKind, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeGo(dst, ldd, src, lds, rows, cols)
}
