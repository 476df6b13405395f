package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// slowMaxPool is MaxPool by its definition: the builtin max over each
// window's taps that lie inside the plane, -inf when none does.
func slowMaxPool(src []float32, planes, h, w, oh, ow, kh, kw, sh, sw, pt, pl int) []float32 {
	out := make([]float32, planes*oh*ow)
	for p := range planes {
		for oy := range oh {
			for ox := range ow {
				m := float32(math.Inf(-1))
				for ky := range kh {
					for kx := range kw {
						y, x := oy*sh-pt+ky, ox*sw-pl+kx
						if y >= 0 && y < h && x >= 0 && x < w {
							m = max(m, src[(p*h+y)*w+x])
						}
					}
				}
				out[(p*oh+oy)*ow+ox] = m
			}
		}
	}
	return out
}

// poolOut is the output size along one axis: windows of k taps, stride s,
// over n inputs with pads a before and b after; in ceil mode a last partial
// window counts if it starts inside the input or the first padding.
func poolOut(n, k, s, a, b int, ceil bool) int {
	span := n + a + b - k
	if span < 0 {
		return 0
	}
	o := span/s + 1
	if ceil && span%s != 0 {
		o++
		if (o-1)*s >= n+a {
			o--
		}
	}
	return o
}

// TestMaxPool2DAgainstDefinition runs the kernel on planes of 1..40 rows and
// columns, windows of 1..3 x 2..3, strides 1 and 2 (and 3 down the
// columns), pads 0..2 (windows wholly in the padding included) and ceil
// mode, and compares with the slow definition (exactly; NaN with NaN, and
// zeros of either sign equal). Each geometry runs twice: on values with
// -inf and signed zeros among them, which the kernel must pool alone (it
// must not ask for the exact pass), and with NaNs and +inf too. The planes
// sit between NaNs, and dst is followed by a guard: a read outside the
// planes turns an output into NaN, a write past the outputs changes the
// guard.
func TestMaxPool2DAgainstDefinition(t *testing.T) {
	if NewMaxPool2D(1, 1, 1, 1, 1, 2, 1, 1, 0, 1) == nil {
		t.Skip("no MaxPool2D kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(7, 8))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	zeros := []float32{-inf, 0, float32(math.Copysign(0, -1))}
	special := append([]float32{nan, inf}, zeros...)
	checked, exact := 0, 0
	for w := 1; w <= 40; w++ {
		for _, h := range []int{1, 2, 3, w, 1 + w*7%40} {
			for kh := 1; kh <= 3; kh++ {
				for kw := 2; kw <= 3; kw++ {
					for _, s := range [][2]int{{1, 1}, {2, 2}, {1, 2}, {2, 1}, {3, 2}} {
						for pad := 0; pad <= 2; pad++ {
							for _, ceil := range []bool{false, true} {
								sh, sw := s[0], s[1]
								padB := pad
								if pad == 2 {
									padB = 0 // asymmetric
								}
								oh, ow := poolOut(h, kh, sh, pad, padB, ceil), poolOut(w, kw, sw, pad, padB, ceil)
								if oh == 0 || ow == 0 {
									continue
								}
								name := fmt.Sprintf("%dx%d k %dx%d s %v pad %d ceil %v -> %dx%d", h, w, kh, kw, s, pad, ceil, oh, ow)
								for _, odd := range [][]float32{zeros, special} {
									const planes = 3
									n := planes * h * w
									buf := make([]float32, n+64)
									for i := range buf {
										buf[i] = nan
									}
									src := buf[32 : 32+n]
									for i := range src {
										src[i] = r.Float32()*2 - 1
										if r.IntN(50) == 0 {
											src[i] = odd[r.IntN(len(odd))]
										}
									}
									want := slowMaxPool(src, planes, h, w, oh, ow, kh, kw, sh, sw, pad, pad)
									dst := make([]float32, len(want)+16)
									for i := range dst {
										dst[i] = 42
									}
									p := NewMaxPool2D(h, w, oh, ow, kh, kw, sh, sw, pad, pad)
									if len(odd) == len(zeros) {
										if maxPoolRun(p, &dst[0], &src[0], planes) {
											t.Fatalf("%s: the kernel asks for the exact pass without a NaN or +inf", name)
										}
									} else {
										p.Run(dst[:len(want)], src)
									}
									for i, v := range want {
										g := dst[i]
										if g != v && !(g != g && v != v) {
											t.Fatalf("%s: output %d is %v, want %v", name, i, g, v)
										}
										if v != v {
											exact++
										}
									}
									for _, g := range dst[len(want):] {
										if g != 42 {
											t.Fatalf("%s: wrote past the outputs", name)
										}
									}
									checked++
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d runs, %d NaN outputs", checked, exact)
}

func TestNewMaxPool2DCovers(t *testing.T) {
	if NewMaxPool2D(8, 8, 4, 4, 3, 3, 2, 2, 1, 1) == nil {
		t.Skip("no MaxPool2D kernel on this CPU or build")
	}
	for _, c := range [][10]int{
		{8, 8, 2, 2, 4, 4, 4, 4, 0, 0},  // 4 columns
		{8, 8, 8, 8, 1, 1, 1, 1, 0, 0},  // 1 column
		{8, 8, 3, 3, 3, 3, 3, 3, 0, 0},  // stride 3 along the rows
		{8, 8, 4, 4, 3, 3, 2, 2, -1, 1}, // negative padding
		{0, 8, 4, 4, 3, 3, 2, 2, 1, 1},  // empty plane
	} {
		if NewMaxPool2D(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]) != nil {
			t.Errorf("NewMaxPool2D%v: a kernel for windows it does not cover", c)
		}
	}
}

func BenchmarkMaxPool2D(b *testing.B) {
	if NewMaxPool2D(1, 1, 1, 1, 1, 2, 1, 1, 0, 1) == nil {
		b.Skip("no MaxPool2D kernel on this CPU or build")
	}
	for _, c := range []struct {
		name                                    string
		c, h, w, oh, ow, kh, kw, sh, sw, pt, pl int
	}{
		{"googlenet-pool1-64x112-s2ceil", 64, 112, 112, 56, 56, 3, 3, 2, 2, 0, 0},
		{"resnet-stem-64x112-s2p1", 64, 112, 112, 56, 56, 3, 3, 2, 2, 1, 1},
		{"inception-480x28-s1p1", 480, 28, 28, 28, 28, 3, 3, 1, 1, 1, 1},
		{"inception-832x14-s1p1", 832, 14, 14, 14, 14, 3, 3, 1, 1, 1, 1},
		{"squeezenet-64x111-s2ceil", 64, 111, 111, 55, 55, 3, 3, 2, 2, 0, 0},
		{"vgg-2x2-64x56", 64, 56, 56, 28, 28, 2, 2, 2, 2, 0, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			src := randSlice(r, c.c*c.h*c.w)
			dst := make([]float32, c.c*c.oh*c.ow)
			p := NewMaxPool2D(c.h, c.w, c.oh, c.ow, c.kh, c.kw, c.sh, c.sw, c.pt, c.pl)
			b.SetBytes(int64(4 * len(src)))
			// The fastest call too: on a shared machine the mean is mostly
			// the other processes' time.
			fastest := time.Duration(math.MaxInt64)
			for b.Loop() {
				t0 := time.Now()
				p.Run(dst, src)
				fastest = min(fastest, time.Since(t0))
			}
			b.ReportMetric(float64(fastest.Microseconds()), "fastest-us")
		})
	}
}
