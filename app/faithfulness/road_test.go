package faithfulness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"camscope/inference/tensor"
)

// camLikePhoto is a 3 x size x size photo of smooth random values (as
// photos are, so the imputation has structure to fill) and a map like a
// CAM's: a 7 x 7 grid of random cells bilinearly stretched over it.
func camLikePhoto(tb testing.TB, size int, score Scorer) (*Photo, Saliency) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(1, 3, size, size)
	for c := range 3 {
		fx, fy, ph := rng.Float64()*0.2, rng.Float64()*0.2, rng.Float64()*6
		for i := range size * size {
			y, xx := float64(i/size), float64(i%size)
			x.F[c*size*size+i] = float32(math.Sin(fx*xx+fy*y+ph) + 0.3*rng.NormFloat64())
		}
	}
	p, err := NewPhoto(context.Background(), score, x, false, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var cells [7][7]float64
	for i := range cells {
		for j := range cells[i] {
			cells[i][j] = rng.Float64()
		}
	}
	s := Saliency{W: size, H: size, Data: make([]float32, size*size)}
	for y := range size {
		for xx := range size {
			cy := min(max((float64(y)+0.5)*7/float64(size)-0.5, 0), 6)
			cx := min(max((float64(xx)+0.5)*7/float64(size)-0.5, 0), 6)
			y0, x0 := min(int(cy), 5), min(int(cx), 5)
			fy, fx := cy-float64(y0), cx-float64(x0)
			s.Data[y*size+xx] = float32((1-fy)*((1-fx)*cells[y0][x0]+fx*cells[y0][x0+1]) + fy*((1-fx)*cells[y0+1][x0]+fx*cells[y0+1][x0+1]))
		}
	}
	return p, s
}

// cpuSeconds is the process's user and system time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkROAD224 is one map's ROAD on a 224 x 224 photo with a
// CAM-like map: the 18 imputations, with a stand-in model (a weighted
// sum) so that the imputation is what is timed. cpu-s/op is the process's
// CPU time per map (every thread), steadier than wall time on a shared
// machine.
func BenchmarkROAD224(b *testing.B) {
	var runs int
	m := newLinearModel(3, 224, 224)
	p, s := camLikePhoto(b, 224, m.scorer(&runs))
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := range b.N {
		if _, err := p.ROAD(ctx, s, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
}

// denseFill is the slow, obvious imputation: the equations of every
// removed pixel (d_i v_i - sum_{removed j} w_ij v_j = sum_{kept j} w_ij
// x_j) written out as a dense matrix with a right-hand side column per
// channel, solved by Gaussian elimination with partial pivoting.
func denseFill(x []float32, nhwc bool, keep []bool, c, h, w int) [][]float64 {
	at := func(ch, i int) float64 {
		if nhwc {
			return float64(x[i*c+ch])
		}
		return float64(x[ch*h*w+i])
	}
	id := map[int]int{}
	var unknown []int
	for i, k := range keep {
		if !k {
			id[i] = len(unknown)
			unknown = append(unknown, i)
		}
	}
	n := len(unknown)
	a := make([][]float64, n)
	for r, i := range unknown {
		a[r] = make([]float64, n+c)
		y, xx := i/w, i%w
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				yy, xc := y+dy, xx+dx
				if (dy == 0 && dx == 0) || yy < 0 || yy >= h || xc < 0 || xc >= w {
					continue
				}
				wt := 1.0 / 6
				if dy != 0 && dx != 0 {
					wt = 1.0 / 12
				}
				a[r][r] += wt
				j := yy*w + xc
				if u, ok := id[j]; ok {
					a[r][u] -= wt
				} else {
					for ch := range c {
						a[r][n+ch] += wt * at(ch, j)
					}
				}
			}
		}
	}
	for col := range n {
		piv := col
		for r := col; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		a[col], a[piv] = a[piv], a[col]
		for r := col + 1; r < n; r++ {
			if f := a[r][col] / a[col][col]; f != 0 {
				for k := col; k < n+c; k++ {
					a[r][k] -= f * a[col][k]
				}
			}
		}
	}
	out := make([][]float64, c)
	for ch := range c {
		v := make([]float64, n)
		for r := n - 1; r >= 0; r-- {
			s := a[r][n+ch]
			for k := r + 1; k < n; k++ {
				s -= a[r][k] * v[k]
			}
			v[r] = s / a[r][r]
		}
		out[ch] = make([]float64, h*w)
		for r, i := range unknown {
			out[ch][i] = v[r]
		}
	}
	return out
}

// TestImputationMatchesDirectSolve checks the multigrid-preconditioned
// solver (with and without a warm start) against the dense direct solve
// on inputs large enough for three grid levels, with masks of every
// kind ROAD makes and some it does not: the solution must agree to 1e-8
// of the input's range (the solver stops at a relative residual of
// 1e-10; spsolve, pytorch-grad-cam's solver, is exact up to rounding).
func TestImputationMatchesDirectSolve(t *testing.T) {
	const h, w = 36, 40
	rng := rand.New(rand.NewPCG(5, 6))
	smooth := Saliency{W: w, H: h, Data: make([]float32, w*h)}
	for i := range smooth.Data {
		y, x := float64(i/w), float64(i%w)
		smooth.Data[i] = float32(0.5 + 0.25*math.Sin(x/6+y/9) + 0.25*math.Cos(x/11-y/4))
	}
	masks := map[string][]bool{}
	for _, q := range []float64{10, 50, 90} {
		thr := Percentile(smooth.Data, q)
		keep := make([]bool, w*h)
		for i, v := range smooth.Data {
			keep[i] = v < thr
		}
		masks[fmt.Sprintf("smooth map, percentile %v", q)] = keep
	}
	scattered := make([]bool, w*h)
	for i := range scattered {
		scattered[i] = rng.IntN(3) == 0
	}
	masks["a third kept at random"] = scattered
	one := make([]bool, w*h)
	one[17*w+3] = true
	masks["one pixel kept"] = one
	border := make([]bool, w*h)
	for i := range border {
		border[i] = i < w || i%w == w-1
	}
	masks["top row and right column kept"] = border
	for _, nc := range []int{3, 1} {
		for _, nhwc := range []bool{false, true} {
			x := tensor.New(1, nc, h, w)
			if nhwc {
				x = tensor.New(1, h, w, nc)
			}
			for i := range x.F {
				x.F[i] = float32(rng.Float64()*4 - 2)
			}
			p, err := NewPhoto(context.Background(), func(_ context.Context, in []*tensor.Tensor, _ int) ([]float64, error) {
				return make([]float64, len(in)), nil
			}, x, nhwc, 0)
			if err != nil {
				t.Fatal(err)
			}
			var warm []float64
			for _, name := range []string{"smooth map, percentile 10", "smooth map, percentile 50", "smooth map, percentile 90",
				"a third kept at random", "one pixel kept", "top row and right column kept"} {
				keep := masks[name]
				want := denseFill(x.F, nhwc, keep, nc, h, w)
				for _, start := range []string{"cold", "warm"} {
					var got []float64
					if start == "cold" {
						got = p.fill(keep, nil)
					} else {
						got = p.fill(keep, warm)
					}
					var worst float64
					for ch := range nc {
						for i, k := range keep {
							if !k {
								cell := (i/w+1)*(w+2) + i%w + 1
								worst = max(worst, math.Abs(got[nc*cell+ch]-want[ch][i]))
							}
						}
					}
					if worst > 4e-8 || math.IsNaN(worst) {
						t.Errorf("%d channels, nhwc %v, %s, %s start: off the direct solve by %.3g (allowed 4e-8)", nc, nhwc, name, start, worst)
					}
				}
				warm = p.fill(keep, nil)
			}
		}
	}
}

// TestROADOnHostilePhotos: on a photo with NaN and infinite values, and
// with a flat map (every pixel removed at every percentile), ROAD must
// return, never hang or panic; a cancelled context stops it with the
// context's error.
func TestROADOnHostilePhotos(t *testing.T) {
	var runs int
	p, s := camLikePhoto(t, 24, newLinearModel(3, 24, 24).scorer(&runs))
	ctx := context.Background()
	bad := p.X.Clone()
	bad.F[5], bad.F[700] = float32(math.NaN()), float32(math.Inf(1))
	pb, err := NewPhoto(ctx, p.score, bad, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.ROAD(ctx, s, 1); err != nil {
		t.Fatalf("ROAD on a photo with NaN: %v", err)
	}
	flat := Saliency{W: 24, H: 24, Data: make([]float32, 24*24)}
	for i := range flat.Data {
		flat.Data[i] = 0.5
	}
	r, err := p.ROAD(ctx, flat, 1)
	if err != nil || math.IsNaN(r.Combined) {
		t.Fatalf("ROAD of a flat map: %+v, %v", r, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.ROAD(cancelled, s, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("ROAD with a cancelled context gave %v", err)
	}
}
