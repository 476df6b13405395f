package faithfulness

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"

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
// sparse linear system per channel, solved here by conjugate gradients),
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
	rng := rand.New(rand.NewPCG(seed, 0x524f4144))
	inv := make([]float32, len(s.Data))
	for i, v := range s.Data {
		inv[i] = 1 - v
	}
	var inputs []*tensor.Tensor
	for _, q := range ROADPercentiles {
		for _, m := range [][]float32{s.Data, inv} {
			thr := Percentile(m, q)
			keep := make([]bool, len(m))
			for i, v := range m {
				keep[i] = v < thr
			}
			inputs = append(inputs, p.impute(keep, rng))
			if err := ctx.Err(); err != nil {
				return ROAD{}, err
			}
		}
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
	n := float64(len(ROADPercentiles))
	r.Combined = (lerf/n - morf/n) / 2
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

// neighbours are the imputation's offsets (dy, dx) and weights.
var neighbours = [8]struct {
	dy, dx int
	w      float64
}{{1, 1, 1.0 / 12}, {0, 1, 1.0 / 6}, {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12}, {0, -1, 1.0 / 6}, {-1, -1, 1.0 / 12}, {1, 0, 1.0 / 6}, {-1, 0, 1.0 / 6}}

// impute returns X with the pixels not kept filled by noisy linear
// imputation: for each removed pixel i, d_i v_i - sum_{removed j} w_ij v_j
// = sum_{kept j} w_ij x_j, d_i the sum of the weights of i's neighbours
// inside the image. The system is symmetric, and positive definite when
// any pixel is kept: conjugate gradients, to a residual of 1e-6 of the
// right-hand side's. With every pixel removed the solution is 0.
func (p *Photo) impute(keep []bool, rng *rand.Rand) *tensor.Tensor {
	w, h := p.w, p.h
	out := p.X.Clone()
	var unknown []int
	id := make([]int, w*h)
	for i, k := range keep {
		id[i] = -1
		if !k {
			id[i] = len(unknown)
			unknown = append(unknown, i)
		}
	}
	n := len(unknown)
	if n == 0 {
		return out
	}
	// The matrix in compressed rows: diagonal d, off-diagonal entries.
	d := make([]float64, n)
	type entry struct {
		j int
		w float64
	}
	rows := make([][]entry, n)
	bIdx := make([][]entry, n) // kept neighbours (pixel index, weight)
	for u, i := range unknown {
		y, x := i/w, i%w
		for _, nb := range neighbours {
			yy, xx := y+nb.dy, x+nb.dx
			if yy < 0 || yy >= h || xx < 0 || xx >= w {
				continue
			}
			d[u] += nb.w
			j := yy*w + xx
			if id[j] >= 0 {
				rows[u] = append(rows[u], entry{id[j], nb.w})
			} else {
				bIdx[u] = append(bIdx[u], entry{j, nb.w})
			}
		}
	}
	mul := func(dst, v []float64) {
		for u := range dst {
			s := d[u] * v[u]
			for _, e := range rows[u] {
				s -= e.w * v[e.j]
			}
			dst[u] = s
		}
	}
	b := make([]float64, n)
	v := make([]float64, n)
	r := make([]float64, n)
	dir := make([]float64, n)
	ad := make([]float64, n)
	for c := range p.c {
		var bb float64
		for u := range b {
			b[u] = 0
			for _, e := range bIdx[u] {
				b[u] += e.w * float64(p.X.F[p.index(c, e.j)])
			}
			bb += b[u] * b[u]
			v[u] = 0
		}
		// Conjugate gradients from v = 0.
		copy(r, b)
		copy(dir, r)
		rr := bb
		for it := 0; it < 10*n && rr > 1e-12*bb && rr > 0; it++ {
			mul(ad, dir)
			var dad float64
			for u := range ad {
				dad += dir[u] * ad[u]
			}
			alpha := rr / dad
			var rr2 float64
			for u := range v {
				v[u] += alpha * dir[u]
				r[u] -= alpha * ad[u]
				rr2 += r[u] * r[u]
			}
			beta := rr2 / rr
			rr = rr2
			for u := range dir {
				dir[u] = r[u] + beta*dir[u]
			}
		}
		for u, i := range unknown {
			out.F[p.index(c, i)] = float32(v[u] + ROADNoise*rng.NormFloat64())
		}
	}
	return out
}
