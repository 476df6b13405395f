package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTranspose checks Transpose against its definition on every kernel,
// bit for bit (NaNs with payloads and negative zeros among the values):
// whole blocks of 16 rows and columns, a partial last block of rows,
// remaining columns, rows further apart than their values; what lies
// between and past dst's rows stays untouched.
func TestTranspose(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		for _, tc := range []struct{ rows, cols, lds, ldd int }{
			{1, 1, 1, 1}, {16, 16, 16, 16}, {197, 64, 192, 197}, {192, 196, 196, 192},
			{17, 33, 40, 20}, {5, 20, 21, 7}, {40, 15, 15, 40}, {31, 48, 50, 31},
		} {
			src := randSlice(r, tc.rows*tc.lds)
			src[0] = math.Float32frombits(0x7fc00123)
			src[len(src)-1] = float32(math.Copysign(0, -1))
			n := (tc.cols-1)*tc.ldd + tc.rows
			got := make([]float32, n+5)
			for i := range got {
				got[i] = math.Float32frombits(0x7fc0dead)
			}
			want := append([]float32(nil), got...)
			for c := range tc.cols {
				for i := range tc.rows {
					want[c*tc.ldd+i] = src[i*tc.lds+c]
				}
			}
			Transpose(got, tc.ldd, src, tc.lds, tc.rows, tc.cols)
			name := fmt.Sprintf("%dx%d (%d, %d apart)", tc.rows, tc.cols, tc.lds, tc.ldd)
			for i := range want {
				if !sameBits(got[i], want[i]) {
					t.Errorf("%s: at %d (row %d, column %d) %08x, want %08x", name, i, i/tc.ldd, i%tc.ldd, math.Float32bits(got[i]), math.Float32bits(want[i]))
					break
				}
			}
		}
	})
}
