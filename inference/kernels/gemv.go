package kernels

// gemv computes Gemm for a few rows of C (a batch-1 fully connected
// layer, say) row by row, with dot products (transposed B) or axpys (plain
// B): there packing B would cost as much as the product itself. It runs on up
// to w goroutines. Scaling C by
// a beta other than 0 and 1 is left to the caller.
func gemv(w int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kind := active.kind
	abuf := getScratch(k)
	arow := *abuf
	for i := 0; i < m; i++ {
		for p := range arow {
			if transA {
				arow[p] = alpha * a[p*lda+i]
			} else {
				arow[p] = alpha * a[i*lda+p]
			}
		}
		crow := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(crow)
		}
		if transB {
			parallelFor(n, w, func(j0, j1 int) {
				for j := j0; j < j1; j++ {
					crow[j] += dot(kind, arow, b[j*ldb:j*ldb+k])
				}
			})
			continue
		}
		parallelFor(n, w, func(j0, j1 int) {
			for p, v := range arow {
				axpy(kind, crow[j0:j1], b[p*ldb+j0:p*ldb+j1], v)
			}
		})
	}
	putScratch(abuf)
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpyGo(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += a * v
	}
}
