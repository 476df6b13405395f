package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// forEachKernel runs f once per micro-kernel this CPU (and build) supports.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	saved := active
	defer func() { active = saved }()
	for _, k := range availableKernels() {
		active = k
		t.Run(k.name, f)
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func absSlice(s []float32) []float32 {
	a := make([]float32, len(s))
	for i, v := range s {
		a[i] = float32(math.Abs(float64(v)))
	}
	return a
}

// closeTo reports the first element where got and want differ by more than
// float32 rounding can explain: tol*sqrt(k) times the magnitude mag of the
// terms summed (the same sum over absolute values).
func closeTo(got, want, mag []float32, k int) error {
	tol := 1e-5 * math.Sqrt(float64(k+1))
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > tol*float64(mag[i])+1e-6 {
			return fmt.Errorf("element %d: got %v, want %v (magnitude %v)", i, g, w, mag[i])
		}
	}
	return nil
}

func TestGemm(t *testing.T) {
	type shape struct{ m, n, k int }
	shapes := []shape{{1, 1, 1}, {1, 70, 3}, {70, 1, 5}, {3, 5, 7}, {6, 16, 1}, {7, 17, 9},
		{13, 33, 64}, {4, 4, 300}, {31, 29, 70}, {64, 64, 64}, {129, 257, 300}, {250, 40, 530}, {1, 1000, 512}, {2, 300, 129}, {3, 40, 50}}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 12; i++ {
		shapes = append(shapes, shape{1 + r.IntN(70), 1 + r.IntN(70), 1 + r.IntN(70)})
	}
	forEachKernel(t, func(t *testing.T) {
		for _, s := range shapes {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 0}, {2, -1.5}} {
						name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v", s.m, s.n, s.k, ta, tb, ab[0], ab[1])
						if err := checkGemm(r, s.m, s.n, s.k, ta, tb, ab[0], ab[1]); err != nil {
							t.Errorf("%s: %v", name, err)
						}
					}
				}
			}
		}
	})
}

// TestGemmAInPlace covers the products whose whole strips of MR rows the
// micro-kernels read from A in place (A not transposed, alpha 1; see gemm):
// every m from 1 to 70 (a partial last strip whenever m is no multiple of
// MR), depths and widths spread over 1 to 70 (column panels partial and
// whole), row strides of A wider than k, overwriting (beta 0, C full of
// NaNs) and accumulating (beta 1), and depths past shallowK and kcBlock.
func TestGemmAInPlace(t *testing.T) {
	type shape struct{ m, n, k int }
	shapes := []shape{{49, 49, 32}, {49, 32, 49}, {197, 64, 197}, {197, 197, 64}, {20, 50, 300}, {50, 33, 97}, {70, 70, 530}}
	for m := 1; m <= 70; m++ {
		shapes = append(shapes, shape{m, 1 + m*37%70, 1 + m*53%70}, shape{m, 1 + m*53%70, 1 + m*37%70})
	}
	r := rand.New(rand.NewPCG(3, 4))
	forEachKernel(t, func(t *testing.T) {
		for _, s := range shapes {
			for _, beta := range []float32{0, 1} {
				if err := checkGemm(r, s.m, s.n, s.k, false, false, 1, beta); err != nil {
					t.Errorf("%dx%dx%d/beta=%v: %v", s.m, s.n, s.k, beta, err)
				}
			}
		}
	})
}

// TestMicroKernelAInPlace checks each micro-kernel that reads A in place
// (MR rows of a row-major A, row stride lda) against the definition in
// float64: depths 1 to 70, B packed and strided, overwriting and
// accumulating, with and without the bias and clamp; nothing around the
// tile may change.
func TestMicroKernelAInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, mk := range availableKernels() {
		if !mk.aIn {
			continue
		}
		mr, nr := mk.mr, mk.nr
		for kc := 1; kc <= 70; kc++ {
			lda := kc + kc%5
			a := randSlice(r, (mr-1)*lda+kc)
			for _, ldb := range []int{0, nr + 3} {
				bw := nr // the packed panel's row
				if ldb > 0 {
					bw = ldb
				}
				b := randSlice(r, (kc-1)*bw+nr)
				for _, flags := range []int{0, kAccumulate, kBias | kClamp, kAccumulate | kBias | kClamp} {
					ldc := nr + 5
					c, bias := randSlice(r, mr*ldc), randSlice(r, mr)
					lo, hi := float32(-0.5), float32(0.6)
					got := append([]float32(nil), c...)
					mk.run(kc, a, lda, b, ldb, nil, got, ldc, flags, bias, lo, hi)
					for i := 0; i < mr; i++ {
						for j := 0; j < ldc; j++ {
							o := i*ldc + j
							if j >= nr {
								if !sameBits(got[o], c[o]) {
									t.Fatalf("%s kc=%d ldb=%d flags=%d: wrote outside the tile at row %d column %d", mk.name, kc, ldb, flags, i, j)
								}
								continue
							}
							var s, mag float64
							for p := 0; p < kc; p++ {
								s += float64(a[i*lda+p]) * float64(b[p*bw+j])
								mag += math.Abs(float64(a[i*lda+p]) * float64(b[p*bw+j]))
							}
							if flags&kAccumulate != 0 {
								s += float64(c[o])
								mag += math.Abs(float64(c[o]))
							}
							if flags&kBias != 0 {
								s += float64(bias[i])
								mag += math.Abs(float64(bias[i]))
							}
							if flags&kClamp != 0 {
								s = min(max(s, float64(lo)), float64(hi))
							}
							if d := math.Abs(float64(got[o]) - s); !(d <= 1e-5*math.Sqrt(float64(kc+1))*mag+1e-6) {
								t.Fatalf("%s kc=%d ldb=%d flags=%d: c[%d][%d] = %v, want %v", mk.name, kc, ldb, flags, i, j, got[o], s)
							}
						}
					}
				}
			}
		}
	}
}

func checkGemm(r *rand.Rand, m, n, k int, ta, tb bool, alpha, beta float32) error {
	ar, ac := m, k
	if ta {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+r.IntN(3), bc+r.IntN(3), n+r.IntN(3)
	a := randSlice(r, ar*lda)
	b := randSlice(r, br*ldb)
	c := randSlice(r, m*ldc)
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	want := append([]float32(nil), c...)
	gemmReference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	mag := absSlice(c)
	if beta == 0 {
		clear(mag)
	}
	gemmReference(ta, tb, m, n, k, float32(math.Abs(float64(alpha))), absSlice(a), lda, absSlice(b), ldb, float32(math.Abs(float64(beta))), mag, ldc)
	got := append([]float32(nil), c...)
	Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
	for i := 0; i < m; i++ {
		for j := n; j < ldc; j++ {
			if o := i*ldc + j; !sameBits(got[o], c[o]) {
				return fmt.Errorf("wrote outside C at row %d column %d", i, j)
			}
		}
	}
	return closeTo(inMatrix(got, m, n, ldc), inMatrix(want, m, n, ldc), inMatrix(mag, m, n, ldc), k)
}

// inMatrix returns the m x n matrix stored with row stride ld, packed.
func inMatrix(s []float32, m, n, ld int) []float32 {
	var out []float32
	for i := 0; i < m; i++ {
		out = append(out, s[i*ld:i*ld+n]...)
	}
	return out
}

func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// convCases is the table the convolution tests share.
func convCases() map[string]ConvParams {
	relu := Activation{Kind: ActRelu}
	clip := Activation{Kind: ActClip, Min: -0.3, Max: 0.4}
	silu := Activation{Kind: ActSiLU}
	cp := func(c, h, w, m, k, s, d, pad, g int, act Activation) ConvParams {
		return ConvParams{C: c, H: h, W: w, M: m, KH: k, KW: k, StrideH: s, StrideW: s,
			DilH: d, DilW: d, PadT: pad, PadL: pad, PadB: pad, PadR: pad, Group: g, Act: act}
	}
	cases := map[string]ConvParams{
		"1x1":                 cp(5, 7, 9, 6, 1, 1, 1, 0, 1, Activation{}),
		"1x1 s2":              cp(8, 9, 11, 12, 1, 2, 1, 0, 1, relu),
		"1x1 big N":           cp(16, 31, 23, 24, 1, 1, 1, 0, 1, clip),
		"3x3 pad1":            cp(4, 9, 10, 7, 3, 1, 1, 1, 1, relu),
		"3x3 s2 pad1":         cp(3, 13, 11, 5, 3, 2, 1, 1, 1, Activation{}),
		"3x3 nopad":           cp(6, 8, 9, 4, 3, 1, 1, 0, 1, clip),
		"3x3 dil2":            cp(3, 12, 13, 8, 3, 1, 2, 2, 1, relu),
		"3x3 s2 dil2":         cp(3, 15, 14, 5, 3, 2, 2, 1, 1, Activation{}),
		"5x5 pad2":            cp(3, 11, 12, 9, 5, 1, 1, 2, 1, Activation{}),
		"5x5 s2":              cp(2, 17, 15, 3, 5, 2, 1, 2, 1, clip),
		"7x7 s2 pad3":         cp(3, 23, 21, 10, 7, 2, 1, 3, 1, relu),
		"7x7 nopad":           cp(2, 9, 9, 3, 7, 1, 1, 0, 1, Activation{}),
		"group2 3x3":          cp(6, 9, 8, 4, 3, 1, 1, 1, 2, relu),
		"group2 1x1":          cp(8, 5, 7, 6, 1, 1, 1, 0, 2, Activation{}),
		"group4 3x3 s2":       cp(8, 11, 10, 12, 3, 2, 1, 1, 4, clip),
		"depthwise 3x3":       cp(7, 13, 11, 7, 3, 1, 1, 1, 7, clip),
		"depthwise 3x3 s2":    cp(5, 14, 13, 5, 3, 2, 1, 1, 5, relu),
		"depthwise 5x5":       cp(4, 9, 12, 4, 5, 1, 1, 2, 4, Activation{}),
		"depthwise 5x5 s2":    cp(3, 15, 17, 3, 5, 2, 1, 2, 3, clip),
		"depthwise 3x3 dil2":  cp(3, 10, 9, 3, 3, 1, 2, 2, 3, Activation{}),
		"depthwise 7x7 tiny":  cp(2, 3, 4, 2, 7, 1, 1, 3, 2, relu),
		"depthwise mult2":     cp(3, 6, 7, 6, 3, 1, 1, 1, 3, Activation{}),
		"depthwise 1x1":       cp(5, 6, 6, 5, 1, 1, 1, 0, 5, relu),
		"depthwise one row":   cp(3, 1, 20, 3, 3, 1, 1, 1, 3, clip),
		"depthwise wide":      cp(2, 5, 71, 2, 3, 1, 1, 1, 2, Activation{}),
		"deep K blocks":       cp(40, 12, 11, 20, 3, 1, 1, 1, 1, relu),
		"many M rows":         cp(8, 5, 6, 250, 3, 1, 1, 1, 1, Activation{}),
		"parallel columns":    cp(40, 24, 24, 64, 3, 1, 1, 1, 1, clip),
		"parallel rows":       cp(64, 7, 7, 256, 3, 1, 1, 1, 1, relu),
		"pixel-major":         cp(32, 12, 12, 256, 3, 1, 1, 1, 1, clip),
		"winograd":            cp(48, 28, 28, 48, 3, 1, 1, 1, 1, relu),
		"parallel depthwise":  cp(96, 28, 28, 96, 3, 1, 1, 1, 96, clip),
		"pointwise no bias":   cp(32, 14, 14, 48, 1, 1, 1, 0, 1, Activation{}),
		"1x1 split by pixels": cp(192, 14, 14, 64, 1, 1, 1, 0, 1, relu), // TestSplitPixelCols
		"1x1 shallow rows":    cp(16, 11, 13, 24, 1, 1, 1, 0, 1, relu),
		"3x3 shallow rows":    cp(8, 15, 15, 20, 3, 1, 1, 1, 1, clip),
		"kernel = input size": cp(3, 5, 5, 4, 5, 1, 1, 0, 1, Activation{}),
		"1x1 image squeeze":   cp(40, 1, 1, 10, 1, 1, 1, 0, 1, relu),
		"dw 3x3 s2 wide odd":  cp(3, 9, 37, 3, 3, 2, 1, 1, 3, relu),
		"3x3 s2 wide":         cp(4, 8, 40, 6, 3, 2, 1, 1, 1, clip),
		"1x1 s2 wide":         cp(5, 7, 33, 4, 1, 2, 1, 0, 1, Activation{}),
		"5x5 s2 wide group2":  cp(2, 11, 34, 4, 5, 2, 1, 2, 2, relu),
		"dw 3x3 s2 dil2 wide": cp(2, 9, 35, 2, 3, 2, 2, 2, 2, Activation{}),
		"1x1 image excite":    cp(10, 1, 1, 40, 1, 1, 1, 0, 1, clip),
		// Classifiers as convolutions, split over the cores: rows of
		// weights (fewer rows than columns, and more but long ones:
		// vectorRowMin) and columns of them (short rows).
		"1x1 image classifier rows":      cp(700, 1, 1, 600, 1, 1, 1, 0, 1, Activation{}),
		"1x1 image classifier long rows": cp(600, 1, 1, 700, 1, 1, 1, 0, 1, relu),
		"1x1 image classifier columns":   cp(200, 1, 1, 3000, 1, 1, 1, 0, 1, relu),
		"3x3 on 1x1 image":               cp(6, 1, 1, 5, 3, 1, 1, 1, 1, Activation{}),
		"1x1 on padded pixel":            cp(6, 1, 1, 5, 1, 1, 1, 1, 1, relu),
		// SiLU in the epilogue: shallow and deep k, whole tiles and the
		// compacted scratch, across workers, depthwise, matrix-vector.
		"1x1 silu":              cp(16, 31, 23, 24, 1, 1, 1, 0, 1, silu),
		"3x3 silu":              cp(4, 9, 10, 7, 3, 1, 1, 1, 1, silu),
		"deep K silu":           cp(40, 12, 11, 20, 3, 1, 1, 1, 1, silu),
		"parallel silu":         cp(40, 24, 24, 64, 3, 1, 1, 1, 1, silu),
		"many M rows silu":      cp(8, 5, 6, 250, 3, 1, 1, 1, 1, silu),
		"depthwise 5x5 s2 silu": cp(3, 15, 17, 3, 5, 2, 1, 2, 3, silu),
		"depthwise 5x5 7x7":     cp(6, 7, 7, 6, 5, 1, 1, 2, 6, silu),
		"1x1 image silu":        cp(40, 1, 1, 10, 1, 1, 1, 0, 1, silu),
	}
	asym := cp(3, 10, 9, 5, 3, 1, 1, 0, 1, relu)
	asym.PadT, asym.PadL, asym.PadB, asym.PadR = 1, 0, 2, 1
	cases["3x3 asymmetric pads"] = asym
	asym2 := cp(4, 11, 12, 4, 3, 2, 1, 0, 4, clip)
	asym2.PadT, asym2.PadL, asym2.PadB, asym2.PadR = 0, 1, 1, 0 // TF "SAME"
	cases["depthwise s2 asymmetric pads"] = asym2
	asym3 := cp(3, 12, 32, 3, 3, 2, 1, 0, 3, relu)
	asym3.PadT, asym3.PadL, asym3.PadB, asym3.PadR = 1, 0, 0, 1
	cases["depthwise s2 wide asymmetric pads"] = asym3
	asym4 := cp(3, 13, 41, 3, 5, 2, 1, 0, 1, clip)
	asym4.PadT, asym4.PadL, asym4.PadB, asym4.PadR = 3, 3, 1, 0
	cases["5x5 s2 wide odd pads"] = asym4
	// Non-overlapping patches (convpatch.go): sizes not multiples of the
	// patch, fewer pixels than MR, a product over two workers ending in
	// a partial panel of channels, a width copied by copy, rectangular.
	cases["patches 8x8"] = cp(3, 33, 42, 20, 8, 8, 1, 0, 1, relu)
	cases["patches 16x16 few pixels silu"] = cp(2, 48, 35, 40, 16, 16, 1, 0, 1, silu)
	cases["patches 16x16 parallel"] = cp(3, 96, 128, 100, 16, 16, 1, 0, 1, clip)
	cases["patches 12x12"] = cp(2, 24, 37, 9, 12, 12, 1, 0, 1, Activation{})
	patchRect := cp(3, 21, 40, 10, 8, 8, 1, 0, 1, relu)
	patchRect.KH, patchRect.StrideH = 4, 4
	cases["patches 4x8"] = patchRect
	rect := cp(3, 12, 10, 5, 1, 1, 1, 0, 1, Activation{})
	rect.KH, rect.KW, rect.StrideH, rect.StrideW, rect.DilW, rect.PadL, rect.PadR = 3, 5, 2, 1, 2, 4, 3
	cases["3x5 mixed strides"] = rect
	return cases
}

func TestConv(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for name, p := range convCases() {
			for _, withBias := range []bool{true, false} {
				if err := checkConv(p, withBias); err != nil {
					t.Errorf("%s bias=%v: %v", name, withBias, err)
				}
			}
		}
	})
}

// TestSplitPixelCols checks that a channel-major convolution's product of
// 7 panels of 32 pixels and 8 of 8 rows (MobileNetV2's 384->64 at 14x14;
// convCases' "1x1 split by pixels" on AVX-512 and two cores) is cut by
// columns on two workers, and a plain product of that shape by rows.
func TestSplitPixelCols(t *testing.T) {
	mk := microKernel{mr: 8, nr: 32}
	conv := gemmTask{mk: mk, m: 64, n: 224, pixelCols: true}
	if got := conv.split(2); got != splitColumns {
		t.Errorf("convolution: split %d, want columns (%d)", got, splitColumns)
	}
	plain := gemmTask{mk: mk, m: 64, n: 224}
	if got := plain.split(2); got != splitRows {
		t.Errorf("plain product: split %d, want rows (%d)", got, splitRows)
	}
}

// TestSplitChannelCols checks that a pixel-major convolution's product of
// a 7x7 image (7 panels of rows, the last a short one) to 192 channels (6
// panels), EfficientNet-B0's 1152->192, is cut by columns on two workers,
// and that of a 14x14 image (25 panels of rows) to 224 channels by rows.
func TestSplitChannelCols(t *testing.T) {
	mk := microKernel{mr: 8, nr: 32}
	if got := (&gemmTask{mk: mk, m: 52, n: 192, channelCols: true}).split(2); got != splitColumns {
		t.Errorf("7x7 image: split %d, want columns (%d)", got, splitColumns)
	}
	if got := (&gemmTask{mk: mk, m: 52, n: 192}).split(2); got != splitRows {
		t.Errorf("plain product of 52 x 192: split %d, want rows (%d)", got, splitRows)
	}
	if got := (&gemmTask{mk: mk, m: 196, n: 224, channelCols: true}).split(2); got != splitRows {
		t.Errorf("14x14 image: split %d, want rows (%d)", got, splitRows)
	}
}

// TestConvLayouts runs every GEMM convolution in both layouts (see
// gemmLayout), whichever NewConv would choose.
func TestConvLayouts(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for name, p := range convCases() {
			if p.C == p.Group && p.M == p.Group {
				continue // depthwise: no GEMM
			}
			for _, layout := range []gemmLayout{layoutChannels, layoutPixels} {
				if err := checkConvLayout(p, true, layout); err != nil {
					t.Errorf("%s layout %d: %v", name, layout, err)
				}
			}
		}
		// Layers the estimate sends to the pixel-major GEMM on AVX-512,
		// with its gathers' and transposition's remainders.
		// and strided ones of odd sizes, some of whose panels are copies
		// (their 8 pixels consecutive in a plane) and some gathers.
		// The next two: products of two k blocks walked panel by panel
		// (panelByPanel), the second SqueezeNet's classifier with fewer
		// outputs, ending in a short panel and a partial panel of columns.
		// The last two: products split by columns on two cores, whose
		// workers gather A by k rows before their first panel
		// (gemmTask.prep): MobileNetV1 0.5's 256->256 at 10x10, a
		// product of two k blocks of 152 (300 = 19 gatherUnits, a worker's
		// part starting inside the first block) ending in a short panel,
		// and one of a 7x7 image to 6 panels of channels (channelCols).
		split := []ConvParams{layer(256, 10, 256, 1, 1, 0, 1), layer(300, 5, 512, 1, 1, 0, 1), layer(300, 7, 192, 1, 1, 0, 1)}
		for _, p := range append([]ConvParams{layer(40, 7, 70, 1, 1, 0, 1), layer(24, 9, 100, 3, 1, 1, 1),
			layer(24, 15, 72, 3, 2, 1, 1), layer(20, 27, 80, 1, 2, 0, 1), layer(9, 29, 40, 5, 2, 2, 1),
			layer(300, 7, 64, 1, 1, 0, 1), layer(512, 13, 100, 1, 1, 0, 1)}, split...) {
			for _, withBias := range []bool{true, false} {
				if err := checkConvLayout(p, withBias, layoutPixels); err != nil {
					t.Errorf("%+v bias=%v: %v", p, withBias, err)
				}
			}
		}
		for name, byRow := range map[string]bool{"1x1 image classifier rows": true, "1x1 image classifier long rows": true, "1x1 image classifier columns": false} {
			p := convCases()[name]
			if c := NewConv(p, make([]float32, p.M*p.C), nil); c.vec == nil || c.vecByRow != byRow {
				t.Errorf("%s: not on the matrix-vector path by rows = %v", name, byRow)
			}
		}
		for _, p := range split {
			c := newConv(p, make([]float32, p.M*p.C), nil, layoutPixels)
			rows := c.pix.rows
			t2 := gemmTask{mk: c.mk, m: productRows(c.mk, c.oh*c.ow), n: c.pix.npad, channelCols: true}
			if w := workersFor(2 * rows * c.pix.npad * c.kg); w > 1 && t2.split(w) != splitColumns {
				t.Errorf("%+v: the product on %d workers is not split by columns", p, w)
			}
		}
	})
	// The products of those two layers (56 and 176 rows, one image), and
	// of two images of the first (TestConvRunBatch), are walked panel by
	// panel; seven images of it, 344 rows, are not.
	for _, c := range []struct{ m, k int }{{56, 300}, {176, 512}, {104, 300}} {
		if !panelByPanel(c.m, c.k, 8) {
			t.Errorf("a product of %d rows and depth %d is not walked panel by panel", c.m, c.k)
		}
	}
	if panelByPanel(344, 300, 8) || panelByPanel(176, 256, 8) {
		t.Error("a product of more than one block of rows or of one k block is walked panel by panel")
	}
	if NewConv(convCases()["pixel-major"], make([]float32, 256*32*9), nil).pix == nil && active.kind == kindAVX512 {
		t.Error("a 3x3 convolution of a 12x12 image to 256 channels does not use the pixel-major GEMM")
	}
	if active.kind == kindAVX512 {
		// ResNet-18's layer3 stride-2 convolutions: 14x14 outputs, whose
		// panels are half copies.
		for _, p := range []ConvParams{layer(128, 28, 256, 3, 2, 1, 1), layer(128, 28, 256, 1, 2, 0, 1)} {
			if NewConv(p, make([]float32, 256*128*p.KH*p.KW), nil).pix == nil {
				t.Errorf("%dx%d stride 2 128->256 at 28x28 does not use the pixel-major GEMM", p.KH, p.KW)
			}
		}
	}
	if NewConv(layer(512, 28, 512, 3, 1, 1, 1), make([]float32, 512*512*9), nil).pix != nil {
		t.Error("a 3x3 convolution of a 28x28 image of 512 channels gathers 14 MB for the pixel-major GEMM")
	}
}

func convInputs(p ConvParams, withBias bool, seed uint64) (src, w, bias []float32) {
	r := rand.New(rand.NewPCG(seed, uint64(p.C*p.M)))
	src = randSlice(r, p.C*p.H*p.W)
	w = randSlice(r, p.M*p.C/p.Group*p.KH*p.KW)
	if withBias {
		bias = randSlice(r, p.M)
	}
	return src, w, bias
}

func checkConv(p ConvParams, withBias bool) error {
	return checkConvLayout(p, withBias, layoutAuto)
}

func checkConvLayout(p ConvParams, withBias bool, layout gemmLayout) error {
	src, w, bias := convInputs(p, withBias, 3)
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
	got, past := fenced(len(want))
	newConv(p, w, bias, layout).Run(got, src)
	if err := past(); err != nil {
		return err
	}
	return closeTo(got, want, mag, p.C/p.Group*p.KH*p.KW)
}

// fenced returns an output of n values followed by a few NaNs, and a
// check that reports a run that wrote past the n values.
func fenced(n int) (out []float32, past func() error) {
	out = make([]float32, n+5)
	for i := range out {
		out[i] = float32(math.NaN())
	}
	return out, func() error {
		for i := n; i < len(out); i++ {
			if !math.IsNaN(float64(out[i])) {
				return fmt.Errorf("wrote past the output at %d", i)
			}
		}
		return nil
	}
}

func TestConvConcurrent(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, name := range []string{"parallel columns", "parallel depthwise", "7x7 s2 pad3", "parallel rows", "pixel-major", "winograd"} {
			p := convCases()[name]
			src, w, bias := convInputs(p, true, 5)
			conv := NewConv(p, w, bias)
			oh, ow := p.OutSize()
			want := make([]float32, p.M*oh*ow)
			conv.Run(want, src)
			var wg sync.WaitGroup
			errs := make([]error, 6)
			for g := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got := make([]float32, len(want))
					for rep := 0; rep < 3; rep++ {
						conv.Run(got, src)
						for i := range got {
							if !sameBits(got[i], want[i]) {
								errs[g] = fmt.Errorf("goroutine %d run %d: element %d is %v, want %v", g, rep, i, got[i], want[i])
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
	})
}

func TestConvRejectsInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewConv accepted a group that does not divide C")
		}
	}()
	NewConv(ConvParams{C: 3, H: 4, W: 4, M: 2, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Group: 2}, make([]float32, 6), nil)
}

// TestGemmSerial: GemmSerial gives Gemm's results bit for bit (the same
// blocking and kernels, on one goroutine), on a product large enough for
// Gemm to split, and GemmWorkers says which products Gemm splits.
func TestGemmSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 97, 301, 283
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	forEachKernel(t, func(t *testing.T) {
		want, got := make([]float32, m*n), make([]float32, m*n)
		Gemm(false, false, m, n, k, 1.5, a, k, b, n, 0, want, n)
		GemmSerial(false, false, m, n, k, 1.5, a, k, b, n, 0, got, n)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("c[%d] = %g, Gemm gives %g", i, got[i], want[i])
			}
		}
	})
	// A batch-1 classifier (512 -> 1000) splits over the cores, with the
	// bits of one core's product.
	fa, fw := randSlice(r, 512), randSlice(r, 512*1000)
	for _, tb := range []bool{false, true} {
		want, got := make([]float32, 1000), make([]float32, 1000)
		ldb := 1000
		if tb {
			ldb = 512
		}
		GemmSerial(false, tb, 1, 1000, 512, 1, fa, 512, fw, ldb, 0, want, 1000)
		Gemm(false, tb, 1, 1000, 512, 1, fa, 512, fw, ldb, 0, got, 1000)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("classifier, transB %v: c[%d] = %g, one core gives %g", tb, i, got[i], want[i])
			}
		}
	}
	if w, p := GemmWorkers(1, 1000, 512), runtime.GOMAXPROCS(0); w != min(p, 4) {
		t.Errorf("GemmWorkers(1, 1000, 512) = %d, want GOMAXPROCS %d", w, p)
	}
	if w := GemmWorkers(2, 2, 2); w != 1 {
		t.Errorf("GemmWorkers(2, 2, 2) = %d, want 1", w)
	}
	if w, p := GemmWorkers(1024, 1024, 1024), runtime.GOMAXPROCS(0); w != p {
		t.Errorf("GemmWorkers(1024, 1024, 1024) = %d, want GOMAXPROCS %d", w, p)
	}
}

// TestGemmBias checks GemmBias against the reference product, with the bias
// added and Gelu taken in float64 afterwards: shallow and deep k (one and
// several k blocks), a few rows (the matrix-vector path), k = 0, transposed
// B, and row strides wider than the rows (nothing written past them).
func TestGemmBias(t *testing.T) {
	type shape struct{ m, n, k int }
	shapes := []shape{{1, 40, 7}, {2, 300, 129}, {3, 5, 0}, {7, 17, 9}, {13, 33, 64}, {31, 29, 70},
		{197, 96, 192}, {129, 257, 300}, {250, 40, 530}, {64, 600, 96}}
	r := rand.New(rand.NewPCG(7, 8))
	gelu := func(v float64) float64 { return v * (1 + math.Erf(v/math.Sqrt2)) / 2 }
	forEachKernel(t, func(t *testing.T) {
		for _, s := range shapes {
			for _, tb := range []bool{false, true} {
				for _, withGelu := range []bool{false, true} {
					name := fmt.Sprintf("%dx%dx%d/tB=%v/gelu=%v", s.m, s.n, s.k, tb, withGelu)
					br, bc := s.k, s.n
					if tb {
						br, bc = s.n, s.k
					}
					lda, ldb, ldc := s.k+r.IntN(3), bc+r.IntN(3), s.n+r.IntN(3)
					a, b, bias := randSlice(r, s.m*lda), randSlice(r, br*ldb), randSlice(r, s.n)
					c := make([]float32, s.m*ldc)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					z, mag := make([]float32, s.m*s.n), make([]float32, s.m*s.n)
					gemmReference(false, tb, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, z, s.n)
					gemmReference(false, tb, s.m, s.n, s.k, 1, absSlice(a), lda, absSlice(b), ldb, 0, mag, s.n)
					GemmBias(tb, s.m, s.n, s.k, a, lda, b, ldb, bias, withGelu, c, ldc)
					tol := 1e-5 * math.Sqrt(float64(s.k+1))
					for i := range s.m {
						for j := range ldc {
							got := float64(c[i*ldc+j])
							if j >= s.n {
								if !math.IsNaN(got) {
									t.Fatalf("%s: wrote outside C at row %d column %d", name, i, j)
								}
								continue
							}
							v := float64(z[i*s.n+j]) + float64(bias[j])
							e := tol*float64(mag[i*s.n+j]+float32(math.Abs(float64(bias[j])))) + 1e-6
							want := v
							if withGelu {
								// Gelu's slope is below 1.13; its own error is Erf's.
								want, e = gelu(v), 1.13*e+1e-6*math.Abs(v)+2e-7*math.Abs(gelu(v))
							}
							if math.IsNaN(got) || math.Abs(got-want) > e {
								t.Fatalf("%s: c[%d][%d] = %v, want %v", name, i, j, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// TestInterleaveRows checks each kernel's merge of even and odd rows
// against the definition, for rows of every length up to past two
// vectors, and that nothing around the rows is written.
func TestInterleaveRows(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 5))
		for n := 1; n <= 40; n++ {
			for _, rows := range []int{1, 3} {
				ds, es, os := 2*n+3, n+5, n+2
				even, odd := randSlice(r, (rows-1)*es+n), randSlice(r, (rows-1)*os+n)
				dst := make([]float32, rows*ds+1)
				for i := range dst {
					dst[i] = float32(math.NaN())
				}
				InterleaveRows(dst, ds, even, es, odd, os, rows, n)
				for i := 0; i < rows; i++ {
					for j := 0; j < ds; j++ {
						want := float32(math.NaN())
						if j < 2*n && j%2 == 0 {
							want = even[i*es+j/2]
						} else if j < 2*n {
							want = odd[i*os+j/2]
						}
						if got := dst[i*ds+j]; got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
							t.Fatalf("n=%d rows=%d: dst[%d][%d] = %v, want %v", n, rows, i, j, got, want)
						}
					}
				}
			}
		}
	})
}

// TestDeinterleaveRows checks each kernel's stride-2 split of rows (plane
// preparation) against the definition, for rows of every length up to
// past two vectors, and that nothing around the rows is written.
func TestDeinterleaveRows(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 4))
		for n := 1; n <= 40; n++ {
			for _, rows := range []int{1, 3} {
				ss, es, os := 2*n+3, n+5, n+2
				src := randSlice(r, (rows-1)*ss+2*n)
				even, odd := make([]float32, rows*es+1), make([]float32, rows*os+1)
				for i := range even {
					even[i] = float32(math.NaN())
				}
				for i := range odd {
					odd[i] = float32(math.NaN())
				}
				deinterleaveRows(active.kind, even, es, odd, os, src, ss, rows, n)
				for i := 0; i < rows; i++ {
					for j := 0; j < es; j++ {
						want := float32(math.NaN())
						if j < n {
							want = src[i*ss+2*j]
						}
						if got := even[i*es+j]; got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
							t.Fatalf("n=%d rows=%d: even[%d][%d] = %v, want %v", n, rows, i, j, got, want)
						}
					}
					for j := 0; j < os; j++ {
						want := float32(math.NaN())
						if j < n {
							want = src[i*ss+2*j+1]
						}
						if got := odd[i*os+j]; got != want && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
							t.Fatalf("n=%d rows=%d: odd[%d][%d] = %v, want %v", n, rows, i, j, got, want)
						}
					}
				}
			}
		}
	})
}
