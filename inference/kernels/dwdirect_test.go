package kernels

import (
	"fmt"
	"math"
	"testing"
)

// dwDirectCases are depthwise 3x3 and 5x5 convolutions that the direct
// path takes on AVX-512: flat chunks across rows (OW == W) of odd sizes, row
// chunks (valid padding, stride 2), rows longer than a chunk, asymmetric
// pads, tiny planes whose every load is near an edge (and 5x5 kernels
// larger than the image), MobileNetV2's and EfficientNet-B0's shapes.
func dwDirectCases() map[string]ConvParams {
	relu6 := Activation{Kind: ActClip, Min: 0, Max: 6}
	silu := Activation{Kind: ActSiLU}
	dwk := func(k, c, h, w, s, pad int, act Activation) ConvParams {
		return ConvParams{C: c, H: h, W: w, M: c, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
			PadT: pad, PadL: pad, PadB: pad, PadR: pad, Group: c, Act: act}
	}
	dw := func(c, h, w, s, pad int, act Activation) ConvParams { return dwk(3, c, h, w, s, pad, act) }
	dw5 := func(c, h, w, s, pad int, act Activation) ConvParams { return dwk(5, c, h, w, s, pad, act) }
	cases := map[string]ConvParams{
		"s1 7x7":             dw(5, 7, 7, 1, 1, relu6),
		"s1 14x14":           dw(4, 14, 14, 1, 1, relu6),
		"s1 odd 13x11":       dw(3, 13, 11, 1, 1, Activation{}),
		"s1 wide 5x37":       dw(3, 5, 37, 1, 1, Activation{Kind: ActRelu}),
		"s1 valid 9x21":      dw(3, 9, 21, 1, 0, relu6),
		"s1 one row":         dw(2, 1, 19, 1, 1, Activation{}),
		"s1 one column":      dw(2, 17, 1, 1, 1, Activation{}),
		"s1 2x2":             dw(3, 2, 2, 1, 1, Activation{}),
		"s1 silu":            dw(3, 10, 10, 1, 1, Activation{Kind: ActSiLU}),
		"s2 14x14":           dw(4, 14, 14, 2, 1, relu6),
		"s2 odd 15x13":       dw(3, 15, 13, 2, 1, Activation{}),
		"s2 wide 6x71":       dw(3, 6, 71, 2, 1, Activation{Kind: ActRelu}),
		"s2 valid 11x40":     dw(2, 11, 40, 2, 0, relu6),
		"s2 3x3":             dw(3, 3, 3, 2, 1, Activation{}),
		"s2 one row":         dw(2, 1, 35, 2, 1, Activation{}),
		"s2 pairs 16x16":     dw(5, 16, 16, 2, 1, relu6),
		"s2 pairs odd 13x9":  dw(3, 13, 9, 2, 1, Activation{}),
		"s2 pairs 1 wide":    dw(3, 6, 2, 2, 1, Activation{}),
		"s2 pairs 8x17":      dw(3, 8, 17, 2, 1, Activation{Kind: ActRelu}),
		"mobilenet 576@14s2": dw(37, 14, 14, 2, 1, relu6),
		"mobilenet 192@28":   dw(192, 28, 28, 1, 1, relu6),
		"mobilenet 96@112s":  dw(6, 112, 112, 2, 1, relu6),
	}
	for name, p := range map[string]ConvParams{
		"5x5 s1 7x7":            dw5(5, 7, 7, 1, 2, silu),
		"5x5 s1 14x14":          dw5(4, 14, 14, 1, 2, relu6),
		"5x5 s1 odd 13x11":      dw5(3, 13, 11, 1, 2, Activation{}),
		"5x5 s1 wide 5x37":      dw5(3, 5, 37, 1, 2, Activation{Kind: ActRelu}),
		"5x5 s1 valid 9x21":     dw5(3, 9, 21, 1, 0, relu6),
		"5x5 s1 pad 1 10x19":    dw5(3, 10, 19, 1, 1, Activation{}),
		"5x5 s1 one row":        dw5(2, 1, 19, 1, 2, Activation{}),
		"5x5 s1 one column":     dw5(2, 17, 1, 1, 2, silu),
		"5x5 s1 2x2":            dw5(3, 2, 2, 1, 2, Activation{}),
		"5x5 s1 3x4":            dw5(3, 3, 4, 1, 2, relu6),
		"5x5 s2 14x14":          dw5(4, 14, 14, 2, 2, silu),
		"5x5 s2 odd 15x13":      dw5(3, 15, 13, 2, 2, Activation{}),
		"5x5 s2 wide 6x71":      dw5(3, 6, 71, 2, 2, Activation{Kind: ActRelu}),
		"5x5 s2 valid 11x40":    dw5(2, 11, 40, 2, 0, relu6),
		"5x5 s2 3x3":            dw5(3, 3, 3, 2, 2, Activation{}),
		"5x5 s2 one row":        dw5(2, 1, 35, 2, 2, silu),
		"5x5 s2 one column":     dw5(2, 9, 1, 2, 2, Activation{}),
		"efficientnet 240@28":   dw5(240, 28, 28, 1, 2, silu),
		"efficientnet 144@56s":  dw5(8, 56, 56, 2, 2, silu),
		"efficientnet 1152@7":   dw5(40, 7, 7, 1, 2, silu),
		"efficientnet 672@14s2": dw5(16, 14, 14, 2, 2, silu),
		"efficientnet 480@14":   dw5(32, 14, 14, 1, 2, silu),
	} {
		cases[name] = p
	}
	asym5 := dw5(3, 11, 12, 2, 0, Activation{})
	asym5.PadT, asym5.PadR, asym5.PadB = 2, 1, 3
	cases["5x5 s2 pads"] = asym5
	tf := dw(3, 12, 12, 2, 0, relu6)
	tf.PadB, tf.PadR = 1, 1 // TensorFlow's "SAME" for stride 2
	cases["s2 same bottom right"] = tf
	tf14 := dw(9, 14, 14, 2, 0, relu6)
	tf14.PadB, tf14.PadR = 1, 1 // MobileNetV2's 576@14 to 7x7
	cases["s2 same 14x14"] = tf14
	top := dw(3, 9, 10, 2, 0, Activation{})
	top.PadT, top.PadR = 1, 2
	cases["s2 pads top right"] = top
	asym := dw(3, 10, 9, 1, 0, Activation{})
	asym.PadT, asym.PadL, asym.PadB, asym.PadR = 2, 0, 0, 2
	cases["s1 pads top right"] = asym
	return cases
}

// TestDepthwiseDirect checks the direct path against the slow definition
// (convReference), both the assembly and the portable dwDirectGo; on
// AVX-512 it must also give the planes path's bits.
func TestDepthwiseDirect(t *testing.T) {
	ks := availableKernels()
	saved := active
	defer func() { active = saved }()
	for name, p := range dwDirectCases() {
		for _, withBias := range []bool{true, false} {
			src, w, bias := convInputs(p, withBias, uint64(p.KH*p.KW))
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
			for _, k := range ks {
				if k.kind != kindAVX512 && k.kind != kindGo {
					continue
				}
				active = k
				conv := NewConv(p, w, bias)
				if k.kind == kindGo {
					// The portable kernel through the records the
					// assembly would use.
					conv.dw = newDwGeom(p, oh, ow, true)
					conv.dwBias = make([]float32, p.C)
					copy(conv.dwBias, bias)
				} else if conv.dw.recs == nil {
					t.Errorf("%s: the direct path is not taken on AVX-512", name)
					continue
				}
				got := make([]float32, len(want)+5)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				conv.Run(got, src)
				for i := len(want); i < len(got); i++ {
					if !math.IsNaN(float64(got[i])) {
						t.Errorf("%s %s: wrote past the output at %d", name, k.name, i)
						break
					}
				}
				if err := closeTo(got[:len(want)], want, mag, 9); err != nil {
					t.Errorf("%s %s bias=%v: %v", name, k.name, withBias, err)
				}
				if k.kind != kindAVX512 {
					continue
				}
				planes := NewConv(p, w, bias)
				planes.dw.recs = nil
				ref := make([]float32, len(want))
				planes.Run(ref, src)
				if err := sameAll(got[:len(want)], ref); err != nil {
					t.Errorf("%s bias=%v: direct against planes: %v", name, withBias, err)
				}
			}
		}
	}
}

func sameAll(got, want []float32) error {
	for i := range want {
		if !sameBits(got[i], want[i]) {
			return fmt.Errorf("at %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// TestDepthwiseDirectApplies pins which convolutions take the direct path.
func TestDepthwiseDirectApplies(t *testing.T) {
	base := layer(8, 14, 8, 3, 1, 1, 8)
	for _, tc := range []struct {
		name string
		edit func(p *ConvParams)
		want bool
	}{
		{"3x3 s1", func(p *ConvParams) {}, true},
		{"3x3 s2", func(p *ConvParams) { p.StrideH, p.StrideW = 2, 2 }, true},
		{"5x5", func(p *ConvParams) { p.KH, p.KW, p.PadT, p.PadL, p.PadB, p.PadR = 5, 5, 2, 2, 2, 2 }, true},
		{"5x5 s2", func(p *ConvParams) { p.KH, p.KW, p.StrideH, p.StrideW = 5, 5, 2, 2 }, true},
		{"7x7", func(p *ConvParams) { p.KH, p.KW, p.PadT, p.PadL, p.PadB, p.PadR = 7, 7, 3, 3, 3, 3 }, false},
		{"3x5", func(p *ConvParams) { p.KW = 5 }, false},
		{"dilation 2", func(p *ConvParams) { p.DilH, p.DilW = 2, 2 }, false},
		{"strides 1x2", func(p *ConvParams) { p.StrideW = 2 }, false},
		{"stride 3", func(p *ConvParams) { p.StrideH, p.StrideW = 3, 3 }, false},
	} {
		p := base
		tc.edit(&p)
		if got := dwDirectApplies(p, kindAVX512); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if dwDirectApplies(p, kindAVX2) || dwDirectApplies(p, kindGo) {
			t.Errorf("%s: the direct path is AVX-512 only", tc.name)
		}
	}
}

// TestDwSpan checks the bound that lets a chunk load whole registers: the
// values the assembly's unmasked loads touch (stride 1: each row's 32 values
// from the chunk's start, its first 16 and the next 16 for VALIGND; stride
// 2, 3x3: each tap's 16 values from its own start and 16 from the record's
// word 21 on, the next 16 or a chunk of two rows' second row (which covers
// the one-row kernel's 33 values a row); stride 2,
// 5x5: each row's 48 values from the chunk's start) lie within dwSpan
// values of the chunk's first load, for every chunk of convolutions of
// every kind of chunks, the dense path's (one row a chunk) too.
func TestDwSpan(t *testing.T) {
	for name, p := range dwDirectCases() {
		for _, pair := range []bool{false, true} {
			checkDwSpan(t, name, p, pair)
		}
	}
}

func checkDwSpan(t *testing.T, name string, p ConvParams, pair bool) {
	oh, ow := p.OutSize()
	s, k := p.StrideH, p.KH
	words := dwRecWords(s, k)
	g := newDwGeom(p, oh, ow, pair)
	recs, span := g.recs, g.span
	for r := 0; r+words <= len(recs); r += words {
		first := int(recs[r+1])
		lo, hi := first, first
		for ky := 0; ky < k; ky++ {
			if s == 1 || k == 5 {
				hi = max(hi, first+ky*p.W+16*(s+1))
				continue
			}
			for kx := 0; kx < k; kx++ {
				hi = max(hi, first+ky*p.W+kx+16, first+int(recs[r+dwHiLoad])+ky*p.W+kx+16)
			}
		}
		if lo < first || hi > first+span {
			t.Errorf("%s pair=%v: a chunk's loads cover [%d, %d), dwSpan allows [%d, %d)", name, pair, lo, hi, first, first+span)
			break
		}
	}
}
