package cam

import (
	"context"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

// plainOcclusion is the occlusion-sensitivity map of class k written out
// the long way: every square of side win at top-left corners from 0 to
// n - win in ceil((n - win) / stride) equal steps, rounded to the nearest
// pixel, the input copied with each channel of the square's
// pixels set to 0, one forward pass each, and each pixel's drops in the
// probability of k averaged over the squares that cover it.
func plainOcclusion(t *testing.T, e *Explainer, x *tensor.Tensor, win, stride, k int) []float64 {
	t.Helper()
	c, h, w := x.Shape[1], x.Shape[2], x.Shape[3]
	prob := func(in *tensor.Tensor) float64 {
		out, err := e.Model.Run(context.Background(), map[string]*tensor.Tensor{e.Model.Inputs[0].Name: in}, e.Head.Logits)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(out[e.Head.Logits].F))
		for i, f := range out[e.Head.Logits].F {
			v[i] = float64(f)
		}
		return plainSoftmax(v)[k]
	}
	starts := func(n int) []int {
		steps := math.Ceil(float64(n-win) / float64(stride))
		s := []int{0}
		for i := 1.0; i <= steps; i++ {
			s = append(s, int(math.Round(i*float64(n-win)/steps)))
		}
		return s
	}
	base := prob(x)
	sum, count := make([]float64, h*w), make([]float64, h*w)
	for _, y0 := range starts(h) {
		for _, x0 := range starts(w) {
			in := tensor.New(x.Shape...)
			for ch := range c {
				for y := range h {
					for xx := range w {
						i := (ch*h+y)*w + xx
						if !(y >= y0 && y < y0+win && xx >= x0 && xx < x0+win) {
							in.F[i] = x.F[i]
						}
					}
				}
			}
			d := base - prob(in)
			for y := y0; y < y0+win; y++ {
				for xx := x0; xx < x0+win; xx++ {
					sum[y*w+xx] += d
					count[y*w+xx]++
				}
			}
		}
	}
	for i := range sum {
		sum[i] /= count[i]
	}
	return sum
}

// TestOcclusionMatchesPlainLoop checks the occlusion map of vgg_small on
// the reference input against the plain loop, for the top class and
// another, with a square whose steps do not reach the far edge (so the
// last square is placed at it).
func TestOcclusionMatchesPlainLoop(t *testing.T) {
	_, input := loadRef(t)
	e, err := New(sharedModel(t, "reference", "vgg_small"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var progress []int
	opt := Options{Occlusion: OcclusionOptions{Window: 60, Stride: 40, Progress: func(done, total int) { progress = append(progress, done, total) }}}
	p, err := e.ForwardOptions(context.Background(), input, Occlusion, opt)
	if err != nil {
		t.Fatal(err)
	}
	// 224 - 60 = 164 in ceil(164/40) = 5 steps: corners 0, 33, 66, 98,
	// 131 and 164 on each axis.
	if p.occlusion.Passes != 36 || len(progress) != 10 || progress[8] != 36 || progress[9] != 36 {
		t.Errorf("%d passes, progress %v; want 36 in batches of %d", p.occlusion.Passes, progress, occlusionBatch)
	}
	for _, k := range []int{p.Top(1)[0].Index, 7} {
		m, weights, err := p.MapAndWeights(k)
		if err != nil {
			t.Fatal(err)
		}
		if m.W != 224 || m.H != 224 || weights != nil {
			t.Fatalf("map %dx%d with weights %v; want 224x224 at the input's resolution, no weights", m.W, m.H, weights)
		}
		checkMap(t, "occlusion", m, plainOcclusion(t, e, input, 60, 40, k))
	}
}

// TestOccludeLayouts checks that a square greys the same pixels of an
// NHWC input as of its NCHW transpose, is clipped to the input, and
// leaves the input itself alone.
func TestOccludeLayouts(t *testing.T) {
	const c, h, w = 3, 5, 6
	nchw, nhwc := tensor.New(1, c, h, w), tensor.New(1, h, w, c)
	for ch := range c {
		for y := range h {
			for x := range w {
				v := float32(1 + ch*100 + y*10 + x)
				nchw.F[(ch*h+y)*w+x], nhwc.F[(y*w+x)*c+ch] = v, v
			}
		}
	}
	r := image.Rect(4, -2, 9, 2)
	a, b := Occlude(nchw, false, r), Occlude(nhwc, true, r)
	zeros := 0
	for ch := range c {
		for y := range h {
			for x := range w {
				av, bv := a.F[(ch*h+y)*w+x], b.F[(y*w+x)*c+ch]
				want := float32(1 + ch*100 + y*10 + x)
				if x >= 4 && y < 2 {
					want = 0
					zeros++
				}
				if av != want || bv != want {
					t.Errorf("channel %d pixel (%d,%d): NCHW %v, NHWC %v; want %v", ch, x, y, av, bv, want)
				}
			}
		}
	}
	if zeros != c*2*2 || nchw.F[4] == 0 || nhwc.F[(4)*c] == 0 {
		t.Errorf("%d values greyed, or the input changed", zeros)
	}
}

// TestOcclusionOptions checks the default square, the refusals and that
// the map takes no eigen-smoothing or augmentation.
func TestOcclusionOptions(t *testing.T) {
	if win, stride := OcclusionWindow(224, 224); win != 32 || stride != 16 {
		t.Errorf("default square %d step %d for 224, want 32 and 16", win, stride)
	}
	if win, stride := OcclusionWindow(64, 80); win != 9 || stride != 4 {
		t.Errorf("default square %d step %d for 64x80, want 9 and 4", win, stride)
	}
	if got := positions(224, 32, 16); len(got) != 13 || got[1] != 16 || got[12] != 192 {
		t.Errorf("positions(224, 32, 16) = %v, want 0 to 192 by 16", got)
	}
	if (Options{EigenSmooth: true}).Check(Occlusion) == nil || (Options{AugSmooth: true}).Check(Occlusion) == nil {
		t.Error("Occlusion accepted a smoothing")
	}
	_, input := loadRef(t)
	e, err := New(sharedModel(t, "reference", "vgg_small"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Occlusion(context.Background(), input, nil, false, OcclusionOptions{Window: 225}); err == nil {
		t.Error("a square larger than the input was accepted")
	}
	if _, err := e.Occlusion(context.Background(), input, nil, false, OcclusionOptions{Window: 8, Stride: 9}); err == nil || !strings.Contains(err.Error(), "every pixel") {
		t.Errorf("a step longer than the square, leaving pixels no square covers: %v", err)
	}
}

// TestOcclusionNoEdgeSeam: the squares' corners reach the far edge in
// steps of at most the stride that differ by at most a pixel, so the band
// the last square covers alone is as wide as the first's (no sliver of a
// few pixels, the seam of 160 then 164 for 60 by 40 on 224), and every
// pixel of the map is covered.
func TestOcclusionNoEdgeSeam(t *testing.T) {
	for _, c := range []struct{ n, win, stride int }{{224, 60, 40}, {224, 32, 16}, {64, 9, 4}, {80, 9, 4}, {224, 224, 16}, {7, 3, 3}, {300, 43, 21}} {
		p := positions(c.n, c.win, c.stride)
		if p[0] != 0 || p[len(p)-1] != c.n-c.win || !slices.IsSorted(p) {
			t.Errorf("%+v: corners %v, want 0 to %d", c, p, c.n-c.win)
			continue
		}
		lo, hi := c.n, 0
		for i := 1; i < len(p); i++ {
			d := p[i] - p[i-1]
			lo, hi = min(lo, d), max(hi, d)
		}
		if len(p) > 1 && (hi > c.stride || hi-lo > 1 || lo < 1) {
			t.Errorf("%+v: corners %v, steps %d to %d; want steps of at most %d differing by at most 1", c, p, lo, hi, c.stride)
		}
		if want := (c.n - c.win + c.stride - 1) / c.stride; len(p) != want+1 {
			t.Errorf("%+v: %d squares, want %d", c, len(p), want+1)
		}
		// The band of the last square alone is as wide as the first's,
		// give or take the pixel of rounding.
		if len(p) > 1 {
			first, last := p[1], c.n-(p[len(p)-2]+c.win)
			if last < first-1 || last > first+1 {
				t.Errorf("%+v: the first square alone covers %d pixels, the last %d", c, first, last)
			}
		}
	}
}
