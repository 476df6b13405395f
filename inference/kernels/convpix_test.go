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

// TestConvResidual checks RunAdd and RunBatchAdd (a residual sum fused into
// the convolution, then the activation) against the convolution without
// activation followed by the sum and clamp written out here, bit for bit:
// every case of the shared table but SiLU (which does not take a residual),
// each GEMM case in both layouts, the Winograd cases and pixel-major
// layers, with and without bias, on every kernel; the batch of 3 image by
// image.
func TestConvResidual(t *testing.T) {
	type tc struct {
		name   string
		p      ConvParams
		layout gemmLayout
	}
	var cases []tc
	for name, p := range convCases() {
		if p.Act.Kind == ActSiLU {
			continue
		}
		cases = append(cases, tc{name, p, layoutAuto})
		if p.C != p.Group || p.M != p.Group {
			cases = append(cases, tc{name + " channels", p, layoutChannels}, tc{name + " pixels", p, layoutPixels})
		}
	}
	for i, p := range winogradCases() {
		if p.Act.Kind != ActSiLU {
			cases = append(cases, tc{fmt.Sprintf("winograd %d", i), p, layoutWinograd})
		}
	}
	clip := Activation{Kind: ActClip, Min: -0.3, Max: 0.4}
	for _, p := range []ConvParams{layer(40, 7, 70, 1, 1, 0, 1), layer(96, 14, 24, 1, 1, 0, 1), layer(160, 7, 40, 1, 1, 0, 1)} {
		cases = append(cases, tc{fmt.Sprintf("pointwise %d->%d at %d", p.C, p.M, p.H), p, layoutAuto})
		p.Act = clip
		cases = append(cases, tc{fmt.Sprintf("pointwise %d->%d at %d clip", p.C, p.M, p.H), p, layoutPixels})
	}
	forEachKernel(t, func(t *testing.T) {
		for _, c := range cases {
			for _, withBias := range []bool{true, false} {
				if err := checkConvResidual(c.p, withBias, c.layout); err != nil {
					t.Errorf("%s bias=%v: %v", c.name, withBias, err)
				}
			}
		}
	})
}

func checkConvResidual(p ConvParams, withBias bool, layout gemmLayout) error {
	const n = 3
	src, w, bias := convInputs(p, withBias, 5)
	oh, ow := p.OutSize()
	size := p.M * oh * ow
	r := rand.New(rand.NewPCG(6, uint64(size)))
	srcs := append(append(append([]float32(nil), src...), randSlice(r, len(src))...), randSlice(r, len(src))...)
	res := randSlice(r, n*size)
	plain := p
	plain.Act = Activation{}
	raw := make([]float32, n*size)
	newConv(plain, w, bias, layout).RunBatch(raw, srcs, n)
	lo, hi, ok := clampValues(p.Act)
	want := make([]float32, n*size)
	for i, v := range raw {
		want[i] = v + res[i]
		if ok {
			want[i] = min(max(want[i], lo), hi)
		}
	}
	fused := p
	fused.Residual = true
	k := newConv(fused, w, bias, layout)
	got := make([]float32, size+5)
	for i := range got {
		got[i] = float32(math.NaN())
	}
	k.RunAdd(got, src, res)
	for i := size; i < len(got); i++ {
		if !math.IsNaN(float64(got[i])) {
			return fmt.Errorf("wrote past the output at %d", i)
		}
	}
	if err := sameAll(got, want[:size]); err != nil {
		return fmt.Errorf("RunAdd: %w", err)
	}
	batch := make([]float32, n*size)
	k.RunBatchAdd(batch, srcs, res, n)
	if err := sameAll(batch, want); err != nil {
		return fmt.Errorf("RunBatchAdd: %w", err)
	}
	return nil
}
