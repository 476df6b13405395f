package kernels

import (
	"math"
	"testing"
)

// TestConvDirect checks the direct 3x3 stride-2 path (convdirect.go)
// against the slow definition (convReference), both the assembly and the
// portable convDirectBlocksGo: one to four input channels, one to three
// blocks of 16 output channels, TensorFlow's "SAME" padding (bottom and
// right only), symmetric and no padding, odd sizes, rows of several chunks,
// images smaller than a chunk, SiLU, with and without a bias.
func TestConvDirect(t *testing.T) {
	ks := availableKernels()
	if ks[len(ks)-1].kind != kindAVX512 {
		t.Skip("the direct path is AVX-512 only")
	}
	saved := active
	defer func() { active = saved }()
	active = ks[len(ks)-1]
	relu6 := Activation{Kind: ActClip, Min: 0, Max: 6}
	cp := func(c, h, w, m int, pt, pl, pb, pr int, act Activation) ConvParams {
		return ConvParams{C: c, H: h, W: w, M: m, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1,
			PadT: pt, PadL: pl, PadB: pb, PadR: pr, Group: 1, Act: act}
	}
	cases := map[string]ConvParams{
		"mobilenet first layer": cp(3, 224, 224, 32, 0, 0, 1, 1, relu6),
		"symmetric pads odd":    cp(3, 15, 13, 16, 1, 1, 1, 1, Activation{}),
		"no padding":            cp(1, 11, 40, 16, 0, 0, 0, 0, Activation{Kind: ActRelu}),
		"four channels wide":    cp(4, 9, 71, 48, 1, 1, 1, 1, relu6),
		"two channels tiny":     cp(2, 3, 3, 16, 1, 1, 1, 1, Activation{}),
		"one row":               cp(3, 1, 35, 32, 0, 0, 1, 1, Activation{}),
		"silu":                  cp(3, 17, 19, 32, 1, 1, 1, 1, Activation{Kind: ActSiLU}),
		"pads top left only":    cp(3, 10, 12, 16, 1, 1, 0, 0, relu6),
	}
	for name, p := range cases {
		for _, withBias := range []bool{true, false} {
			src, w, bias := convInputs(p, withBias, 11)
			oh, ow := p.OutSize()
			want := make([]float32, p.M*oh*ow)
			convReference(want, src, w, bias, p)
			mag := make([]float32, len(want))
			pa := p
			pa.Act = Activation{}
			var absBias []float32
			if bias != nil {
				absBias = absSlice(bias)
			}
			convReference(mag, absSlice(src), absSlice(w), absBias, pa)
			for _, portable := range []bool{false, true} {
				conv := NewConv(p, w, bias)
				if conv.cd == nil {
					t.Fatalf("%s: the direct path is not taken", name)
				}
				if portable {
					conv.mk = goKernel
				}
				got := make([]float32, len(want)+5)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				conv.Run(got, src)
				for i := len(want); i < len(got); i++ {
					if !math.IsNaN(float64(got[i])) {
						t.Errorf("%s portable=%v: wrote past the output at %d", name, portable, i)
						break
					}
				}
				if err := closeTo(got[:len(want)], want, mag, p.C*9); err != nil {
					t.Errorf("%s portable=%v bias=%v: %v", name, portable, withBias, err)
				}
			}
		}
	}
	for _, p := range []ConvParams{
		cp(5, 9, 9, 16, 1, 1, 1, 1, Activation{}), // 5 input channels
		cp(3, 9, 9, 24, 1, 1, 1, 1, Activation{}), // 24 output channels
		layer(3, 9, 16, 3, 1, 1, 1),               // stride 1
	} {
		if convDirectApplies(p, kindAVX512) {
			t.Errorf("%+v takes the direct path", p)
		}
	}
}
