// Measured numbers, and the machine they come from, are in BENCHMARKS.md.

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchKernels runs f once per available micro-kernel, as sub-benchmarks.
func benchKernels(b *testing.B, f func(b *testing.B)) {
	saved := active
	defer func() { active = saved }()
	for _, k := range availableKernels() {
		active = k
		b.Run(k.name, f)
	}
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct {
		m, n, k int
		transB  bool
	}{{64, 3136, 576, false}, {256, 196, 2304, false}, {512, 49, 4608, false}, {384, 384, 384, false}, {1, 1000, 512, true}, {1, 1000, 1280, true}} {
		m, n, k := s.m, s.n, s.k
		ldb := n
		if s.transB {
			ldb = k
		}
		b.Run(fmt.Sprintf("%dx%dx%d/transB=%v", m, n, k, s.transB), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			benchKernels(b, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Gemm(false, s.transB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// BenchmarkParallelFor is the cost of handing two small pieces of work
// (a few microseconds each) to the cores and waiting for both: what
// splitting a layer costs beyond its work, from an ordinary goroutine and
// from one locked to its thread.
// BenchmarkSmallGemm is one core's attention products, one after another:
// Swin-T stage 1's Q·K^T (49x32x49) and attn·V (49x49x32), vit_tiny's per
// head (197x64x197, 197x197x64), where packing and per-call setup weigh as
// much as the arithmetic.
func BenchmarkSmallGemm(b *testing.B) {
	for _, s := range [][3]int{{49, 49, 32}, {49, 32, 49}, {197, 197, 64}, {197, 64, 197}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			benchKernels(b, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					GemmSerial(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

func BenchmarkParallelFor(b *testing.B) {
	for _, locked := range []bool{false, true} {
		b.Run(fmt.Sprintf("locked=%v", locked), func(b *testing.B) {
			// A goroutine locked to its thread, as a GUI toolkit's main
			// goroutine is (Fyne's init locks it).
			if locked {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			var sink [2][16]float32
			work := func(i0, i1 int) {
				for i := i0; i < i1; i++ {
					for range 2000 {
						sink[i][0]++
					}
				}
			}
			for b.Loop() {
				parallelFor(2, 2, work)
			}
		})
	}
}

// benchLayers are representative layers of resnet18, MobileNetV2,
// EfficientNet-B0, SqueezeNet and vgg_small (224x224 input).
var benchLayers = []struct {
	name string
	p    ConvParams
}{
	{"resnet18/conv1_7x7s2_3-64_224", layer(3, 224, 64, 7, 2, 3, 1)},
	{"resnet18/3x3_64-64_56", layer(64, 56, 64, 3, 1, 1, 1)},
	{"resnet18/3x3_128-128_28", layer(128, 28, 128, 3, 1, 1, 1)},
	{"resnet18/3x3_256-256_14", layer(256, 14, 256, 3, 1, 1, 1)},
	{"resnet18/3x3_512-512_7", layer(512, 7, 512, 3, 1, 1, 1)},
	{"resnet18/3x3s2_64-128_56", layer(64, 56, 128, 3, 2, 1, 1)},
	{"resnet18/3x3s2_128-256_28", layer(128, 28, 256, 3, 2, 1, 1)},
	{"resnet18/3x3s2_256-512_14", layer(256, 14, 512, 3, 2, 1, 1)},
	{"resnet18/1x1s2_64-128_56", layer(64, 56, 128, 1, 2, 0, 1)},
	{"resnet18/1x1s2_128-256_28", layer(128, 28, 256, 1, 2, 0, 1)},
	{"resnet18/1x1s2_256-512_14", layer(256, 14, 512, 1, 2, 0, 1)},
	{"mobilenetv2/1x1_32-16_112", layer(32, 112, 16, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_16-96_112", layer(16, 112, 96, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_96-24_56", layer(96, 56, 24, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_64-384_14", layer(64, 14, 384, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_320-1280_7", layer(320, 7, 1280, 1, 1, 0, 1)},
	{"mobilenetv2/dw3x3_144_56", layer(144, 56, 144, 3, 1, 1, 144)},
	{"mobilenetv2/dw3x3s2_144_56", layer(144, 56, 144, 3, 2, 1, 144)},
	{"mobilenetv2/dw3x3_960_7", layer(960, 7, 960, 3, 1, 1, 960)},
	{"efficientnet/dw5x5_240_28", layer(240, 28, 240, 5, 1, 2, 240)},
	{"efficientnet/dw5x5s2_144_56", layer(144, 56, 144, 5, 2, 2, 144)},
	{"efficientnet/dw5x5_672_14", layer(672, 14, 672, 5, 1, 2, 672)},
	{"shapes/3x3_3-16_64", layer(3, 64, 16, 3, 1, 1, 1)},
	{"shapes/3x3_16-32_32", layer(16, 32, 32, 3, 1, 1, 1)},
	{"shapes/3x3_32-48_16", layer(32, 16, 48, 3, 1, 1, 1)},
	{"shapes/3x3_48-64_16", layer(48, 16, 64, 3, 1, 1, 1)},
	{"shapes/3x3_64-64_16", layer(64, 16, 64, 3, 1, 1, 1)},
	{"densenet121/3x3_128-32_56", layer(128, 56, 32, 3, 1, 1, 1)},
	{"densenet121/3x3_128-32_28", layer(128, 28, 32, 3, 1, 1, 1)},
	{"densenet121/3x3_128-32_14", layer(128, 14, 32, 3, 1, 1, 1)},
	{"densenet121/3x3_128-32_7", layer(128, 7, 32, 3, 1, 1, 1)},
	{"squeezenet/conv1_3x3s2_3-64_224", layer(3, 224, 64, 3, 2, 0, 1)},
	{"squeezenet/3x3_16-64_55", layer(16, 55, 64, 3, 1, 1, 1)},
	{"squeezenet/3x3_32-128_27", layer(32, 27, 128, 3, 1, 1, 1)},
	{"squeezenet/3x3_48-192_13", layer(48, 13, 192, 3, 1, 1, 1)},
	{"squeezenet/3x3_64-256_13", layer(64, 13, 256, 3, 1, 1, 1)},
	{"squeezenet/1x1_16-64_55", layer(16, 55, 64, 1, 1, 0, 1)},
	{"squeezenet/1x1_64-16_55", layer(64, 55, 16, 1, 1, 0, 1)},
	{"squeezenet/1x1_32-128_27", layer(32, 27, 128, 1, 1, 0, 1)},
	{"squeezenet/1x1_48-192_13", layer(48, 13, 192, 1, 1, 0, 1)},
	{"squeezenet/1x1_384-48_13", layer(384, 13, 48, 1, 1, 0, 1)},
	{"squeezenet/1x1_512-1000_13", layer(512, 13, 1000, 1, 1, 0, 1)},
	{"vgg_small/3x3_3-16_224", layer(3, 224, 16, 3, 1, 1, 1)},
	{"vgg_small/3x3_16-32_112", layer(16, 112, 32, 3, 1, 1, 1)},
	{"vgg_small/3x3_32-64_56", layer(32, 56, 64, 3, 1, 1, 1)},
	{"vgg_small/3x3_64-128_28", layer(64, 28, 128, 3, 1, 1, 1)},
}

func layer(c, hw, m, k, s, pad, g int) ConvParams {
	return ConvParams{C: c, H: hw, W: hw, M: m, KH: k, KW: k, StrideH: s, StrideW: s, DilH: 1, DilW: 1,
		PadT: pad, PadL: pad, PadB: pad, PadR: pad, Group: g, Act: Activation{Kind: ActRelu}}
}

func BenchmarkConv(b *testing.B) {
	for _, l := range benchLayers {
		b.Run(l.name, func(b *testing.B) {
			p := l.p
			src, w, bias := convInputs(p, true, 1)
			oh, ow := p.OutSize()
			dst := make([]float32, p.M*oh*ow)
			flops := 2 * p.M * oh * ow * p.C / p.Group * p.KH * p.KW
			benchKernels(b, func(b *testing.B) {
				conv := NewConv(p, w, bias)
				b.ReportAllocs()
				for b.Loop() {
					conv.Run(dst, src)
				}
				b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// modelConvs lists the convolutions of a whole network (224x224 input), in
// order, so that BenchmarkModelConvs can be set against whole-model times:
// ONNX Runtime (2 threads, this machine) runs resnet18 in 17.7 ms,
// MobileNetV2 in 4.1 ms and EfficientNet-B0 in 6.5 ms.
func modelConvs(name string) []ConvParams {
	var ls []ConvParams
	add := func(c, hw, m, k, s, g int) int {
		ls = append(ls, layer(c, hw, m, k, s, k/2, g))
		return (hw+2*(k/2)-k)/s + 1
	}
	switch name {
	case "resnet18":
		hw := add(3, 224, 64, 7, 2, 1) / 2 // max pool
		c := 64
		for stage, m := range []int{64, 128, 256, 512} {
			for block := 0; block < 2; block++ {
				s := 1
				if stage > 0 && block == 0 {
					s = 2
					add(c, hw, m, 1, 2, 1)
				}
				out := add(c, hw, m, 3, s, 1)
				add(m, out, m, 3, 1, 1)
				c, hw = m, out
			}
		}
	case "mobilenetv2":
		hw := add(3, 224, 32, 3, 2, 1)
		c := 32
		for _, b := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
			for i := 0; i < b[2]; i++ {
				s := 1
				if i == 0 {
					s = b[3]
				}
				e := c * b[0]
				if b[0] != 1 {
					add(c, hw, e, 1, 1, 1)
				}
				out := add(e, hw, e, 3, s, e)
				add(e, out, b[1], 1, 1, 1)
				c, hw = b[1], out
			}
		}
		add(c, hw, 1280, 1, 1, 1)
	case "efficientnet-b0":
		hw := add(3, 224, 32, 3, 2, 1)
		c := 32
		for _, b := range [][5]int{{3, 1, 16, 1, 1}, {3, 6, 24, 2, 2}, {5, 6, 40, 2, 2}, {3, 6, 80, 3, 2}, {5, 6, 112, 3, 1}, {5, 6, 192, 4, 2}, {3, 6, 320, 1, 1}} {
			for i := 0; i < b[3]; i++ {
				s := 1
				if i == 0 {
					s = b[4]
				}
				e := c * b[1]
				if b[1] != 1 {
					add(c, hw, e, 1, 1, 1)
				}
				out := add(e, hw, e, b[0], s, e)
				se := max(1, c/4) // squeeze-and-excitation: 1x1 convs on the pooled vector
				add(e, 1, se, 1, 1, 1)
				add(se, 1, e, 1, 1, 1)
				add(e, out, b[2], 1, 1, 1)
				c, hw = b[2], out
			}
		}
		add(c, hw, 1280, 1, 1, 1)
	}
	return ls
}

// BenchmarkModelConvs runs every convolution of a network in order, each
// reading the previous one's output buffer (two buffers in turn), so that
// caches hold what they would in a real forward pass.
func BenchmarkModelConvs(b *testing.B) {
	for _, model := range []string{"resnet18", "mobilenetv2", "efficientnet-b0"} {
		b.Run(model, func(b *testing.B) {
			ps := modelConvs(model)
			benchKernels(b, func(b *testing.B) {
				if active.kind == kindGo {
					b.Skip("too slow to be useful")
				}
				convs, bufs, flops := modelSetup(ps)
				b.ReportAllocs()
				for b.Loop() {
					runModel(convs, bufs)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/model")
				b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

func modelSetup(ps []ConvParams) (convs []*Conv, bufs [2][]float32, flops int) {
	size := 0
	for i, p := range ps {
		_, w, bias := convInputs(p, true, uint64(i))
		// Scale the weights so that activations stay of order one.
		scale := float32(1 / math.Sqrt(float64(p.C/p.Group*p.KH*p.KW)))
		for j := range w {
			w[j] *= scale
		}
		convs = append(convs, NewConv(p, w, bias))
		oh, ow := p.OutSize()
		size = max(size, p.C*p.H*p.W, p.M*oh*ow)
		flops += 2 * p.M * oh * ow * p.C / p.Group * p.KH * p.KW
	}
	r := rand.New(rand.NewPCG(7, 7))
	bufs = [2][]float32{randSlice(r, size), randSlice(r, size)}
	return convs, bufs, flops
}

func runModel(convs []*Conv, bufs [2][]float32) {
	for i, conv := range convs {
		conv.Run(bufs[(i+1)%2], bufs[i%2])
	}
}

// BenchmarkDepthwise runs MobileNetV2's depthwise 3x3 layers (ReLU6) and
// EfficientNet-B0's 5x5 ones (SiLU) on the direct path (dwdirect.go) and on
// the planes (prepareChannel, dwFlat, copyRows), one after the other, on the
// AVX-512 kernel.
func BenchmarkDepthwise(b *testing.B) {
	ks := availableKernels()
	if k := ks[len(ks)-1]; k.kind != kindAVX512 {
		b.Skip("no AVX-512")
	}
	for _, l := range []struct{ c, hw, s, k int }{
		{32, 112, 1, 3}, {96, 112, 2, 3}, {144, 56, 1, 3}, {144, 56, 2, 3}, {192, 28, 1, 3}, {192, 28, 2, 3},
		{384, 14, 1, 3}, {576, 14, 1, 3}, {576, 14, 2, 3}, {960, 7, 1, 3},
		{144, 56, 2, 5}, {240, 28, 1, 5}, {480, 14, 1, 5}, {672, 14, 1, 5}, {672, 14, 2, 5}, {1152, 7, 1, 5},
	} {
		p := layer(l.c, l.hw, l.c, l.k, l.s, l.k/2, l.c)
		p.Act = Activation{Kind: ActClip, Min: 0, Max: 6}
		if l.k == 5 {
			p.Act = Activation{Kind: ActSiLU}
		}
		src, w, bias := convInputs(p, true, 1)
		oh, ow := p.OutSize()
		dst := make([]float32, p.M*oh*ow)
		for _, direct := range []bool{true, false} {
			name := fmt.Sprintf("%dx%d_%d@%ds%d/planes", l.k, l.k, l.c, l.hw, l.s)
			if direct {
				name = fmt.Sprintf("%dx%d_%d@%ds%d/direct", l.k, l.k, l.c, l.hw, l.s)
			}
			b.Run(name, func(b *testing.B) {
				saved := active
				defer func() { active = saved }()
				active = ks[len(ks)-1]
				conv := NewConv(p, w, bias)
				if !direct {
					conv.dw.recs = nil
				}
				for b.Loop() {
					conv.Run(dst, src)
				}
			})
		}
	}
}

// BenchmarkTransposeRows times the pixel-major GEMM's transposition back to
// channel-major rows (with bias and clamp) for MobileNetV2's pixel-major
// 1x1 convolutions (output channels @ grid), on each kernel.
func BenchmarkTransposeRows(b *testing.B) {
	for _, s := range [][2]int{{384, 14}, {576, 14}, {160, 7}, {960, 7}, {1280, 7}} {
		m, npix := s[0], s[1]*s[1]
		ldc := roundUp(m, 32) + 16
		r := rand.New(rand.NewPCG(2, 2))
		ct, bias, dst := randSlice(r, roundUp(npix, 8)*ldc), randSlice(r, m), make([]float32, m*npix)
		b.Run(fmt.Sprintf("%d@%d", m, s[1]), func(b *testing.B) {
			benchKernels(b, func(b *testing.B) {
				for b.Loop() {
					transposeRows(active.kind, dst, npix, ct, ldc, npix, 0, m, bias, 0, 6)
				}
			})
		})
	}
}

// BenchmarkConvDirect runs MobileNetV2's first convolution (3->32, 3x3
// stride 2, TensorFlow's "SAME" padding, 224x224) on the direct path
// (convdirect.go) and on the GEMM over the planes, on the AVX-512 kernel.
func BenchmarkConvDirect(b *testing.B) {
	ks := availableKernels()
	if k := ks[len(ks)-1]; k.kind != kindAVX512 {
		b.Skip("no AVX-512")
	}
	p := ConvParams{C: 3, H: 224, W: 224, M: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1,
		PadB: 1, PadR: 1, Group: 1, Act: Activation{Kind: ActClip, Min: 0, Max: 6}}
	src, w, bias := convInputs(p, true, 1)
	oh, ow := p.OutSize()
	dst := make([]float32, p.M*oh*ow)
	for _, layout := range []struct {
		name   string
		layout gemmLayout
	}{{"direct", layoutAuto}, {"gemm", layoutChannels}} {
		b.Run(layout.name, func(b *testing.B) {
			saved := active
			defer func() { active = saved }()
			active = ks[len(ks)-1]
			conv := newConv(p, w, bias, layout.layout)
			for b.Loop() {
				conv.Run(dst, src)
			}
		})
	}
}
