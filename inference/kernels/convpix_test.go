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
// channels, ranges of channels that start inside a block, no bias, and
// output rows further apart than their pixels (a convolution's worker
// writing its own pixels of every channel), whose gaps stay untouched.
func TestTransposeRows(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 4))
		for _, tc := range []struct{ npix, m0, m1, ldc int }{
			{1, 0, 16, 48}, {15, 0, 17, 48}, {16, 0, 16, 32}, {17, 3, 45, 48},
			{49, 0, 160, 176}, {196, 0, 384, 400}, {196, 16, 32, 400}, {200, 5, 9, 16}, {33, 0, 70, 96},
		} {
			for _, gap := range []int{0, 5, 40} {
				for _, withBias := range []bool{true, false} {
					lds := tc.npix + gap
					ct := randSlice(r, tc.npix*tc.ldc)
					var bias []float32
					if withBias {
						bias = randSlice(r, tc.m1)
					}
					want := make([]float32, (tc.m1-1)*lds+tc.npix)
					got := make([]float32, len(want)+3)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					for i := range want {
						want[i] = float32(math.NaN())
					}
					transposeRowsGo(want, lds, ct, tc.ldc, tc.npix, tc.m0, tc.m1, bias, -0.5, 0.6)
					transposeRows(active.kind, got, lds, ct, tc.ldc, tc.npix, tc.m0, tc.m1, bias, -0.5, 0.6)
					name := fmt.Sprintf("%d pixels %d apart, channels %d..%d, bias %v", tc.npix, lds, tc.m0, tc.m1, withBias)
					for i := range want {
						if !sameBits(got[i], want[i]) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
							t.Errorf("%s: at %d (channel %d, pixel %d) %v, want %v", name, i, i/lds, i%lds, got[i], want[i])
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
		}
	})
}

// TestConvRunBatch runs batches of every GEMM convolution of convCases in
// both layouts, of layers the pixel-major path takes (with images whose
// pixels fill several products of a batch, pixels of two images in one
// panel, and images whose last pixels fill 1 to 4 rows of a panel: a short
// panel alone, computed by shortTile on AVX-512, and in a deep product of
// several k blocks; 2 images of 49 pixels end in a short panel, 7 do not)
// and of 1x1 layers a batch computes as one channel-major product
// (runChannelBatch) (convCases' classifier rows take the matrix-vector
// batch, three images' dot products a weight row: runVectorBatch, with 2
// images one at a time and with 7 in threes and one), and checks each
// image's output against its own Run, bit
// for bit, and the whole batch against the reference convolution; Run is
// checked against the reference in TestConvLayouts.
func TestConvRunBatch(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		type batchCase struct {
			name   string
			p      ConvParams
			layout gemmLayout
			noBias bool
		}
		var cases []batchCase
		for name, p := range convCases() {
			if p.C == p.Group && p.M == p.Group {
				continue
			}
			cases = append(cases, batchCase{name + " channels", p, layoutChannels, false}, batchCase{name + " pixels", p, layoutPixels, false})
			if patchApplies(p, active) {
				cases = append(cases, batchCase{name + " patches", p, layoutPatches, false})
			}
		}
		for _, p := range []ConvParams{layer(40, 7, 70, 1, 1, 0, 1), layer(24, 9, 100, 3, 1, 1, 1),
			layer(24, 15, 72, 3, 2, 1, 1), layer(20, 27, 80, 1, 2, 0, 1), layer(16, 7, 48, 3, 1, 1, 1),
			layer(300, 7, 64, 1, 1, 0, 1), layer(24, 14, 40, 1, 1, 0, 1), layer(8, 5, 40, 3, 1, 1, 1)} {
			cases = append(cases, batchCase{fmt.Sprintf("%+v", p), p, layoutPixels, false})
		}
		// 1x1 convolutions a batch computes as one channel-major product
		// (runChannelBatch; on every kernel the first, whose images are
		// narrower than a tile): tiles across two images, k in two
		// blocks, no bias, both layouts.
		channelBatch := map[string]bool{}
		for _, p := range []ConvParams{layer(20, 5, 24, 1, 1, 0, 1), layer(300, 7, 48, 1, 1, 0, 1), layer(40, 14, 72, 1, 1, 0, 1)} {
			p.Act = Activation{Kind: ActClip, Min: -0.3, Max: 0.4}
			for _, layout := range []gemmLayout{layoutChannels, layoutPixels} {
				for _, noBias := range []bool{false, true} {
					name := fmt.Sprintf("%+v layout %d no bias %v", p, layout, noBias)
					channelBatch[name] = true
					cases = append(cases, batchCase{name, p, layout, noBias})
				}
			}
		}
		for _, tc := range cases {
			if channelBatch[tc.name] && (active.kind == kindAVX512 || tc.p.H*tc.p.W < 8*active.nr) {
				if conv := newConv(tc.p, make([]float32, tc.p.M*tc.p.C), nil, tc.layout); !conv.bInPlace || !conv.channelBatchFits() {
					t.Errorf("%s: not on the channel-major batch path", tc.name)
				}
			}
			for _, n := range []int{2, 7} {
				if err := checkConvBatch(tc.p, tc.layout, n, tc.noBias); err != nil {
					t.Errorf("%s, batch %d: %v", tc.name, n, err)
				}
			}
		}
	})
}

func checkConvBatch(p ConvParams, layout gemmLayout, n int, noBias bool) error {
	r := rand.New(rand.NewPCG(uint64(n), uint64(p.C*p.M)))
	oh, ow := p.OutSize()
	inSize, outSize := p.C*p.H*p.W, p.M*oh*ow
	src := randSlice(r, n*inSize)
	w := randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
	bias := randSlice(r, p.M)
	if noBias {
		bias = nil
	}
	conv := newConv(p, w, bias, layout)
	if layout == layoutPixels && conv.pix == nil && conv.vec == nil {
		return fmt.Errorf("not on the pixel-major path")
	}
	got, past := fenced(n * outSize)
	conv.RunBatch(got, src, n)
	if err := past(); err != nil {
		return err
	}
	one := make([]float32, outSize)
	want := make([]float32, outSize)
	for b := range n {
		img := src[b*inSize : (b+1)*inSize]
		// Every image is its own run, bit for bit (below); the first and
		// the last, against the reference too (the slow part under the
		// race detector).
		if b == 0 || b == n-1 {
			convReference(want, img, w, bias, p)
			pa := p
			pa.Act = Activation{}
			mag := make([]float32, outSize)
			var magBias []float32
			if bias != nil {
				magBias = absSlice(bias)
			}
			convReference(mag, absSlice(img), absSlice(w), magBias, pa)
			if err := closeTo(got[b*outSize:(b+1)*outSize], want, mag, p.C/p.Group*p.KH*p.KW); err != nil {
				return fmt.Errorf("image %d: %v", b, err)
			}
		}
		conv.Run(one, img)
		for i, v := range one {
			if !sameBits(v, got[b*outSize+i]) {
				return fmt.Errorf("image %d element %d: %v alone, %v in the batch", b, i, v, got[b*outSize+i])
			}
		}
	}
	return nil
}

// BenchmarkPixelBatch times ResNet-18's layer4 and layer3 convolutions on
// the pixel-major path at batch 8: images one by one (Run) and together
// (RunBatch), in GFLOP/s of the convolution's multiply-adds.
func BenchmarkPixelBatch(b *testing.B) {
	const n = 8
	for _, p := range []ConvParams{layer(512, 7, 512, 3, 1, 1, 1), layer(256, 14, 512, 3, 2, 1, 1), layer(256, 14, 512, 1, 2, 0, 1), layer(128, 28, 256, 3, 2, 1, 1)} {
		r := rand.New(rand.NewPCG(1, 2))
		src, w, bias := randSlice(r, n*p.C*p.H*p.W), randSlice(r, p.M*p.C*p.KH*p.KW), randSlice(r, p.M)
		conv := newConv(p, w, bias, layoutPixels)
		oh, ow := p.OutSize()
		inSize, outSize := p.C*p.H*p.W, p.M*oh*ow
		dst := make([]float32, n*outSize)
		flops := 2 * n * p.C * p.KH * p.KW * p.M * oh * ow
		name := fmt.Sprintf("%d-%d_%dx%d_s%d", p.C, p.M, p.H, p.KH, p.StrideH)
		b.Run(name+"/single", func(b *testing.B) {
			for b.Loop() {
				for i := range n {
					conv.Run(dst[i*outSize:(i+1)*outSize], src[i*inSize:(i+1)*inSize])
				}
			}
			b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/batch", func(b *testing.B) {
			for b.Loop() {
				conv.RunBatch(dst, src, n)
			}
			b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
