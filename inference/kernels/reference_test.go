package kernels

import "math"

// The slow, obviously correct kernels the tests compare the fast ones
// against.

// gemmReference is the triple loop, the reference for Gemm.
func gemmReference(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// convReference is the direct seven-loop convolution, the reference for the
// fast paths.
func convReference(dst, src, w, bias []float32, p ConvParams) {
	oh, ow := p.OutSize()
	cg, mg := p.C/p.Group, p.M/p.Group
	for m := 0; m < p.M; m++ {
		g := m / mg
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s float32
				if bias != nil {
					s = bias[m]
				}
				for c := 0; c < cg; c++ {
					ic := g*cg + c
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadT + ky*p.DilH
						if iy < 0 || iy >= p.H {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadL + kx*p.DilW
							if ix < 0 || ix >= p.W {
								continue
							}
							s += src[(ic*p.H+iy)*p.W+ix] * w[((m*cg+c)*p.KH+ky)*p.KW+kx]
						}
					}
				}
				dst[(m*oh+oy)*ow+ox] = p.Act.apply(s)
			}
		}
	}
}

// apply returns the activation of v.
func (a Activation) apply(v float32) float32 {
	switch a.Kind {
	case ActRelu:
		if v < 0 {
			return 0
		}
	case ActClip:
		if v < a.Min {
			return a.Min
		}
		if v > a.Max {
			return a.Max
		}
	case ActSiLU:
		return float32(float64(v) / (1 + math.Exp(-float64(v))))
	}
	return v
}
