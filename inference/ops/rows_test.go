package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// randTensor is a tensor of the given shape with values uniform in
// [off-1, off+1).
func randTensor(r *rand.Rand, off float32, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.F {
		x.F[i] = off + 2*r.Float32() - 1
	}
	return x
}

// TestSoftmaxRowsMatchFloat64: the row loop (rows split over the cores, the
// vector kernels) against the float64 definition, on rows of lengths that
// leave every tail of the 8- and 16-wide kernels, with enough rows to run in
// parallel, and with Inf and NaN rows (NaN first, last, throughout).
func TestSoftmaxRowsMatchFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 16, 17, 33, 197} {
		x := randTensor(r, 0, 300, n)
		for i := range x.F {
			x.F[i] *= 8
		}
		x.F[n] = float32(math.Inf(1))    // row 1
		x.F[2*n] = float32(math.NaN())   // row 2
		x.F[4*n-1] = float32(math.NaN()) // row 3, at its end
		for i := 4 * n; i < 5*n; i++ {
			x.F[i] = float32(math.NaN()) // row 4, all NaN
		}
		want := tensor.New(300, n)
		for o := 0; o < 300; o++ {
			row := x.F[o*n : (o+1)*n]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range row {
				s += math.Exp(float64(v) - m)
			}
			for k, v := range row {
				want.F[o*n+k] = float32(math.Exp(float64(v)-m) / s)
			}
		}
		expect(t, call{op: "Softmax"}.run(t, x)[0], want, 1e-6)
	}
}

// TestLayerNormRowsMatchFloat64: LayerNormalization's row loop against the
// float64 definition, on rows of odd lengths and off-centre values, with and
// without bias, enough rows to run in parallel; the mean and inverse
// standard deviation outputs too.
func TestLayerNormRowsMatchFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 5, 192, 385} {
		x := randTensor(r, 3, 200, n)
		scale, bias := randTensor(r, 1, n), randTensor(r, 0, n)
		for _, withBias := range []bool{false, true} {
			want, wantMean, wantInv := tensor.New(200, n), tensor.New(200, 1), tensor.New(200, 1)
			for o := 0; o < 200; o++ {
				row := x.F[o*n : (o+1)*n]
				var m, v float64
				for _, x := range row {
					m += float64(x)
				}
				m /= float64(n)
				for _, x := range row {
					v += (float64(x) - m) * (float64(x) - m)
				}
				inv := 1 / math.Sqrt(v/float64(n)+1e-5)
				wantMean.F[o], wantInv.F[o] = float32(m), float32(inv)
				for k, x := range row {
					y := (float64(x) - m) * inv * float64(scale.F[k])
					if withBias {
						y += float64(bias.F[k])
					}
					want.F[o*n+k] = float32(y)
				}
			}
			in := []*tensor.Tensor{x, scale}
			if withBias {
				in = append(in, bias)
			}
			outs := call{op: "LayerNormalization", nout: 3}.run(t, in...)
			tol := 2e-5
			if n == 1 {
				tol = 1e-3 // var 0: 1/sqrt(eps) amplifies the rounding of x - mean
			}
			expect(t, outs[0], want, tol)
			expect(t, outs[1], wantMean, 1e-6)
			expect(t, outs[2], wantInv, tol)
		}
	}
}
