package faithfulness

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"camscope/inference/tensor"
)

// ROADPercentiles are the thresholds ROAD averages over, as
// pytorch-grad-cam's ROADCombined.
var ROADPercentiles = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}

// ROADNoise is the standard deviation of the noise added to imputed
// values (pytorch-grad-cam's NoisyLinearImputer default).
const ROADNoise = 0.01

// ROAD is one map's ROAD score (Rong et al. 2022, "A Consistent and
// Efficient Evaluation Strategy for Attribution Methods"), as
// pytorch-grad-cam's ROADCombined computes it. For each percentile q:
// most relevant first (MoRF) removes the pixels whose map value is at
// least the q-th percentile of the map's values (numpy's linear
// interpolation); least relevant first (LeRF) removes those whose 1 - map
// is at least the q-th percentile of 1 - map. Removed pixels are filled by
// noisy linear imputation: each is the weighted mean of its eight
// neighbours (weight 1/6 for the four sides, 1/12 for the corners, only
// those inside the image), removed neighbours being unknowns too (one
// sparse linear system, the same matrix for every channel, solved here by
// conjugate gradients with a multigrid preconditioner, impute.go),
// plus Gaussian noise of ROADNoise. The score of a removal is
// p_k(imputed) - p_k(x). Combined = (mean LeRF - mean MoRF) / 2: higher is
// better (removing what the map points at hurts, removing the rest does
// not).
type ROAD struct {
	Percentiles []float64 `json:"percentiles"`
	MoRF        []float64 `json:"morf"` // p_k change per percentile
	LeRF        []float64 `json:"lerf"`
	Combined    float64   `json:"combined"`
}

// ROAD measures the map s on the photo; seed makes the imputation's noise
// repeatable.
func (p *Photo) ROAD(ctx context.Context, s Saliency, seed uint64) (ROAD, error) {
	if err := p.check(s); err != nil {
		return ROAD{}, err
	}
	inv := make([]float32, len(s.Data))
	for i, v := range s.Data {
		inv[i] = 1 - v
	}
	// The removed pixels shrink as the percentile grows, so each side's
	// solutions are solved in percentile order, each starting from the
	// one before; the two sides at once.
	n := len(ROADPercentiles)
	keeps := make([][]bool, 2*n)
	fills := make([][]float64, 2*n)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for side, m := range [][]float32{s.Data, inv} {
		wg.Go(func() {
			var prev []float64
			for qi, q := range ROADPercentiles {
				if errs[side] = ctx.Err(); errs[side] != nil {
					return
				}
				thr := Percentile(m, q)
				keep := make([]bool, len(m))
				for i, v := range m {
					keep[i] = v < thr
				}
				keeps[2*qi+side] = keep
				prev = p.fill(keep, prev)
				fills[2*qi+side] = prev
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return ROAD{}, err
		}
	}
	// The noise, drawn in the order of pytorch-grad-cam's loop: MoRF then
	// LeRF at each percentile, channel by channel, the removed pixels in
	// row-major order.
	rng := rand.New(rand.NewPCG(seed, 0x524f4144))
	inputs := make([]*tensor.Tensor, 2*n)
	for i := range inputs {
		inputs[i] = p.noisy(keeps[i], fills[i], rng)
	}
	probs, err := p.probs(ctx, inputs)
	if err != nil {
		return ROAD{}, err
	}
	r := ROAD{Percentiles: append([]float64(nil), ROADPercentiles...)}
	var morf, lerf float64
	for i := range ROADPercentiles {
		r.MoRF = append(r.MoRF, probs[2*i]-p.Prob)
		r.LeRF = append(r.LeRF, probs[2*i+1]-p.Prob)
		morf += r.MoRF[i]
		lerf += r.LeRF[i]
	}
	r.Combined = (lerf/float64(n) - morf/float64(n)) / 2
	return r, nil
}

// Percentile is numpy's percentile of the values (linear interpolation
// between the two nearest ranks).
func Percentile(values []float32, q float64) float32 {
	v := append([]float32(nil), values...)
	sort.Slice(v, func(a, b int) bool { return v[a] < v[b] })
	if len(v) == 0 {
		return 0
	}
	pos := q / 100 * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	f := pos - float64(lo)
	return float32(float64(v[lo]) + f*(float64(v[hi])-float64(v[lo])))
}

// fill solves noisy linear imputation's equations for the pixels not
// kept: for each removed pixel i, d_i v_i - sum_{removed j} w_ij v_j =
// sum_{kept j} w_ij x_j, d_i the sum of the weights of i's neighbours
// inside the image (impute.go: conjugate gradients with a multigrid
// preconditioner, all channels at once, to a relative residual of
// imputeTol). It returns the solution, p.c values per cell of the
// bordered grid (see grid); warm, when not nil, is a solution for a
// superset of these pixels to start from. With every pixel removed the
// system is singular; the solution is then 0.
func (p *Photo) fill(keep []bool, warm []float64) []float64 {
	g := imputeSystem(p.w, p.h, p.c, keep, func(c, i int) float64 { return float64(p.X.F[p.index(c, i)]) })
	v := make([]float64, len(g.x))
	kept := false
	for _, k := range keep {
		kept = kept || k
	}
	if !kept || len(g.cells) == 0 {
		return v
	}
	if warm != nil {
		for _, c := range g.cells {
			copy(v[p.c*int(c):p.c*int(c)+p.c], warm[p.c*int(c):])
		}
	}
	g.solve(v)
	return v
}

// noisy returns X with the pixels not kept set to their imputed values
// (fill's solution) plus Gaussian noise of standard deviation ROADNoise,
// drawn channel by channel, pixels in row-major order.
func (p *Photo) noisy(keep []bool, v []float64, rng *rand.Rand) *tensor.Tensor {
	out := p.X.Clone()
	bw := p.w + 2
	for c := range p.c {
		for i, k := range keep {
			if !k {
				cell := (i/p.w+1)*bw + i%p.w + 1
				out.F[p.index(c, i)] = float32(v[p.c*cell+c] + ROADNoise*rng.NormFloat64())
			}
		}
	}
	return out
}
