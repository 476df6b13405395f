package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTransposeRows checks the transposition of the pixel-major GEMM's
// result into channel-major rows, with bias and clamp, against its slow
// definition (transposeRowsGo, the same operations: equal bits), on every
// kernel: whole blocks of 16 channels and 16 pixels, remaining pixels and
// channels, ranges of channels that start inside a block, no bias.
func TestTransposeRows(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 4))
		for _, tc := range []struct{ npix, m0, m1, ldc int }{
			{1, 0, 16, 48}, {15, 0, 17, 48}, {16, 0, 16, 32}, {17, 3, 45, 48},
			{49, 0, 160, 176}, {196, 0, 384, 400}, {196, 16, 32, 400}, {200, 5, 9, 16}, {33, 0, 70, 96},
		} {
			for _, withBias := range []bool{true, false} {
				ct := randSlice(r, tc.npix*tc.ldc)
				var bias []float32
				if withBias {
					bias = randSlice(r, tc.m1)
				}
				want := make([]float32, tc.m1*tc.npix)
				got := make([]float32, tc.m1*tc.npix+3)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				for i := range want {
					want[i] = float32(math.NaN())
				}
				transposeRowsGo(want, ct, tc.ldc, tc.npix, tc.m0, tc.m1, bias, -0.5, 0.6)
				transposeRows(active.kind, got, ct, tc.ldc, tc.npix, tc.m0, tc.m1, bias, -0.5, 0.6)
				name := fmt.Sprintf("%d pixels, channels %d..%d, bias %v", tc.npix, tc.m0, tc.m1, withBias)
				for i := range want {
					if !sameBits(got[i], want[i]) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
						t.Errorf("%s: at %d (channel %d, pixel %d) %v, want %v", name, i, i/tc.npix, i%tc.npix, got[i], want[i])
						break
					}
				}
				for i := len(want); i < len(got); i++ {
					if !math.IsNaN(float64(got[i])) {
						t.Errorf("%s: wrote past the output at %d", name, i)
						break
					}
				}
			}
		}
	})
}
