package faithfulness

import (
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"camscope/inference/cam"
	"camscope/inference/tensor"
)

// linearModel is a stand-in model: p(x) = sigmoid(sum_j a_j x_j + b),
// whatever the class, with weights favouring the centre of the image, so
// masks change it in ways a test can compute by hand.
type linearModel struct {
	a []float64
	b float64
}

func newLinearModel(c, h, w int) *linearModel {
	m := &linearModel{a: make([]float64, c*h*w), b: -0.5}
	for ch := range c {
		for y := range h {
			for x := range w {
				dy, dx := float64(y)-float64(h-1)/2, float64(x)-float64(w-1)/2
				m.a[(ch*h+y)*w+x] = math.Exp(-(dx*dx+dy*dy)/4) * float64(ch+1) / 3
			}
		}
	}
	return m
}

func (m *linearModel) prob(x []float32) float64 {
	s := m.b
	for j, v := range x {
		s += m.a[j] * float64(v)
	}
	return 1 / (1 + math.Exp(-s))
}

func (m *linearModel) scorer(runs *int) Scorer {
	return func(ctx context.Context, inputs []*tensor.Tensor, k int) ([]float64, error) {
		out := make([]float64, len(inputs))
		for i, x := range inputs {
			out[i] = m.prob(x.F)
			*runs++
		}
		return out, nil
	}
}

// testPhoto is a 3 x h x w input of values in [-1, 2].
func testPhoto(t *testing.T, h, w int, runs *int) (*Photo, *linearModel) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(1, 3, h, w)
	for i := range x.F {
		x.F[i] = float32(rng.Float64()*3 - 1)
	}
	m := newLinearModel(3, h, w)
	p, err := NewPhoto(context.Background(), m.scorer(runs), x, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

func randomSaliency(w, h int, seed uint64) Saliency {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := Saliency{W: w, H: h, Data: make([]float32, w*h)}
	for i := range s.Data {
		s.Data[i] = float32(rng.IntN(5)) / 4 // ties on purpose
	}
	return s
}

func TestConfidenceMatchesDefinition(t *testing.T) {
	var runs int
	p, m := testPhoto(t, 6, 5, &runs)
	s := randomSaliency(5, 6, 3)
	got, err := p.Confidence(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// x' = x * M in every channel, by hand.
	x := append([]float32(nil), p.X.F...)
	for c := range 3 {
		for i := range 30 {
			x[c*30+i] *= s.Data[i]
		}
	}
	p0, p1 := m.prob(p.X.F), m.prob(x)
	if math.Abs(got.Masked-p1) > 1e-12 || math.Abs(p.Prob-p0) > 1e-12 {
		t.Fatalf("p(x) %v p(x*M) %v, want %v %v", p.Prob, got.Masked, p0, p1)
	}
	if want := math.Max(0, p0-p1) / p0; math.Abs(got.Drop-want) > 1e-12 || got.Increase != (p1 > p0) {
		t.Fatalf("drop %v increase %v, want %v %v", got.Drop, got.Increase, want, p1 > p0)
	}
}

// slowOrder picks the remaining pixel of largest value, the first of
// equals, again and again.
func slowOrder(s Saliency) []int {
	used := make([]bool, len(s.Data))
	var order []int
	for range s.Data {
		best := -1
		for i, v := range s.Data {
			if !used[i] && (best < 0 || v > s.Data[best]) {
				best = i
			}
		}
		used[best] = true
		order = append(order, best)
	}
	return order
}

// slowBlur is the 2-D Gaussian blur written as one double sum per pixel.
func slowBlur(x []float32, c, h, w int) []float32 {
	out := make([]float32, len(x))
	var norm float64
	for dy := -5; dy <= 5; dy++ {
		for dx := -5; dx <= 5; dx++ {
			norm += math.Exp(-float64(dx*dx+dy*dy) / 50)
		}
	}
	for ch := range c {
		for y := range h {
			for xx := range w {
				var v float64
				for dy := -5; dy <= 5; dy++ {
					for dx := -5; dx <= 5; dx++ {
						yy, xc := min(max(y+dy, 0), h-1), min(max(xx+dx, 0), w-1)
						v += math.Exp(-float64(dx*dx+dy*dy)/50) / norm * float64(x[(ch*h+yy)*w+xc])
					}
				}
				out[(ch*h+y)*w+xx] = float32(v)
			}
		}
	}
	return out
}

func TestDeletionAndInsertionMatchDefinition(t *testing.T) {
	var runs int
	p, m := testPhoto(t, 6, 5, &runs)
	s := randomSaliency(5, 6, 4)
	n := 30
	blurred := slowBlur(p.X.F, 3, 6, 5)
	for _, steps := range []int{1, 7, 30} {
		del, err := p.Deletion(context.Background(), s, steps)
		if err != nil {
			t.Fatal(err)
		}
		ins, err := p.Insertion(context.Background(), s, steps)
		if err != nil {
			t.Fatal(err)
		}
		order := slowOrder(s)
		var wantDel, wantIns float64
		prevD, prevI, prevF := 0.0, 0.0, 0.0
		for i := 0; i <= steps; i++ {
			changed := map[int]bool{}
			for _, j := range order[:i*n/steps] {
				changed[j] = true
			}
			xd := append([]float32(nil), p.X.F...)
			xi := append([]float32(nil), blurred...)
			for c := range 3 {
				for j := range n {
					if changed[j] {
						xd[c*n+j] = 0
						xi[c*n+j] = p.X.F[c*n+j]
					}
				}
			}
			f := float64(i*n/steps) / float64(n)
			pd, pi := m.prob(xd), m.prob(xi)
			if math.Abs(del.Probs[i]-pd) > 1e-12 || math.Abs(ins.Probs[i]-pi) > 1e-6 || del.Fractions[i] != f {
				t.Fatalf("%d steps, step %d: deletion %v insertion %v at %v, want %v %v at %v", steps, i, del.Probs[i], ins.Probs[i], del.Fractions[i], pd, pi, f)
			}
			if i > 0 {
				wantDel += (f - prevF) * (pd + prevD) / 2
				wantIns += (f - prevF) * (pi + prevI) / 2
			}
			prevD, prevI, prevF = pd, pi, f
		}
		if math.Abs(del.AUC-wantDel) > 1e-12 || math.Abs(ins.AUC-wantIns) > 1e-6 {
			t.Fatalf("%d steps: AUCs %v %v, want %v %v", steps, del.AUC, ins.AUC, wantDel, wantIns)
		}
	}
}

func TestPhotoRunsEachInputOnce(t *testing.T) {
	var runs int
	p, _ := testPhoto(t, 6, 5, &runs)
	ctx := context.Background()
	a, b := randomSaliency(5, 6, 5), randomSaliency(5, 6, 6)
	if _, err := p.Deletion(ctx, a, 10); err != nil {
		t.Fatal(err)
	}
	// The unmasked input ran at NewPhoto: deletion's first step is free.
	if runs != 1+10 || p.Passes() != runs {
		t.Fatalf("%d runs (%d passes counted) after one deletion curve of 10 steps, want 11", runs, p.Passes())
	}
	if _, err := p.Deletion(ctx, a, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Insertion(ctx, a, 10); err != nil {
		t.Fatal(err)
	}
	// The same map again costs nothing; insertion's last step is the input.
	if runs != 1+10+10 {
		t.Fatalf("%d runs, want 21", runs)
	}
	if _, err := p.Deletion(ctx, b, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Insertion(ctx, b, 10); err != nil {
		t.Fatal(err)
	}
	// Another map shares the blank input and the blurred copy.
	if runs != 21+9+9 {
		t.Fatalf("%d runs, want 39", runs)
	}
}

func TestPercentileIsNumpys(t *testing.T) {
	v := []float32{4, 1, 3, 2}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {10, 1.3}, {50, 2.5}, {90, 3.7}, {100, 4}} {
		if got := Percentile(v, c.q); math.Abs(float64(got)-c.want) > 1e-6 {
			t.Errorf("percentile %v of %v = %v, want %v (numpy)", c.q, v, got, c.want)
		}
	}
}

func TestROADMatchesDefinition(t *testing.T) {
	var runs int
	p, m := testPhoto(t, 6, 5, &runs)
	s := randomSaliency(5, 6, 8)
	for i := range s.Data {
		s.Data[i] += float32(i) / 1000 // no ties at the thresholds
		s.Data[i] /= 1.1
	}
	got, err := p.ROAD(context.Background(), s, 42)
	if err != nil {
		t.Fatal(err)
	}
	// The same noise, drawn in the same order: channel by channel, the
	// removed pixels in row-major order, MoRF then LeRF at each percentile.
	rng := rand.New(rand.NewPCG(42, 0x524f4144))
	var morf, lerf float64
	for qi, q := range []float64{10, 20, 30, 40, 50, 60, 70, 80, 90} {
		for side := range 2 {
			vals := make([]float64, 30)
			for i, v := range s.Data {
				vals[i] = float64(v)
				if side == 1 {
					vals[i] = 1 - float64(v)
				}
			}
			sorted := append([]float64(nil), vals...)
			for i := range sorted {
				for j := i + 1; j < len(sorted); j++ {
					if sorted[j] < sorted[i] {
						sorted[i], sorted[j] = sorted[j], sorted[i]
					}
				}
			}
			pos := q / 100 * 29
			thr := sorted[int(pos)] + (pos-math.Floor(pos))*(sorted[min(int(pos)+1, 29)]-sorted[int(pos)])
			keep := make([]bool, 30)
			for i, v := range vals {
				keep[i] = float32(v) < float32(thr)
			}
			x := append([]float32(nil), p.X.F...)
			filled := denseFill(p.X.F, false, keep, 3, 6, 5)
			for c := range 3 {
				for i := range 30 {
					if !keep[i] {
						x[c*30+i] = float32(filled[c][i] + 0.01*rng.NormFloat64())
					}
				}
			}
			d := m.prob(x) - p.Prob
			g := got.MoRF[qi]
			if side == 1 {
				g = got.LeRF[qi]
				lerf += d
			} else {
				morf += d
			}
			if math.Abs(g-d) > 1e-5 {
				t.Fatalf("percentile %v side %d: change %v, want %v", q, side, g, d)
			}
		}
	}
	if want := (lerf/9 - morf/9) / 2; math.Abs(got.Combined-want) > 1e-5 {
		t.Fatalf("combined %v, want %v", got.Combined, want)
	}
}

func TestSpearmanKnownValue(t *testing.T) {
	a := Saliency{W: 5, H: 1, Data: []float32{1, 2, 3, 4, 5}}
	b := Saliency{W: 5, H: 1, Data: []float32{5, 6, 7, 8, 7}}
	// scipy.stats.spearmanr: ranks of b are 1, 2, 3.5, 5, 3.5.
	if got, _ := Spearman(a, b); math.Abs(got-8/math.Sqrt(95)) > 1e-12 {
		t.Fatalf("Spearman %v, want %v", got, 8/math.Sqrt(95))
	}
	rev := Saliency{W: 5, H: 1, Data: []float32{5, 4, 3, 2, 1}}
	if got, _ := Spearman(a, rev); got != -1 {
		t.Fatalf("Spearman with the reverse %v, want -1", got)
	}
	if _, err := Spearman(a, Saliency{W: 1, H: 5, Data: a.Data}); err == nil {
		t.Fatal("maps of different sizes correlated")
	}
}

func TestLocaliseByHand(t *testing.T) {
	s := Saliency{W: 8, H: 6, Data: make([]float32, 48)}
	// A blob at x 1..3, y 1..2 (peak at (2,1)) and a weak one at (6,4).
	for y := 1; y <= 2; y++ {
		for x := 1; x <= 3; x++ {
			s.Data[y*8+x] = 0.5
		}
	}
	s.Data[1*8+2] = 1
	s.Data[4*8+6] = 0.1 // under 20% of the maximum
	l, err := Localise(s, image.Rect(0, 0, 4, 4))
	if err != nil {
		t.Fatal(err)
	}
	if l.Box != image.Rect(1, 1, 4, 3) || !l.Hit || math.Abs(l.IoU-6.0/16) > 1e-12 {
		t.Fatalf("got %+v, want box (1,1)-(4,3), a hit, IoU 6/16", l)
	}
	l, _ = Localise(s, image.Rect(4, 2, 8, 6))
	if l.Hit || l.IoU != 0 {
		t.Fatalf("a box away from the blob: %+v, want a miss and IoU 0", l)
	}
	if l, _ = Localise(Saliency{W: 8, H: 6, Data: make([]float32, 48)}, image.Rect(0, 0, 1, 1)); l.Hit {
		t.Fatal("a flat map pointed at the first pixel")
	}
}

func TestHostileInputIsRefused(t *testing.T) {
	var runs int
	p, _ := testPhoto(t, 6, 5, &runs)
	ctx := context.Background()
	good := randomSaliency(5, 6, 1)
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"map of the wrong size", func() error { _, err := p.Deletion(ctx, randomSaliency(6, 5, 1), 10); return err }, "input is 5x6"},
		{"zero steps", func() error { _, err := p.Insertion(ctx, good, 0); return err }, "1 to 10000 steps"},
		{"unplaced map", func() error {
			_, err := p.Confidence(ctx, Saliency{W: 5, H: 6, Data: make([]float32, 30)[:29]})
			return err
		}, "place the map"},
		{"map above 1", func() error {
			bad := Saliency{W: 5, H: 6, Data: append([]float32(nil), good.Data...)}
			bad.Data[3] = 7
			_, err := p.ROAD(ctx, bad, 1)
			return err
		}, "lies in [0,1]"},
		{"NaN map", func() error {
			_, err := Place(cam.Map{W: 2, H: 1, Data: []float32{1, float32(math.NaN())}}, 5, 6)
			return err
		}, "NaN"},
		{"empty map", func() error { _, err := Place(cam.Map{}, 5, 6); return err }, "at least one cell"},
		{"NaN saliency", func() error {
			_, err := Localise(Saliency{W: 1, H: 1, Data: []float32{float32(math.NaN())}}, image.Rect(0, 0, 1, 1))
			return err
		}, "lies in [0,1]"},
		{"box outside", func() error { _, err := Localise(good, image.Rect(3, 3, 9, 9)); return err }, "outside"},
		{"negative class", func() error {
			_, err := NewPhoto(ctx, p.score, p.X, false, -1)
			return err
		}, "0 or more"},
		{"not an image", func() error { _, err := NewPhoto(ctx, p.score, tensor.New(1, 10), false, 0); return err }, "[1,C,H,W]"},
		{"unknown metric", func() error { _, err := ParseMetrics("drop,auc"); return err }, "unknown metric"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	failing := func(context.Context, []*tensor.Tensor, int) ([]float64, error) {
		return nil, errors.New("engine broke")
	}
	if _, err := NewPhoto(ctx, failing, p.X, false, 0); err == nil || !strings.Contains(err.Error(), "engine broke") {
		t.Errorf("a failing scorer gave %v", err)
	}
}

func TestPlaceScalesToUnitRange(t *testing.T) {
	s, err := Place(cam.Map{W: 2, H: 1, Data: []float32{-3, 5}}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	// ReLU and scaling first (0 and 1), then the cell centres at x = 1 and 3
	// of a 4-pixel row: pixel centres 0.5 (clamped), 1.5, 2.5, 3.5 (clamped).
	want := []float32{0, 0.25, 0.75, 1}
	for i, v := range s.Data[:4] {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("row %v, want %v", s.Data[:4], want)
		}
	}
}
