//go:build amd64 && !purego

package kernels

//go:generate go run ./internal/asmgen

// The CPU features are read with CPUID here rather than through
// golang.org/x/sys/cpu, to keep the module's dependencies as they are.

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

//go:noescape
func sgemm6x16AVX2(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm8x32AVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32)

//go:noescape
func sgemm6x16StridedAVX2(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb int)

//go:noescape
func sgemm6x16IndirectAVX2(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, offs *int)

//go:noescape
func sgemm8x32IndirectAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, offs *int)

//go:noescape
func sgemm8x32StridedAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb int)

//go:noescape
func sgemm8x16StridedAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb int)

//go:noescape
func sgemm4x32StridedAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb int)

//go:noescape
func sgemm6x16AInAVX2(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, lda int)

//go:noescape
func sgemm6x16AInStridedAVX2(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb, lda int)

//go:noescape
func sgemm8x32AInAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, lda int)

//go:noescape
func sgemm8x32AInStridedAVX512(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32, ldb, lda int)

//go:noescape
func dwFlatAVX2(dst *float32, n int, src *float32, offs *int, w *float32, ntaps int, bias, lo, hi float32)

//go:noescape
func dwFlatAVX512(dst *float32, n int, src *float32, offs *int, w *float32, ntaps int, bias, lo, hi float32)

//go:noescape
func transposeBlocksAVX512(dst, ct *float32, rowOffs *int, blockBytes, npixBytes int, bias *float32, nblk, mask int, lo, hi float32)

//go:noescape
func transposeBlocksPlainAVX512(dst, src *float32, rowOffs *int, blockBytes, dstBytes, nblk, mask int)

//go:noescape
func conv3x3s2AVX512(dst, src *float32, recs *int32, ngroups int, w, bias *float32, mblocks, c, rowBytes, inBytes, outBytes, highB int, lo, hi float32)

//go:noescape
func dw3x3s1AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)

//go:noescape
func dw3x3s2AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)

//go:noescape
func dw3x3s2PairsAVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)

//go:noescape
func dw5x5s1AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)

//go:noescape
func dw5x5s2AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)

//go:noescape
func deinterleaveRowsAVX2(even *float32, es int, odd *float32, os int, src *float32, ss, rows, n int)

//go:noescape
func deinterleaveRowsAVX512(even *float32, es int, odd *float32, os int, src *float32, ss, rows, n int)

//go:noescape
func interleaveRowsAVX512(dst *float32, ds int, even *float32, es int, odd *float32, os int, rows, n int)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func dot3AVX2(x, y0, y1, y2 *float32, n int, out *float32)

//go:noescape
func axpyAVX2(dst, x *float32, a float32, n int)

//go:noescape
func copyRowsAVX2(dst *float32, ds int, src *float32, ss, rows, n int)

//go:noescape
func copyRowsAVX512(dst *float32, ds int, src *float32, ss, rows, n int)

//go:noescape
func packRows16AVX2(dst, src *float32, offs *int, kc int)

//go:noescape
func packRows32AVX512(dst, src *float32, offs *int, kc int)

var hasAVX2, hasAVX512 = detectCPU()

// detectCPU reports AVX2+FMA and AVX-512 support, by the CPU and by the OS
// (which must save the YMM, and for AVX-512 the ZMM and mask, registers).
func detectCPU() (avx2, avx512 bool) {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	if xcr0&0x6 != 0x6 {
		return false, false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	avx2 = ebx7&(1<<5) != 0
	// AVX-512 F for the arithmetic, DQ for VXORPS on ZMM registers.
	const avx512f, avx512dq = 1 << 16, 1 << 17
	avx512 = avx2 && ebx7&(avx512f|avx512dq) == avx512f|avx512dq && xcr0&0xe6 == 0xe6
	return avx2, avx512
}

func availableKernels() []microKernel {
	ks := []microKernel{goKernel}
	if hasAVX2 {
		ks = append(ks, microKernel{kind: kindAVX2, mr: 6, nr: 16, name: "avx2", aIn: true})
	}
	if hasAVX512 {
		ks = append(ks, microKernel{kind: kindAVX512, mr: 8, nr: 32, name: "avx512", aIn: true})
	}
	return ks
}

// run computes one MR x NR tile with kernel k (see microKernel), from a
// packed B panel, or from B in place: row p at b[p*ldb:] (ldb > 0) or at
// b[offs[p]:] (offs != nil; the caller checks those reads). A is a packed
// panel, or with lda > 0 (kernels with aIn) MR rows of A read in place, row
// r at a[r*lda:]. The slice checks keep a driver bug from becoming a wild
// write.
func (k microKernel) run(kc int, a []float32, lda int, b []float32, ldb int, offs []int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	aLast := kc*k.mr - 1
	if lda > 0 {
		if !k.aIn || offs != nil {
			panic("kernels: A in place needs an aIn kernel and B packed or strided")
		}
		aLast = (k.mr-1)*lda + kc - 1
	}
	var bp *float32
	if flags&kBias != 0 {
		_ = bias[k.mr-1]
		bp = &bias[0]
	}
	bLast := kc*k.nr - 1
	switch {
	case offs != nil:
		_ = offs[kc-1]
		bLast = 0
	case ldb > 0:
		bLast = (kc-1)*ldb + k.nr - 1
	}
	switch k.kind {
	case kindAVX2:
		_, _, _ = a[aLast], b[bLast], c[5*ldc+15]
		switch {
		case lda > 0 && ldb > 0:
			sgemm6x16AInStridedAVX2(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, ldb, lda)
		case lda > 0:
			sgemm6x16AInAVX2(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, lda)
		case offs != nil:
			sgemm6x16IndirectAVX2(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, &offs[0])
		case ldb > 0:
			sgemm6x16StridedAVX2(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, ldb)
		default:
			sgemm6x16AVX2(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi)
		}
	case kindAVX512:
		_, _, _ = a[aLast], b[bLast], c[7*ldc+31]
		switch {
		case lda > 0 && ldb > 0:
			sgemm8x32AInStridedAVX512(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, ldb, lda)
		case lda > 0:
			sgemm8x32AInAVX512(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, lda)
		case offs != nil:
			sgemm8x32IndirectAVX512(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, &offs[0])
		case ldb > 0:
			sgemm8x32StridedAVX512(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi, ldb)
		default:
			sgemm8x32AVX512(kc, &a[0], &b[0], &c[0], ldc, flags, bp, lo, hi)
		}
	default:
		goMicro4x4(kc, a, b, ldb, offs, c, ldc, flags, bias, lo, hi)
	}
}

// hasNarrowTile reports whether narrowTile has a kernel of the kind.
func hasNarrowTile(kind kernelKind) bool { return kind == kindAVX512 }

// narrowTile computes the left half of an 8x32 tile of the AVX-512 kernel:
// C[8 x 16] (op)= A^T B, A a packed panel, B read in place (row p at
// b[p*ldb:]), each value by the same steps as the whole tile computes it
// (flags: kAccumulate only). Only where hasNarrowTile.
func narrowTile(kc int, a, b []float32, ldb int, c []float32, ldc, flags int) {
	_, _, _ = a[kc*8-1], b[(kc-1)*ldb+15], c[7*ldc+15]
	sgemm8x16StridedAVX512(kc, &a[0], &b[0], &c[0], ldc, flags&kAccumulate, nil, 0, 0, ldb)
}

// hasShortTile reports whether shortTile has a kernel of the kind.
func hasShortTile(kind kernelKind) bool { return kind == kindAVX512 }

// shortTile computes the top half of an 8x32 tile of the AVX-512 kernel:
// C[4 x 32] (op)= A^T B, A a packed panel of 4 rows (4 values a k step), B
// read in place (row p at b[p*ldb:]), each value by the same steps as the
// whole tile computes it (flags: kAccumulate only). Only where
// hasShortTile.
func shortTile(kc int, a, b []float32, ldb int, c []float32, ldc, flags int) {
	_, _, _ = a[kc*4-1], b[(kc-1)*ldb+31], c[3*ldc+31]
	sgemm4x32StridedAVX512(kc, &a[0], &b[0], &c[0], ldc, flags&kAccumulate, nil, 0, 0, ldb)
}

// runRow computes n whole tiles side by side, as n calls of run would:
// tile q reads B from b[q*bStep:] (ldb and offs as in run) and writes
// c[q*NR:]. On AVX-512 the slices are checked once for the row and the
// kernel is called in a loop (shallow products, whose tiles take a few
// dozen cycles, spend much of their time in run's checks otherwise).
func (k microKernel) runRow(n, kc int, a []float32, lda int, b []float32, ldb int, offs []int, bStep int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	if k.kind != kindAVX512 || lda > 0 && offs != nil {
		for q := 0; q < n; q++ {
			k.run(kc, a, lda, b[q*bStep:], ldb, offs, c[q*k.nr:], ldc, flags, bias, lo, hi)
		}
		return
	}
	if n <= 0 {
		return
	}
	aLast := kc*8 - 1
	if lda > 0 {
		aLast = 7*lda + kc - 1
	}
	var bp *float32
	if flags&kBias != 0 {
		_ = bias[7]
		bp = &bias[0]
	}
	bLast := bPanelLast(kc, ldb, offs)
	_, _, _ = a[aLast], b[(n-1)*bStep+bLast], c[7*ldc+(n-1)*32+31]
	switch {
	case lda > 0 && ldb > 0:
		for q := range n {
			sgemm8x32AInStridedAVX512(kc, &a[0], &b[q*bStep], &c[q*32], ldc, flags, bp, lo, hi, ldb, lda)
		}
	case lda > 0:
		for q := range n {
			sgemm8x32AInAVX512(kc, &a[0], &b[q*bStep], &c[q*32], ldc, flags, bp, lo, hi, lda)
		}
	case offs != nil:
		for q := range n {
			sgemm8x32IndirectAVX512(kc, &a[0], &b[q*bStep], &c[q*32], ldc, flags, bp, lo, hi, &offs[0])
		}
	case ldb > 0:
		for q := range n {
			sgemm8x32StridedAVX512(kc, &a[0], &b[q*bStep], &c[q*32], ldc, flags, bp, lo, hi, ldb)
		}
	default:
		for q := range n {
			sgemm8x32AVX512(kc, &a[0], &b[q*bStep], &c[q*32], ldc, flags, bp, lo, hi)
		}
	}
}

// runCol computes n whole tiles one below the other, as n calls of run
// with packed A panels would: tile q reads A from a[q*kc*MR:] and the bias
// (if any) from bias[q*MR:], and writes c[q*MR*ldc:]. On AVX-512 the
// slices are checked once for the column and the kernel is called in a
// loop (deep products call it for every tile of a B panel kept in L1).
func (k microKernel) runCol(n, kc int, a, b []float32, ldb int, offs []int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	if k.kind != kindAVX512 {
		for q := 0; q < n; q++ {
			var bq []float32
			if flags&kBias != 0 {
				bq = bias[q*k.mr:]
			}
			k.run(kc, a[q*kc*k.mr:], 0, b, ldb, offs, c[q*k.mr*ldc:], ldc, flags, bq, lo, hi)
		}
		return
	}
	if n <= 0 {
		return
	}
	// bq is tile q's bias, nil without one.
	bq := func(int) *float32 { return nil }
	if flags&kBias != 0 {
		_ = bias[n*8-1]
		bq = func(q int) *float32 { return &bias[q*8] }
	}
	bLast := bPanelLast(kc, ldb, offs)
	_, _, _ = a[n*kc*8-1], b[bLast], c[((n-1)*8+7)*ldc+31]
	switch {
	case offs != nil:
		for q := range n {
			sgemm8x32IndirectAVX512(kc, &a[q*kc*8], &b[0], &c[q*8*ldc], ldc, flags, bq(q), lo, hi, &offs[0])
		}
	case ldb > 0:
		for q := range n {
			sgemm8x32StridedAVX512(kc, &a[q*kc*8], &b[0], &c[q*8*ldc], ldc, flags, bq(q), lo, hi, ldb)
		}
	default:
		for q := range n {
			sgemm8x32AVX512(kc, &a[q*kc*8], &b[0], &c[q*8*ldc], ldc, flags, bq(q), lo, hi)
		}
	}
}

//go:noescape
func prefetchL2(p *float32, n int)

// prefetch asks for the cache lines of x in L2, on the kinds that have the
// instruction (a hint: it changes no value).
func prefetch(kind kernelKind, x []float32) {
	if kind != kindGo && len(x) > 0 {
		prefetchL2(&x[0], len(x))
	}
}

// dwFlat is the depthwise inner loop (see dwFlatGo), in assembly for the
// AVX2 and AVX-512 kinds. n must be a multiple of 64.
func dwFlat(kind kernelKind, dst []float32, n int, src []float32, offs []int, maxOff int, w []float32, bias, lo, hi float32) {
	if kind == kindGo {
		dwFlatGo(dst, n, src, offs, w, bias, lo, hi)
		return
	}
	_, _, _ = dst[n-1], src[maxOff+n-1], w[len(offs)-1]
	if kind == kindAVX512 {
		dwFlatAVX512(&dst[0], n, &src[0], &offs[0], &w[0], len(offs), bias, lo, hi)
		return
	}
	dwFlatAVX2(&dst[0], n, &src[0], &offs[0], &w[0], len(offs), bias, lo, hi)
}

// dwDirect computes channels c0..c1 of a direct depthwise 3x3 or 5x5
// convolution (see dwDirectGo), in assembly for the AVX-512 kind, whose
// loads stay in src: whole registers where they fit, masked loads
// elsewhere.
func dwDirect(kind kernelKind, dst, src []float32, c0, c1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	words, taps := dwRecWords(g.s, g.k), g.k*g.k
	if kind != kindAVX512 || len(g.recs) < words || c1 <= c0 {
		dwDirectGo(dst, src, c0, c1, g, w, bias, lo, hi)
		return
	}
	_, _, _, _ = dst[(c1-c0)*g.ohw-1], src[c1*g.hw-1], w[taps*c1-1], bias[c1-1]
	var f func(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)
	switch {
	case g.k == 3 && g.s == 1:
		f = dw3x3s1AVX512
	case g.k == 3 && g.pair:
		f = dw3x3s2PairsAVX512
	case g.k == 3:
		f = dw3x3s2AVX512
	case g.s == 1:
		f = dw5x5s1AVX512
	default:
		f = dw5x5s2AVX512
	}
	first := c0 * g.hw
	f(&dst[0], &src[first], &g.recs[0], len(g.recs)/words, &w[taps*c0], &bias[c0], c1-c0,
		4*g.width, 4*g.hw, 4*g.ohw, -first, len(src)-first-g.span, lo, hi)
}

// convDirectBlocks computes blocks b0..b1 of 16 output channels of a
// direct 3x3 stride-2 convolution (see convDirectBlocksGo), in assembly
// for the AVX-512 kind, whose loads stay in src: whole registers where they
// fit, masked loads elsewhere.
func convDirectBlocks(kind kernelKind, dst, src []float32, c, b0, b1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	if kind != kindAVX512 || len(g.recs) < dwRecWords2 || b1 <= b0 {
		convDirectBlocksGo(dst, src, c, b0, b1, g, w, bias, lo, hi)
		return
	}
	_, _, _, _ = dst[(b1-b0)*16*g.ohw-1], src[c*g.hw-1], w[b1*16*c*9-1], bias[16*b1-1]
	if len(g.recs)%(3*dwRecWords2) != 0 {
		panic("kernels: the direct convolution's records are not in groups of three")
	}
	conv3x3s2AVX512(&dst[0], &src[0], &g.recs[0], len(g.recs)/(3*dwRecWords2), &w[b0*16*c*9], &bias[16*b0], b1-b0, c,
		4*g.width, 4*g.hw, 4*g.ohw, len(src)-(c-1)*g.hw-g.span, lo, hi)
}

// packRows copies, for each offset o in offs, x[o : o+nr] to the next nr
// values of dst, in assembly where the kernel has it. Every read must be in
// x.
func packRows(kind kernelKind, dst, x []float32, offs []int, nr int) {
	switch {
	case kind == kindAVX2 && nr == 16:
		_ = dst[len(offs)*16-1]
		packRows16AVX2(&dst[0], &x[0], &offs[0], len(offs))
	case kind == kindAVX512 && nr == 32:
		_ = dst[len(offs)*32-1]
		packRows32AVX512(&dst[0], &x[0], &offs[0], len(offs))
	default:
		for p, o := range offs {
			copy(dst[p*nr:p*nr+nr], x[o:o+nr])
		}
	}
}

// copyRows copies rows (see copyRowsGo).
func copyRows(kind kernelKind, dst []float32, ds int, src []float32, ss, rows, n int) {
	if kind == kindGo || rows <= 0 || n <= 0 {
		copyRowsGo(dst, ds, src, ss, rows, n)
		return
	}
	_, _ = dst[(rows-1)*ds+n-1], src[(rows-1)*ss+n-1]
	if kind == kindAVX512 {
		copyRowsAVX512(&dst[0], ds, &src[0], ss, rows, n)
		return
	}
	copyRowsAVX2(&dst[0], ds, &src[0], ss, rows, n)
}

// deinterleaveRows splits rows into even and odd values (see
// deinterleaveRowsGo).
func deinterleaveRows(kind kernelKind, even []float32, es int, odd []float32, os int, src []float32, ss, rows, n int) {
	if kind == kindGo || rows <= 0 || n <= 0 {
		deinterleaveRowsGo(even, es, odd, os, src, ss, rows, n)
		return
	}
	_, _, _ = even[(rows-1)*es+n-1], odd[(rows-1)*os+n-1], src[(rows-1)*ss+2*n-1]
	if kind == kindAVX512 {
		deinterleaveRowsAVX512(&even[0], es, &odd[0], os, &src[0], ss, rows, n)
		return
	}
	deinterleaveRowsAVX2(&even[0], es, &odd[0], os, &src[0], ss, rows, n)
}

// interleaveRows merges rows of even and odd values (see
// interleaveRowsGo); AVX2 machines take the Go loop.
func interleaveRows(kind kernelKind, dst []float32, ds int, even []float32, es int, odd []float32, os int, rows, n int) {
	if kind != kindAVX512 || rows <= 0 || n <= 0 {
		interleaveRowsGo(dst, ds, even, es, odd, os, rows, n)
		return
	}
	_, _, _ = dst[(rows-1)*ds+2*n-1], even[(rows-1)*es+n-1], odd[(rows-1)*os+n-1]
	interleaveRowsAVX512(&dst[0], ds, &even[0], es, &odd[0], os, rows, n)
}

// dot returns the dot product of x and y (len(x) == len(y)).
func dot(kind kernelKind, x, y []float32) float32 {
	if kind == kindGo || len(x) == 0 {
		return dotGo(x, y)
	}
	_ = y[len(x)-1]
	return dotAVX2(&x[0], &y[0], len(x))
}

// dot3 returns the dot products of x with y0, y1 and y2 (each of len(x)
// values), each the value dot gives for it.
func dot3(kind kernelKind, x, y0, y1, y2 []float32) (s [3]float32) {
	if kind == kindGo || len(x) == 0 {
		return [3]float32{dotGo(x, y0), dotGo(x, y1), dotGo(x, y2)}
	}
	n := len(x)
	_, _, _ = y0[n-1], y1[n-1], y2[n-1]
	dot3AVX2(&x[0], &y0[0], &y1[0], &y2[0], n, &s[0])
	return s
}

// axpy adds a*x to dst (len(x) == len(dst)).
func axpy(kind kernelKind, dst, x []float32, a float32) {
	if kind == kindGo || len(dst) == 0 {
		axpyGo(dst, x, a)
		return
	}
	_ = x[len(dst)-1]
	axpyAVX2(&dst[0], &x[0], a, len(dst))
}

//go:noescape
func gatherPanel8AVX512(panel, x *float32, rowOff *int, kc int, idx *int32)

//go:noescape
func copyPanel8AVX512(panel, x *float32, rowOff *int, kc int)

//go:noescape
func transposeRowAVX512(dst, ct *float32, idx *int32, step, n int, bias, lo, hi float32)

// gatherPanel8 is gatherPanel for 8 rows (see gatherPanel8Go), in assembly
// for the AVX-512 kind. Every rowOff[p] must be at most maxOff.
func gatherPanel8(kind kernelKind, panel, x []float32, rowOff []int, maxOff int, pixOff []int) {
	q := pixOff[:8]
	if kind != kindAVX512 || len(rowOff) == 0 {
		gatherPanel8Go(panel, x, rowOff, pixOff)
		return
	}
	_, _ = panel[len(rowOff)*8-1], x[maxOff+q[7]]
	if q[7]-q[0] == 7 {
		copyPanel8AVX512(&panel[0], &x[q[0]], &rowOff[0], len(rowOff))
		return
	}
	var idx [8]int32
	for r, o := range q {
		idx[r] = int32(o - q[0])
	}
	gatherPanel8AVX512(&panel[0], &x[q[0]], &rowOff[0], len(rowOff), &idx[0])
}

// transposeRows writes channels m0..m1 of dst (see transposeRowsGo), in
// assembly for the AVX-512 kind.
func transposeRows(kind kernelKind, dst []float32, lds int, ct []float32, ldc, npix, m0, m1 int, bias []float32, lo, hi float32) {
	if kind != kindAVX512 || npix == 0 || 16*ldc > 1<<31-1 {
		transposeRowsGo(dst, lds, ct, ldc, npix, m0, m1, bias, lo, hi)
		return
	}
	var idx [16]int32
	for j := range idx {
		idx[j] = int32(j * ldc)
	}
	// The gathers read rows below npix only (the last block is masked).
	_ = ct[(npix-1)*ldc+m1-1]
	_ = dst[(m1-1)*lds+npix-1]
	// Blocks of 16 channels and 16 pixels transposed in registers, a
	// partial block of pixels with its last row repeated and its stores
	// masked; the remaining channels gathered.
	full, tail := npix/16, npix%16
	offs, tailOffs := blockRows(ldc, tail)
	var zeros [16]float32
	m := m0
	for ; m+16 <= m1; m += 16 {
		b := zeros[:]
		if bias != nil {
			b = bias[m : m+16]
		}
		if full > 0 {
			transposeBlocksAVX512(&dst[m*lds], &ct[m], &offs[0], 64*ldc, 4*lds, &b[0], full, 0xffff, lo, hi)
		}
		if tail > 0 {
			transposeBlocksAVX512(&dst[m*lds+16*full], &ct[16*full*ldc+m], &tailOffs[0], 0, 4*lds, &b[0], 1, 1<<tail-1, lo, hi)
		}
	}
	for ; m < m1; m++ {
		var b float32
		if bias != nil {
			b = bias[m]
		}
		transposeRowAVX512(&dst[m*lds], &ct[m], &idx[0], 16*ldc*4, npix, b, lo, hi)
	}
}

// blockRows is the byte offsets of the 16 rows of a block that the
// AVX-512 block transposes read, ld values apart, and those of a partial
// last block of tail rows, its last row repeated.
func blockRows(ld, tail int) (offs, tailOffs [16]int) {
	for i := range offs {
		offs[i] = 4 * i * ld
		tailOffs[i] = 4 * min(i, tail-1) * ld
	}
	return offs, tailOffs
}

// transpose is Transpose on kernel kind: blocks of 16 columns and 16
// rows transposed in registers on AVX-512 (a partial block of rows with
// its last row repeated and its stores masked), the remaining columns
// by transposeGo.
func transpose(kind kernelKind, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	c := 0
	if kind == kindAVX512 && cols >= 16 {
		_, _ = src[(rows-1)*lds+cols-1], dst[(cols-1)*ldd+rows-1]
		full, tail := rows/16, rows%16
		offs, tailOffs := blockRows(lds, tail)
		for ; c+16 <= cols; c += 16 {
			if full > 0 {
				transposeBlocksPlainAVX512(&dst[c*ldd], &src[c], &offs[0], 64*lds, 4*ldd, full, 0xffff)
			}
			if tail > 0 {
				transposeBlocksPlainAVX512(&dst[c*ldd+16*full], &src[16*full*lds+c], &tailOffs[0], 0, 4*ldd, 1, 1<<tail-1)
			}
		}
		if c == cols {
			return
		}
	}
	transposeGo(dst[c*ldd:], ldd, src[c:], lds, rows, cols-c)
}

// bPanelLast is the offset of the last value a micro-kernel call reads of
// a B panel of kc rows: packed (32 a row), strided (ldb a row), or indirect
// (offs, checked here; b is then read at the offsets).
func bPanelLast(kc, ldb int, offs []int) int {
	switch {
	case offs != nil:
		_ = offs[kc-1]
		return 0
	case ldb > 0:
		return (kc-1)*ldb + 31
	}
	return kc*32 - 1
}
