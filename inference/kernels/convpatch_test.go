package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConvPatches: a vision transformer's patch embedding takes the
// patches path on the kernels that read A in place (convCases' patch
// layers check its values against the reference convolution), and a band
// of its rows computes, on the same path, the whole input's outputs bit
// for bit; a band padded, which the path does not compute, is refused.
func TestConvPatches(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		vit := ConvParams{C: 3, H: 224, W: 224, M: 192, KH: 16, KW: 16, StrideH: 16, StrideW: 16, DilH: 1, DilW: 1, Group: 1}
		if got := NewConv(vit, make([]float32, 192*3*256), nil).patch != nil; got != active.aIn {
			t.Errorf("ViT's 16x16 patch embedding on the patches path: %v, want %v", got, active.aIn)
		}
		if !active.aIn {
			return
		}
		// One output channel padded to a tile of columns would take the
		// weights 48 times over.
		narrow := vit
		narrow.M = active.nr - 1
		if NewConv(narrow, make([]float32, narrow.M*3*256), nil).patch != nil {
			t.Errorf("a patch embedding of %d output channels is on the patches path", narrow.M)
		}
		p := ConvParams{C: 3, H: 80, W: 72, M: 40, KH: 16, KW: 8, StrideH: 16, StrideW: 8, DilH: 1, DilW: 1, Group: 1, Act: Activation{Kind: ActClip, Min: -0.3, Max: 0.4}}
		src, w, bias := convInputs(p, true, 5)
		whole := NewConv(p, w, bias)
		oh, ow := p.OutSize()
		want := make([]float32, p.M*oh*ow)
		whole.Run(want, src)
		// Output rows 1..4: input rows 16..64.
		band := p
		band.H = 48
		bc := NewBandConv(band, w, bias, whole)
		if bc == nil || bc.patch == nil {
			t.Fatal("a band of a convolution of patches is not on the patches path")
		}
		in := make([]float32, p.C*band.H*p.W)
		for c := range p.C {
			copy(in[c*band.H*p.W:(c+1)*band.H*p.W], src[c*p.H*p.W+16*p.W:])
		}
		got, past := fenced(p.M * 3 * ow)
		bc.Run(got, in)
		if err := past(); err != nil {
			t.Fatal(err)
		}
		for m := range p.M {
			for i := range 3 * ow {
				if g, x := got[m*3*ow+i], want[m*oh*ow+ow+i]; !sameBits(g, x) {
					t.Fatalf("band: channel %d pixel %d: %v, the whole input's %v", m, ow+i, g, x)
				}
			}
		}
		band.PadT = 1
		if NewBandConv(band, w, bias, whole) != nil {
			t.Error("a padded band of a convolution of patches was prepared")
		}
	})
}

// TestGatherPatches checks the patches' rows against their definition,
// with the last pixel repeated past the image.
func TestGatherPatches(t *testing.T) {
	for _, kw := range []int{8, 12, 16} {
		p := ConvParams{C: 2, H: 2*kw + 3, W: 3*kw + 1, M: 4, KH: kw, KW: kw, StrideH: kw, StrideW: kw, DilH: 1, DilW: 1, Group: 1}
		c := newConv(p, make([]float32, p.M*p.C*kw*kw), nil, layoutPatches)
		src := randSlice(rand.New(rand.NewPCG(1, uint64(kw))), p.C*p.H*p.W)
		rows := c.patch.rows
		a := make([]float32, rows*c.kg)
		c.gatherPatches(a, src, 0, rows)
		for r := range rows {
			q := min(r, c.oh*c.ow-1)
			oy, ox := q/c.ow, q%c.ow
			for k := range c.kg {
				ci, ky, kx := k/(kw*kw), k/kw%kw, k%kw
				if x := src[ci*p.H*p.W+(oy*kw+ky)*p.W+ox*kw+kx]; a[r*c.kg+k] != x {
					t.Fatal(fmt.Sprintf("%dx%d: row %d k %d: %v, want %v", kw, kw, r, k, a[r*c.kg+k], x))
				}
			}
		}
	}
}
