package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// refMatMul multiplies two matrices stored row-major.
func refMatMul(a []float32, b []float32, m, k, n int) []float32 {
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			out[i*n+j] = float32(s)
		}
	}
	return out
}

func transpose2(t *tensor.Tensor) *tensor.Tensor {
	r, c := t.Shape[0], t.Shape[1]
	out := tensor.New(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.F[j*r+i] = t.F[i*c+j]
		}
	}
	return out
}

func TestGemmHand(t *testing.T) {
	a := f32(dims(2, 3), 1, 2, 3, 4, 5, 6)
	b := f32(dims(3, 2), 1, 0, 0, 1, 1, 1)
	// A*B = [[4 5] [10 11]]
	expect(t, call{op: "Gemm"}.run(t, a, b)[0], f32(dims(2, 2), 4, 5, 10, 11), 0)
	c := f32(dims(2), 100, 200)
	got := call{op: "Gemm", attrs: Attrs{"alpha": float32(2), "beta": float32(0.5)}}.run(t, a, b, c)[0]
	expect(t, got, f32(dims(2, 2), 58, 110, 70, 122), 0)
	got = call{op: "Gemm", attrs: Attrs{"transA": int64(1), "transB": int64(1)}}.run(t, transpose2(a), transpose2(b), f32(dims(2, 1), 1, 2))[0]
	expect(t, got, f32(dims(2, 2), 5, 6, 12, 13), 0)
	got = call{op: "Gemm"}.run(t, a, b, f32(nil, 1))[0]
	expect(t, got, f32(dims(2, 2), 5, 6, 11, 12), 0)
	call{op: "Gemm"}.errorContains(t, "do not multiply", a, a)
	call{op: "Gemm"}.errorContains(t, "does not broadcast", a, b, tensor.New(3))
}

func TestGemmRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a, b := randT(r, 5, 7), randT(r, 7, 3)
			c := randT(r, 5, 3)
			want := refMatMul(a.F, b.F, 5, 7, 3)
			for i := range want {
				want[i] = 0.5*want[i] + 2*c.F[i]
			}
			aa, bb := a, b
			if ta {
				aa = transpose2(a)
			}
			if tb {
				bb = transpose2(b)
			}
			attrs := Attrs{"alpha": float32(0.5), "beta": float32(2), "transA": b2i(ta), "transB": b2i(tb)}
			expect(t, call{op: "Gemm", attrs: attrs}.run(t, aa, bb, c)[0], f32(dims(5, 3), want...), 1e-5)
		}
	}
}

// TestGemmLinear: a bias of one value per column (rank 1, or [1,N]) with
// alpha = beta = 1, the form of a linear layer, which Gemm adds as the
// product finishes (kernels.GemmBias), against the product written out.
func TestGemmLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tb := range []bool{false, true} {
		for _, biasShape := range [][]int{{3}, {1, 3}} {
			a, b, c := randT(r, 5, 7), randT(r, 7, 3), randT(r, biasShape...)
			want := refMatMul(a.F, b.F, 5, 7, 3)
			for i := range want {
				want[i] += c.F[i%3]
			}
			bb := b
			if tb {
				bb = transpose2(b)
			}
			expect(t, call{op: "Gemm", attrs: Attrs{"transB": b2i(tb)}}.run(t, a, bb, c)[0], f32(dims(5, 3), want...), 1e-5)
		}
	}
}

// TestGemmConstantTransB: a Gemm whose B is a constant stored transposed
// (transB = 1, a linear layer's weights) multiplies products of more than
// a matrix-vector product's rows by a copy of B transposed once; the
// result is the product written out, and bit for bit the one of the same
// Gemm whose B is not known at load (packed at every run). A B other than
// the constant, at run time, is the one multiplied.
func TestGemmConstantTransB(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const k, n = 37, 23
	b := randT(r, k, n)
	w := transpose2(b)
	for _, m := range []int{1, 2, 3, 40} {
		a := randT(r, m, k)
		for _, c := range []struct {
			attrs Attrs
			bias  *tensor.Tensor
		}{
			{Attrs{"transB": int64(1)}, randT(r, n)},
			{Attrs{"transB": int64(1), "alpha": float32(0.5), "beta": float32(2)}, randT(r, m, n)},
		} {
			alpha, beta := float32(1), float32(1)
			if v, ok := c.attrs["alpha"]; ok {
				alpha, beta = v.(float32), c.attrs["beta"].(float32)
			}
			want := refMatMul(a.F, b.F, m, k, n)
			for i := range want {
				want[i] = alpha*want[i] + beta*c.bias.F[i%c.bias.Len()]
			}
			known := call{op: "Gemm", attrs: c.attrs, consts: []*tensor.Tensor{nil, w, nil}}
			got := known.run(t, a, w, c.bias)[0]
			expect(t, got, f32(dims(m, n), want...), 1e-5)
			expect(t, got, call{op: "Gemm", attrs: c.attrs}.run(t, a, w, c.bias)[0], 0)
			other := randT(r, n, k)
			want = refMatMul(a.F, transpose2(other).F, m, k, n)
			for i := range want {
				want[i] = alpha*want[i] + beta*c.bias.F[i%c.bias.Len()]
			}
			expect(t, known.run(t, a, other, c.bias)[0], f32(dims(m, n), want...), 1e-5)
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	a := f32(dims(2, 2), 1, 2, 3, 4)
	expect(t, call{op: "MatMul"}.run(t, a, f32(dims(2), 1, 1))[0], f32(dims(2), 3, 7), 0)
	expect(t, call{op: "MatMul"}.run(t, f32(dims(2), 1, 1), a)[0], f32(dims(2), 4, 6), 0)
	expect(t, call{op: "MatMul"}.run(t, f32(dims(2), 1, 2), f32(dims(2), 3, 4))[0], f32(nil, 11), 0)
	// Batched with broadcasting: [2,1,3,4] x [3,4,5] -> [2,3,3,5].
	x, y := randT(r, 2, 1, 3, 4), randT(r, 3, 4, 5)
	got := call{op: "MatMul"}.run(t, x, y)[0]
	want := tensor.New(2, 3, 3, 5)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			copy(want.F[(i*3+j)*15:], refMatMul(x.F[i*12:(i+1)*12], y.F[j*20:(j+1)*20], 3, 4, 5))
		}
	}
	expect(t, got, want, 1e-5)
	// Many small broadcast products, enough to be run side by side on the
	// cores (odd sizes: the kernels' edge tiles): [4,1,17,33] x [3,33,9].
	x, y = randT(r, 4, 1, 17, 33), randT(r, 3, 33, 9)
	want = tensor.New(4, 3, 17, 9)
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			copy(want.F[(i*3+j)*17*9:], refMatMul(x.F[i*17*33:(i+1)*17*33], y.F[j*33*9:(j+1)*33*9], 17, 33, 9))
		}
	}
	expect(t, call{op: "MatMul"}.run(t, x, y)[0], want, 1e-5)
	// Batched A against a matrix B.
	x, y = randT(r, 2, 3, 4), randT(r, 4, 5)
	want = tensor.FromFloat32(dims(2, 3, 5), refMatMul(x.F, y.F, 6, 4, 5))
	expect(t, call{op: "MatMul"}.run(t, x, y)[0], want, 1e-5)
	// 1-D against batched B: [4] x [2,4,5] -> [2,5].
	v := randT(r, 4)
	y = randT(r, 2, 4, 5)
	want = tensor.New(2, 5)
	copy(want.F, refMatMul(v.F, y.F[:20], 1, 4, 5))
	copy(want.F[5:], refMatMul(v.F, y.F[20:], 1, 4, 5))
	expect(t, call{op: "MatMul"}.run(t, v, y)[0], want, 1e-5)
	expect(t, call{op: "MatMul"}.run(t, i64(dims(1, 2), 1, 2), i64(dims(2, 1), 3, 4))[0], i64(dims(1, 1), 11), 0)
	call{op: "MatMul"}.errorContains(t, "do not multiply", tensor.New(2, 3), tensor.New(2, 3))
	call{op: "MatMul"}.errorContains(t, "do not broadcast", tensor.New(2, 2, 3), tensor.New(3, 3, 3))
}

// TestMatMulFused checks the MatMul the loader fuses a bias Add and a Gelu
// into against the product, bias and GELU computed in float64, with row
// and column counts off the kernels' tiles and a product large enough for
// every core.
func TestMatMulFused(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][3]int{{1, 3, 4}, {7, 5, 9}, {197, 64, 150}} {
		m, k, n := sz[0], sz[1], sz[2]
		x, w, b := randT(r, 1, m, k), randT(r, k, n), randT(r, n)
		prod := refMatMul(x.F, w.F, m, k, n)
		for _, c := range []struct {
			attrs      Attrs
			bias, gelu bool
		}{
			{Attrs{FusedBias: int64(1)}, true, false},
			{Attrs{FusedBias: int64(1), FusedActivation: "Gelu"}, true, true},
			{Attrs{FusedActivation: "Gelu"}, false, true},
		} {
			want := tensor.New(1, m, n)
			for i := range want.F {
				v := float64(prod[i])
				if c.bias {
					v += float64(b.F[i%n])
				}
				if c.gelu {
					v = v * (1 + math.Erf(v/math.Sqrt2)) / 2
				}
				want.F[i] = float32(v)
			}
			in := []*tensor.Tensor{x, w}
			if c.bias {
				in = append(in, b)
			}
			expect(t, call{op: "MatMul", attrs: c.attrs}.run(t, in...)[0], want, 1e-5)
		}
	}
	call{op: "MatMul", attrs: Attrs{FusedBias: int64(1)}}.errorContains(t, "columns", tensor.New(2, 3), tensor.New(3, 4), tensor.New(3))
	call{op: "MatMul", attrs: Attrs{FusedBias: int64(1)}}.errorContains(t, "fused product", tensor.New(2, 3), tensor.New(2, 3, 4), tensor.New(4))
	call{op: "MatMul", attrs: Attrs{FusedActivation: "Relu"}}.errorContains(t, "cannot fuse", tensor.New(2, 3), tensor.New(3, 4))
}

func TestMatMulLarge(t *testing.T) {
	// Big enough that a size check counting a dimension twice would refuse it.
	a, b := tensor.New(2, 3000, 1), tensor.New(1, 3000)
	got := call{op: "MatMul"}.run(t, a, b)[0]
	if !tensor.EqualShape(got.Shape, dims(2, 3000, 3000)) {
		t.Fatalf("shape %v", got.Shape)
	}
}
