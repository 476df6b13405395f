//go:build amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestWgInput16: the input transform of 16x16 images by permutes
// (wgInput16AVX512) gives the bits of the gathers' (wgInputAVX512) for the
// same tiles, for every channel, and writes nothing else of V.
func TestWgInput16(t *testing.T) {
	if !hasAVX512 {
		t.Skip("the CPU has no AVX-512")
	}
	r := rand.New(rand.NewPCG(16, 17))
	const plane = 18 * 18
	for _, nch := range []int{1, 3, 48} {
		x := randSlice(r, 2*nch*plane) // two images' padded planes
		for img := range 2 {
			var gather [6 * 16]int32
			for l := range 16 {
				for i := range 6 {
					gather[i*16+l] = int32(img*nch*plane + (4*(l/4)+i)*18 + 4*(l%4))
				}
			}
			// V of 16 columns a channel row, positions vs apart, with a
			// channel row's room on either side of the channels written.
			vrow := 16
			vs := (nch+2)*vrow + 16
			want, got := make([]float32, wgPos*vs), make([]float32, wgPos*vs)
			for i := range want {
				want[i], got[i] = -7, -7
			}
			var tmp [wgPos * 16]float32
			wgInputAVX512(&want[vrow], vs, vrow, &x[0], plane, &gather[0], nch, &tmp[0])
			wgInput16AVX512(&got[vrow], vs, vrow, &x[img*nch*plane], plane, &wgPerm16[0], nch, &tmp[0])
			for i, v := range want {
				if !sameBits(v, got[i]) {
					t.Fatalf("%d channels, image %d: V value %d (position %d, row %d, lane %d) is %v, want %v", nch, img, i, i/vs, i%vs/vrow, i%vrow, got[i], v)
				}
			}
		}
	}
}
