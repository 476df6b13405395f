package trainer

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"camscope/inference/kernels"
)

// engineBLAS is gonum's BLAS with its single-precision matrix product
// replaced by the engine's (AVX-512/AVX2, blocked, on every core): the
// products of gorgonia's convolutions and their gradients are most of a
// training step, and gonum's Sgemm runs them several times slower.
type engineBLAS struct{ gonum.Implementation }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, as
// gonum's does.
func (engineBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kernels.Gemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() { G.Use(engineBLAS{}) }
