package kernels

// A 1x1 convolution of a 1x1 image (the squeeze-and-excitation blocks of
// EfficientNet and MobileNetV3, classifiers written as convolutions) is a
// matrix-vector product, for which GEMM tiles would be almost all padding.
// It runs as dot products over the weight rows when the rows are long
// (M < C, or at least vectorRowMin values), else as axpys over the weight
// columns, so that the vector loops are long either way.

// vectorWork is the work of a multiply-add of a matrix-vector product in
// the units of workersFor: each weight is read once, from memory (MobileNetV2's
// classifier, 1.3 M multiply-adds, took 214 us on one Zen 5 core).
const vectorWork = 16

// vectorRowMin is the row length from which a matrix-vector product runs
// as dot products even with more rows than columns (the MobileNetV1s'
// classifiers, 1001 x 256 to 768). Split over the cores, the dot products
// give each worker whole rows, one stretch of memory; the axpys gave each
// a piece of every column of the transposed weights (500 bytes every 4
// KB), which on two cores took 1.5-2x as long as all of them on one
// (Zen 5, BENCHMARKS.md).
const vectorRowMin = 256

// setupVector keeps the weights (M x C) for runVector, transposed (C x M)
// when it will use axpys.
func (c *Conv) setupVector(weights []float32) {
	m, k := c.p.M, c.p.C
	c.vecByRow = m < k || k >= vectorRowMin
	c.vec = make([]float32, m*k)
	if c.vecByRow {
		copy(c.vec, weights[:m*k])
		return
	}
	for i := 0; i < m; i++ {
		for j := 0; j < k; j++ {
			c.vec[j*m+i] = weights[i*k+j]
		}
	}
}

func (c *Conv) runVector(dst, src []float32) {
	m, k := c.p.M, c.p.C
	out, x := dst[:m], src[:k]
	if c.bias != nil {
		copy(out, c.bias)
	} else {
		clear(out)
	}
	// The weights stream from memory (a classifier's 1280x1001 take 5 MB):
	// both cores fetch more of them at once than one does.
	w := workersFor(vectorWork * m * k)
	parallelFor(m, w, func(i0, i1 int) {
		o := out[i0:i1]
		if c.vecByRow {
			for i := range o {
				o[i] += dot(c.mk.kind, c.vec[(i0+i)*k:(i0+i+1)*k], x)
			}
			return
		}
		for j, v := range x {
			axpy(c.mk.kind, o, c.vec[j*m+i0:j*m+i1], v)
		}
	})
	c.vectorActivation(out)
}

// vectorActivation applies the fused activation to a matrix-vector
// product's output.
func (c *Conv) vectorActivation(out []float32) {
	if c.clamp {
		for i, v := range out {
			out[i] = clamp(v, c.lo, c.hi)
		}
	}
	if c.silu {
		SiLU(out, out)
	}
}

// runVectorBatch is RunBatch on the matrix-vector path by rows (a
// classifier's weights, 5 MB for MobileNetV2's): each weight row's dot
// products with three images at a time (dot3), each the value dot gives
// it alone, so that the weights stream once for three images, and the
// three images' accumulator chains overlap (one dot product waits on the
// latency of its four).
func (c *Conv) runVectorBatch(dst, src []float32, n int) {
	m, k := c.p.M, c.p.C
	for q := range n {
		if out := dst[q*m : (q+1)*m]; c.bias != nil {
			copy(out, c.bias)
		} else {
			clear(out)
		}
	}
	parallelFor(m, workersFor(vectorWork*m*k*n), func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			row := c.vec[i*k : (i+1)*k]
			q := 0
			for ; q+3 <= n; q += 3 {
				s := dot3(c.mk.kind, row, src[q*k:(q+1)*k], src[(q+1)*k:(q+2)*k], src[(q+2)*k:(q+3)*k])
				dst[q*m+i] += s[0]
				dst[(q+1)*m+i] += s[1]
				dst[(q+2)*m+i] += s[2]
			}
			for ; q < n; q++ {
				dst[q*m+i] += dot(c.mk.kind, row, src[q*k:(q+1)*k])
			}
		}
	})
	for q := range n {
		c.vectorActivation(dst[q*m : (q+1)*m])
	}
}
