package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// refPool2D pools each plane of x, visiting every window tap and asking
// whether it lies in the input (or, for the count, in the padded input).
func refPool2D(x *tensor.Tensor, isMax, includePad bool, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow int) (*tensor.Tensor, *tensor.Tensor) {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	out := tensor.New(n, c, oh, ow)
	idx := tensor.NewInt64(n, c, oh, ow)
	for p := 0; p < n*c; p++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best, bestAt := math.Inf(-1), -1
				sum, cnt, cntPad := 0.0, 0, 0
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						y, xx := oy*sh-pt+ky*dh, ox*sw-pl+kx*dw
						if y >= -pt && y < h+pb && xx >= -pl && xx < w+pr {
							cntPad++
						}
						if y < 0 || y >= h || xx < 0 || xx >= w {
							continue
						}
						at := (p*h+y)*w + xx
						v := float64(x.F[at])
						if v > best {
							best, bestAt = v, at
						}
						sum += v
						cnt++
					}
				}
				o := (p*oh+oy)*ow + ox
				idx.I[o] = int64(bestAt)
				if isMax {
					out.F[o] = float32(best)
				} else if includePad {
					out.F[o] = float32(sum / float64(cntPad))
				} else {
					out.F[o] = float32(sum / float64(cnt))
				}
			}
		}
	}
	return out, idx
}

func TestPoolAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	type tc struct {
		h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr int
		ceil                                         bool
		oh, ow                                       int // worked out by hand
	}
	cases := map[string]tc{
		"resnet stem": {112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, 56, 56},
		"2x2":         {6, 6, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false, 3, 3},
		"asym pads":   {5, 7, 3, 2, 1, 2, 1, 1, 2, 0, 1, 1, false, 6, 4},
		"ceil":        {5, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true, 3, 3},
		"ceil pad":    {6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 4, 4},
		"dilated":     {7, 8, 2, 3, 1, 2, 2, 2, 1, 1, 1, 1, false, 7, 3},
		"ceil 1":      {4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, 2, 2},
		"inception":   {9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, 9, 10},
		"s1 dilated":  {8, 11, 2, 3, 1, 1, 2, 2, 2, 1, 0, 2, false, 8, 10},
		"s1 wide":     {3, 40, 1, 5, 1, 1, 1, 1, 0, 2, 0, 0, false, 3, 38},
		"s1 narrow":   {4, 2, 2, 3, 1, 1, 1, 1, 0, 1, 0, 1, false, 3, 2},
		// Stride-2 rows of odd and even widths and kernels (the deinterleaved
		// whole-row path, with its scalar edges).
		"s2 wide k5":  {3, 41, 1, 5, 1, 2, 1, 1, 0, 2, 0, 1, false, 3, 20},
		"s2 ceil odd": {4, 57, 2, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, 2, 28},
		"s2 k4":       {2, 36, 1, 4, 1, 2, 1, 1, 0, 1, 0, 1, false, 2, 18},
		// Stride 1, output rows as wide as the input's: MaxPool's flattened
		// rows, with edge columns on either side or one.
		"s1 flat k5":   {12, 9, 3, 5, 1, 1, 1, 1, 0, 2, 2, 2, false, 12, 9},
		"s1 flat k2":   {6, 7, 2, 2, 1, 1, 1, 1, 1, 0, 0, 1, false, 6, 7},
		"s1 flat ceil": {7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, 7, 7},
		// Strides down above 1: the inner rows' columns combined all at
		// once (GoogLeNet's stride-2 pools, and a stride of 3).
		"googlenet s2 ceil": {112, 112, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, 56, 56},
		"2x2 ceil":          {14, 14, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true, 7, 7},
		// AveragePool's 2x2 stride-2 windows summed a plane at a time
		// (pool2D.pairRows): DenseNet's transitions, a last row no
		// window reads, and an odd width (the row-by-row loop).
		"densenet transition": {56, 56, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false, 28, 28},
		"2x2 odd rows":        {7, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false, 3, 4},
		"2x2 odd width":       {6, 7, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false, 3, 3},
		"s3 down":             {10, 9, 3, 2, 3, 1, 1, 1, 1, 0, 1, 0, false, 4, 8},
		// One window over the whole plane (TensorFlow's pool before the
		// classifier: the plane's mean), and windows of the plane's size
		// that are not the whole plane (padded, or more than one output).
		"whole 7x7":      {7, 7, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, false, 1, 1},
		"whole 13x5 s2":  {13, 5, 13, 5, 2, 2, 1, 1, 0, 0, 0, 0, false, 1, 1},
		"plane size pad": {4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, false, 3, 3},
		// One value a window: a copy (vgg_small's 7x7 to 7x7).
		"1x1 identity": {7, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false, 7, 7},
		"1x1 ceil":     {5, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true, 5, 6},
		"1x1 s2":       {6, 5, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, false, 3, 3},
	}
	for name, c := range cases {
		x := randT(r, 2, 3, c.h, c.w)
		for _, isMax := range []bool{true, false} {
			for _, incl := range []bool{false, true} {
				if isMax && incl || !isMax && (c.dh > 1 || c.dw > 1) {
					continue
				}
				op := "AveragePool"
				if isMax {
					op = "MaxPool"
				}
				attrs := Attrs{
					"kernel_shape": []int64{int64(c.kh), int64(c.kw)}, "strides": []int64{int64(c.sh), int64(c.sw)},
					"pads":      []int64{int64(c.pt), int64(c.pl), int64(c.pb), int64(c.pr)},
					"ceil_mode": b2i(c.ceil), "count_include_pad": b2i(incl),
				}
				if c.dh > 1 || c.dw > 1 {
					attrs["dilations"] = []int64{int64(c.dh), int64(c.dw)}
				}
				want, wantIdx := refPool2D(x, isMax, incl, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.pt, c.pl, c.pb, c.pr, c.oh, c.ow)
				t.Run(name+"/"+op, func(t *testing.T) {
					// The 2-D path's scratch comes from the tensor pool
					// uncleared: give it NaNs, which any value it read
					// before writing would carry into the output.
					for range 4 {
						n := max(2*c.w+2, c.h*c.w)
						nan := tensor.New(n)
						for i := range nan.F {
							nan.F[i] = float32(math.NaN())
						}
						tensor.Recycle(nan)
					}
					expect(t, call{op: op, attrs: attrs}.run(t, x)[0], want, 1e-6)
					if isMax {
						// The Indices output takes the generic path.
						out := call{op: op, attrs: attrs, nout: 2}.run(t, x)
						expect(t, out[0], want, 0)
						expect(t, out[1], wantIdx, 0)
					}
				})
			}
		}
	}
}

// TestMaxPoolPlanesAgainstReference runs MaxPool over planes of 1..40
// columns (and rows of several heights), windows of 2x2 and 3x3 with strides
// 1 and 2, pads 0 and 1 and ceil mode (the shapes of the AVX-512 plane
// kernel, kernels.MaxPool2D, where the CPU has it), with -inf and zeros of
// both signs among the values, and compares exactly with the slow
// reference (windows wholly in the padding give -inf).
func TestMaxPoolPlanesAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	odd := []float32{float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for w := 1; w <= 40; w++ {
		for _, h := range []int{1, 2, w, 1 + w*5%40} {
			for k := 2; k <= 3; k++ {
				for s := 1; s <= 2; s++ {
					for pad := 0; pad <= 1; pad++ {
						for _, ceil := range []bool{false, true} {
							if h+2*pad < k || w+2*pad < k {
								continue
							}
							x := randT(r, 1, 3, h, w)
							for i := range x.F {
								if r.IntN(30) == 0 {
									x.F[i] = odd[r.IntN(len(odd))]
								}
							}
							attrs := Attrs{
								"kernel_shape": []int64{int64(k), int64(k)}, "strides": []int64{int64(s), int64(s)},
								"pads": []int64{int64(pad), int64(pad), int64(pad), int64(pad)}, "ceil_mode": b2i(ceil),
							}
							got := call{op: "MaxPool", attrs: attrs}.run(t, x)[0]
							oh, ow := got.Shape[2], got.Shape[3]
							want, _ := refPool2D(x, true, false, k, k, s, s, 1, 1, pad, pad, pad, pad, oh, ow)
							for i, v := range want.F {
								if got.F[i] != v {
									t.Fatalf("%dx%d k %d s %d pad %d ceil %v: output %d of %v is %v, want %v", h, w, k, s, pad, ceil, i, got.Shape, got.F[i], v)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestPoolSpecCases(t *testing.T) {
	x := iota32(1, 1, 4, 4)
	// SAME_UPPER, 2x2, stride 1: the last row and column see only
	// themselves and the values to their right/below... which are padding.
	got := call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "auto_pad": "SAME_UPPER"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 1, 4, 4), 5, 6, 7, 7, 9, 10, 11, 11, 13, 14, 15, 15, 13, 14, 15, 15), 0)
	got = call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "auto_pad": "SAME_LOWER"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 1, 4, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 0)
	got = call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "auto_pad": "SAME_UPPER"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 1, 4, 4), 2.5, 3.5, 4.5, 5, 6.5, 7.5, 8.5, 9, 10.5, 11.5, 12.5, 13, 12.5, 13.5, 14.5, 15), 0)
	got = call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "auto_pad": "VALID"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 1, 1, 1), 5), 0)
	// 1-D.
	got = call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2}}}.run(t, f32(dims(1, 1, 4), 1, 3, 2, 0))[0]
	expect(t, got, f32(dims(1, 1, 3), 3, 3, 2), 0)
	got = call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2}, "pads": []int64{1, 0}, "count_include_pad": int64(1)}}.run(t, f32(dims(1, 1, 3), 2, 4, 6))[0]
	expect(t, got, f32(dims(1, 1, 3), 1, 3, 5), 0)
	// 3-D: a 2x2x2 window over a 2x2x3 ramp.
	got = call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2, 2, 2}}}.run(t, iota32(1, 1, 2, 2, 3))[0]
	expect(t, got, f32(dims(1, 1, 1, 1, 2), 10, 11), 0)
	got = call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2, 2}}}.run(t, iota32(1, 1, 2, 2, 3))[0]
	expect(t, got, f32(dims(1, 1, 1, 1, 2), 5, 6), 0)
	// Integers.
	got = call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2, 2}}}.run(t, i64(dims(1, 1, 2, 2), 1, 9, -3, 4))[0]
	expect(t, got, i64(dims(1, 1, 1, 1), 9), 0)
}

func TestMaxPoolIndicesColumnMajor(t *testing.T) {
	// Column-major indices: h + w*H within the plane, plus the plane offset.
	x := iota32(1, 2, 3, 3)
	out := call{op: "MaxPool", nout: 2, attrs: Attrs{"kernel_shape": []int64{2, 2}, "strides": []int64{2, 2}, "storage_order": int64(1)}}.run(t, x)
	expect(t, out[0], f32(dims(1, 2, 1, 1), 4, 13), 0)
	expect(t, out[1], i64(dims(1, 2, 1, 1), 4, 13), 0)
	x = f32(dims(1, 1, 2, 3), 0, 0, 9, 0, 0, 0)
	out = call{op: "MaxPool", nout: 2, attrs: Attrs{"kernel_shape": []int64{2, 3}, "storage_order": int64(1)}}.run(t, x)
	expect(t, out[1], i64(dims(1, 1, 1, 1), 4), 0)
}

func TestGlobalPool(t *testing.T) {
	x := iota32(2, 2, 2, 2)
	expect(t, call{op: "GlobalAveragePool"}.run(t, x)[0], f32(dims(2, 2, 1, 1), 1.5, 5.5, 9.5, 13.5), 0)
	expect(t, call{op: "GlobalMaxPool"}.run(t, x)[0], f32(dims(2, 2, 1, 1), 3, 7, 11, 15), 0)
	expect(t, call{op: "GlobalAveragePool"}.run(t, iota32(1, 1, 5))[0], f32(dims(1, 1, 1), 2), 0)
	call{op: "GlobalAveragePool"}.errorContains(t, "N x C x spatial", tensor.New(3, 4))

	// Planes large enough to be split over the cores (EfficientNet's
	// squeeze-excitation at 56x56, and 400 planes of 7x7: the average
	// split from 16K values, parallelPlanes), against a float64 mean and
	// maximum per plane.
	for _, sh := range [][4]int{{2, 21, 56, 56}, {1, 400, 7, 7}} {
		x = randT(rand.New(rand.NewPCG(4, 5)), sh[:]...)
		size := sh[2] * sh[3]
		mean, maxv := tensor.New(sh[0], sh[1], 1, 1), tensor.New(sh[0], sh[1], 1, 1)
		for i := range mean.F {
			var s float64
			m := float32(math.Inf(-1))
			for _, v := range x.F[i*size : (i+1)*size] {
				s += float64(v)
				m = max(m, v)
			}
			mean.F[i], maxv.F[i] = float32(s/float64(size)), m
		}
		expect(t, call{op: "GlobalAveragePool"}.run(t, x)[0], mean, 1e-5)
		expect(t, call{op: "GlobalMaxPool"}.run(t, x)[0], maxv, 0)
	}
}

func TestPoolErrors(t *testing.T) {
	call{op: "MaxPool"}.errorContains(t, "kernel_shape is required", tensor.New(1, 1, 4, 4))
	call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{5, 5}}}.errorContains(t, "does not fit", tensor.New(1, 1, 4, 4))
	call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2}}}.errorContains(t, "spatial", tensor.New(1, 1, 4, 4))
	call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "strides": []int64{1}}}.errorContains(t, "strides", tensor.New(1, 1, 4, 4))
}

func BenchmarkMaxPoolStem(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randT(r, 1, 64, 112, 112)
	op, _ := Build(&Node{OpType: "MaxPool", Opset: 13, NumOutputs: 1, Attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}}})
	b.ReportAllocs()
	for b.Loop() {
		op.Run(NoBudget, []*tensor.Tensor{x})
	}
}

func TestGlobalLpPool(t *testing.T) {
	got := call{op: "GlobalLpPool"}.run(t, f32(dims(1, 1, 2), 3, 4))[0]
	expect(t, got, f32(dims(1, 1, 1), 5), 0)
}
