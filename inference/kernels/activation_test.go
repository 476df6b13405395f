package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// availableActKinds lists the activation implementations the CPU supports:
// the kinds of the GEMM micro-kernels, which need the same CPU features.
func availableActKinds() []kernelKind {
	var ks []kernelKind
	for _, k := range availableKernels() {
		ks = append(ks, k.kind)
	}
	return ks
}

// actFuncs are the kernels under test with their float64 references.
var actFuncs = []struct {
	name string
	f    func(dst, src []float32)
	ref  func(x float64) float64
	tol  float64 // in ulp of the float32 result
}{
	{"Exp", Exp, math.Exp, 3},
	{"Sigmoid", Sigmoid, sigmoid64, 3},
	// The numerator's product x*e adds one rounding to Sigmoid's (a sweep of
	// every 7th float32 below 110 in magnitude found 3.22 ulp at most).
	{"SiLU", SiLU, func(x float64) float64 { return x * sigmoid64(x) }, 3.5},
}

func sigmoid64(x float64) float64 {
	if x < 0 {
		e := math.Exp(x)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(-x))
}

func actKindName(k kernelKind) string {
	switch k {
	case kindAVX2:
		return "avx2"
	case kindAVX512:
		return "avx512"
	}
	return "go"
}

// forActKinds runs f once per available implementation.
func forActKinds[T interface{ Run(string, func(T)) bool }](t T, f func(T)) {
	saved := actKind
	defer func() { actKind = saved }()
	for _, k := range availableActKinds() {
		actKind = k
		t.Run(actKindName(k), f)
	}
}

// ulpErr is |got - want| in units of the float32 spacing at want (the
// smallest subnormal for results below the normal range). Matching
// infinities and NaNs count 0, any other disagreement about them +Inf.
func ulpErr(got float32, want float64) float64 {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		if math.IsNaN(want) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	case math.IsInf(g, 0) || math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32:
		if g == want || float32(want) == got {
			return 0
		}
		return math.Inf(1)
	}
	w := math.Abs(want)
	ulp := math.Ldexp(1, -149)
	if w >= 0x1p-126 {
		_, e := math.Frexp(w) // w = f * 2^e, f in [0.5, 1)
		ulp = math.Ldexp(1, e-24)
	}
	return math.Abs(g-want) / ulp
}

var actEdges = []float32{
	0, float32(math.Copysign(0, -1)), 1e-8, -1e-8, 1e-30, -1e-30, 0.5, -0.5, 1, -1,
	0.34657359, -0.34657359, 0.3465736, -0.3465736, // ln2/2, where n changes
	10, -10, 15.9, -15.9, 17, -17, 20, -20,
	87, -87, 87.33, -87.33, 87.34, -87.34, 88, -88, 88.72, -88.72, 88.7228, 88.72284, 88.7229, -88.7229,
	88.8, -88.8, 89, -89, 100, -100, 103.97, -103.97, 103.98, -103.98, 104, -104, 105, -105,
	1e10, -1e10, math.MaxFloat32, -math.MaxFloat32, 0x1p-149, -0x1p-149,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
}

// actInputs returns the edge values, n random ones in [-20, 20] and n/4 in
// [-110, 110], and, with sweep, every 4093rd float32 of either sign below
// 110 in magnitude (half a million values, all binades).
func actInputs(n int, sweep bool) []float32 {
	r := rand.New(rand.NewPCG(7, 11))
	x := append([]float32(nil), actEdges...)
	for b := uint32(0); sweep && b < 0x42dc0000; b += 4093 {
		f := math.Float32frombits(b)
		x = append(x, f, -f)
	}
	for i := 0; i < n; i++ {
		x = append(x, float32(r.Float64()*40-20))
	}
	for i := 0; i < n/4; i++ {
		x = append(x, float32(r.Float64()*220-110))
	}
	return x
}

func TestActivationAccuracy(t *testing.T) {
	src := actInputs(1<<18, true)
	forActKinds(t, func(t *testing.T) {
		for _, af := range actFuncs {
			dst := make([]float32, len(src))
			af.f(dst, src)
			worst, at := 0.0, float32(0)
			for i, x := range src {
				want := af.ref(float64(x))
				if af.name == "SiLU" && math.IsInf(float64(x), -1) {
					want = 0 // the limit, rather than -Inf*0
				}
				e := ulpErr(dst[i], want)
				if e > af.tol {
					t.Errorf("%s(%g) = %g, want %g (%.2f ulp)", af.name, x, dst[i], want, e)
				}
				if e > worst {
					worst, at = e, x
				}
			}
			t.Logf("%s: max error %.3f ulp at %g", af.name, worst, at)
		}
	})
}

// TestActivationLimits checks saturation and special values exactly.
func TestActivationLimits(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cases := []struct {
		name string
		f    func(dst, src []float32)
		x    float32
		want float32
	}{
		{"Exp", Exp, 0, 1},
		{"Exp", Exp, 89, inf},
		{"Exp", Exp, 1e10, inf},
		{"Exp", Exp, inf, inf},
		{"Exp", Exp, -104, 0},
		{"Exp", Exp, -1e10, 0},
		{"Exp", Exp, -inf, 0},
		{"Exp", Exp, nan, nan},
		{"Sigmoid", Sigmoid, 0, 0.5},
		{"Sigmoid", Sigmoid, 20, 1},
		{"Sigmoid", Sigmoid, 1e10, 1},
		{"Sigmoid", Sigmoid, inf, 1},
		{"Sigmoid", Sigmoid, -105, 0},
		{"Sigmoid", Sigmoid, -1e10, 0},
		{"Sigmoid", Sigmoid, -inf, 0},
		{"Sigmoid", Sigmoid, nan, nan},
		{"SiLU", SiLU, 0, 0},
		{"SiLU", SiLU, 20, 20},
		{"SiLU", SiLU, 1e10, 1e10},
		{"SiLU", SiLU, inf, inf},
		{"SiLU", SiLU, -1e10, 0},
		{"SiLU", SiLU, -inf, 0},
		{"SiLU", SiLU, nan, nan},
	}
	forActKinds(t, func(t *testing.T) {
		for _, c := range cases {
			// In every lane position, and in the masked tail.
			for _, n := range []int{1, 5, 8, 16, 21} {
				src := make([]float32, n)
				for i := range src {
					src[i] = 0.25
				}
				src[n-1] = c.x
				dst := make([]float32, n)
				c.f(dst, src)
				got := dst[n-1]
				if got != c.want && !(got != got && c.want != c.want) {
					t.Errorf("%s(%g) = %g, want %g (n=%d)", c.name, c.x, got, c.want, n)
				}
			}
		}
	})
}

// TestActivationLengths covers every length 0..70 and some large ones, in
// and out of place: the results must match, value for value, those of the
// same inputs computed one at a time, and nothing beyond len(src) may be
// written.
func TestActivationLengths(t *testing.T) {
	all := actInputs(4096, false)
	lengths := []int{}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 127, 128, 129, 1000, 4099)
	forActKinds(t, func(t *testing.T) {
		for _, af := range actFuncs {
			one := make([]float32, len(all))
			for i := range all {
				af.f(one[i:i+1], all[i:i+1])
			}
			for _, n := range lengths {
				for _, off := range []int{0, 3} {
					src := all[off : off+n]
					dst := make([]float32, n+9)
					for i := range dst {
						dst[i] = -7
					}
					af.f(dst, src)
					inplace := append([]float32(nil), src...)
					af.f(inplace, inplace)
					for i := 0; i < n; i++ {
						w := math.Float32bits(one[off+i])
						if math.Float32bits(dst[i]) != w || math.Float32bits(inplace[i]) != w {
							t.Fatalf("%s n=%d off=%d: [%d] = %g, in place %g, alone %g", af.name, n, off, i, dst[i], inplace[i], one[off+i])
						}
					}
					for i := n; i < len(dst); i++ {
						if dst[i] != -7 {
							t.Fatalf("%s n=%d: wrote dst[%d] beyond the input", af.name, n, i)
						}
					}
				}
			}
		}
	})
}

// TestActivationKindsAgree bounds the difference between the vector kernels
// and the portable loops (fused multiply-adds may change the last bits), and
// checks that the vector kernels agree with each other bit for bit (they
// differ only in how they apply 2^n, and both round once).
func TestActivationKindsAgree(t *testing.T) {
	src := actInputs(1<<16, true)
	saved := actKind
	defer func() { actKind = saved }()
	for _, af := range actFuncs {
		actKind = kindGo
		ref := make([]float32, len(src))
		af.f(ref, src)
		var vec []float32
		for _, k := range availableActKinds()[1:] {
			actKind = k
			dst := make([]float32, len(src))
			af.f(dst, src)
			worst := 0.0
			for i := range src {
				e := ulpErr(dst[i], float64(ref[i]))
				if e > worst {
					worst = e
				}
				if e > 2*af.tol {
					t.Errorf("%s %s(%g) = %g, go %g", actKindName(k), af.name, src[i], dst[i], ref[i])
				}
				if vec != nil && math.Float32bits(dst[i]) != math.Float32bits(vec[i]) {
					t.Fatalf("%s %s(%g) = %g, other vector kernel %g", actKindName(k), af.name, src[i], dst[i], vec[i])
				}
			}
			vec = dst
			t.Logf("%s %s: max %.1f ulp from go", actKindName(k), af.name, worst)
		}
	}
}

func TestActivationShortDst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic with len(dst) < len(src)")
		}
	}()
	Sigmoid(make([]float32, 3), make([]float32, 4))
}

func BenchmarkActivation(b *testing.B) {
	for _, af := range actFuncs {
		for _, n := range []int{1 << 16, 1 << 20} {
			b.Run(fmt.Sprintf("%s/n=%d", af.name, n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(r.Float64()*16 - 8)
				}
				dst := make([]float32, n)
				forActKinds(b, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						af.f(dst, src)
					}
					b.ReportMetric(float64(n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
				})
			})
		}
	}
}

// TestErf compares Erf with math.Erf on a fine grid and at the extremes,
// for every implementation, and checks that slices of every length up to 40
// (the vector kernels' tails) are computed whole and nothing past them is
// written.
func TestErf(t *testing.T) {
	var src []float32
	for x := -6.0; x <= 6; x += 1.0 / 1024 {
		src = append(src, float32(x))
	}
	src = append(src, float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -1e-30, 0)
	forActKinds(t, func(t *testing.T) {
		dst := make([]float32, len(src))
		Erf(dst, src)
		worst, at := 0.0, float32(0)
		for i, x := range src {
			if d := math.Abs(float64(dst[i]) - math.Erf(float64(x))); d > worst || d != d {
				worst, at = d, x
			}
		}
		t.Logf("largest error %.3g at %g", worst, at)
		if worst > 1e-6 || worst != worst {
			t.Errorf("Erf is %g from math.Erf at %g", worst, at)
		}
		nan := []float32{float32(math.NaN())}
		if Erf(nan, nan); nan[0] == nan[0] {
			t.Errorf("Erf(NaN) = %g", nan[0])
		}
		for n := 1; n <= 40; n++ {
			in := src[len(src)/2-n/2 : len(src)/2-n/2+n]
			out := make([]float32, n+1)
			out[n] = 7
			Erf(out, in)
			for i, x := range in {
				if d := math.Abs(float64(out[i]) - math.Erf(float64(x))); d > 1e-6 {
					t.Fatalf("n=%d: erf(%g) = %g, want %g", n, x, out[i], math.Erf(float64(x)))
				}
			}
			if out[n] != 7 {
				t.Fatalf("n=%d: Erf wrote past the end", n)
			}
		}
	})
}

// TestGelu compares Gelu with x·(1 + erf(x/√2))/2 in float64 on a fine
// grid, for every implementation, in place and not, and checks the tails
// as TestErf does.
func TestGelu(t *testing.T) {
	var src []float32
	for x := -8.0; x <= 8; x += 1.0 / 512 {
		src = append(src, float32(x))
	}
	src = append(src, 1e-30, -1e-30, 0, 100, -100)
	want := func(x float32) float64 { v := float64(x); return v * (1 + math.Erf(v/math.Sqrt2)) / 2 }
	// Erf's 1e-6 times |x|/2, plus float32 rounding of the result.
	tol := func(x float32) float64 { return 1e-6*math.Abs(float64(x)) + 2e-7*math.Abs(want(x)) + 1e-30 }
	forActKinds(t, func(t *testing.T) {
		dst := make([]float32, len(src))
		Gelu(dst, src)
		for i, x := range src {
			if d := math.Abs(float64(dst[i]) - want(x)); d > tol(x) || d != d {
				t.Fatalf("gelu(%g) = %g, want %g", x, dst[i], want(x))
			}
		}
		inPlace := slices.Clone(src)
		Gelu(inPlace, inPlace)
		if !slices.Equal(inPlace, dst) {
			t.Errorf("Gelu in place differs from Gelu into another slice")
		}
		nan := []float32{float32(math.NaN())}
		if Gelu(nan, nan); nan[0] == nan[0] {
			t.Errorf("Gelu(NaN) = %g", nan[0])
		}
		for n := 1; n <= 40; n++ {
			in := src[len(src)/2-n/2 : len(src)/2-n/2+n]
			out := make([]float32, n+1)
			out[n] = 7
			Gelu(out, in)
			for i, x := range in {
				if d := math.Abs(float64(out[i]) - want(x)); d > tol(x) {
					t.Fatalf("n=%d: gelu(%g) = %g, want %g", n, x, out[i], want(x))
				}
			}
			if out[n] != 7 {
				t.Fatalf("n=%d: Gelu wrote past the end", n)
			}
		}
	})
}

// TestRowMax compares RowMax with the definition (the largest value that
// is not NaN, -Inf when there is none) for every implementation, on every
// length up to 40 and an attention row's 197, with NaNs, infinities and
// all-negative rows, the largest value at every position in turn.
func TestRowMax(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	want := func(x []float32) float32 {
		m := -inf
		for _, v := range x {
			if v > m {
				m = v
			}
		}
		return m
	}
	lengths := []int{197}
	for n := range 41 {
		lengths = append(lengths, n)
	}
	forActKinds(t, func(t *testing.T) {
		for _, n := range lengths {
			for top := range max(n, 1) {
				x := make([]float32, n)
				for i := range x {
					x[i] = -1 - float32(r.Float64()*100)
				}
				if n > 0 {
					x[top] = -0.5
				}
				check := func(what string) {
					if got, w := RowMax(x), want(x); got != w && !(got == 0 && w == 0) {
						t.Fatalf("n=%d, largest at %d, %s: RowMax %v, want %v", n, top, what, got, w)
					}
				}
				check("all negative")
				if n > 1 {
					x[(top+1)%n] = nan
					check("a NaN beside it")
					x[(top+n-1)%n] = -inf
					check("and -Inf")
					x[top] = inf
					check("+Inf")
				}
			}
		}
		if got := RowMax([]float32{nan, nan, nan}); !math.IsInf(float64(got), -1) {
			t.Errorf("all NaN: RowMax %v, want -Inf", got)
		}
	})
}

// TestExpSum compares ExpSum with float64 e^(x - shift) (within Exp's 3
// ulp, of the difference rounded to float32) and their float64 sum
// (relative 1e-6), for every implementation and every length up to 40
// and 197, and checks that nothing past len(src) is written.
func TestExpSum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	forActKinds(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 40, 197} {
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(r.Float64()*40 - 30)
			}
			shift := float32(3.25)
			dst := make([]float32, n+16)
			for i := range dst {
				dst[i] = 42
			}
			got := ExpSum(dst, src, shift)
			var sum float64
			for i, x := range src {
				w := math.Exp(float64(x - shift))
				sum += w
				if e := ulpErr(dst[i], w); e > 3 {
					t.Fatalf("n=%d: dst[%d] = %v, want %v (%.1f ulp)", n, i, dst[i], w, e)
				}
			}
			if math.Abs(float64(got)-sum) > 1e-6*sum {
				t.Errorf("n=%d: sum %v, want %v", n, got, sum)
			}
			for i := n; i < len(dst); i++ {
				if dst[i] != 42 {
					t.Fatalf("n=%d: dst[%d] written past the end: %v", n, i, dst[i])
				}
			}
		}
	})
}
