package kernels

import (
	"fmt"
	"math/rand/v2"
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

// benchLayers are representative layers of resnet18, MobileNetV2 and
// EfficientNet-B0 (224x224 input).
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
	{"resnet18/1x1s2_64-128_56", layer(64, 56, 128, 1, 2, 0, 1)},
	{"mobilenetv2/1x1_32-16_112", layer(32, 112, 16, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_16-96_112", layer(16, 112, 96, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_96-24_56", layer(96, 56, 24, 1, 1, 0, 1)},
	{"mobilenetv2/1x1_320-1280_7", layer(320, 7, 1280, 1, 1, 0, 1)},
	{"mobilenetv2/dw3x3_144_56", layer(144, 56, 144, 3, 1, 1, 144)},
	{"mobilenetv2/dw3x3s2_144_56", layer(144, 56, 144, 3, 2, 1, 144)},
	{"mobilenetv2/dw3x3_960_7", layer(960, 7, 960, 3, 1, 1, 960)},
	{"efficientnet/dw5x5_240_28", layer(240, 28, 240, 5, 1, 2, 240)},
	{"efficientnet/dw5x5s2_144_56", layer(144, 56, 144, 5, 2, 2, 144)},
	{"efficientnet/dw5x5_672_14", layer(672, 14, 672, 5, 1, 2, 672)},
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
