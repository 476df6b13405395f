package faithfulness

import (
	"context"
	"fmt"
	"math"
	"sort"

	"camscope/inference/tensor"
)

// DefaultSteps is the number of steps of the deletion and insertion
// curves unless asked otherwise.
const DefaultSteps = 50

// MaxSteps bounds the steps of a curve (each is a forward pass).
const MaxSteps = 10000

// Blur is the Gaussian blur of the insertion metric's start: RISE's
// evaluation code (Petsiuk et al.) blurs with an 11-tap kernel of sigma 5.
const (
	BlurTaps  = 11
	BlurSigma = 5.0
)

// Curve is a deletion or insertion curve: the probability of the target
// class after each step, against the fraction of pixels changed, and the
// area under it.
type Curve struct {
	Fractions []float64 `json:"fractions"` // 0, ..., 1: Steps+1 points
	Probs     []float64 `json:"probs"`
	AUC       float64   `json:"auc"`
}

// Deletion is Petsiuk et al. 2018 ("RISE")'s deletion curve: the input's
// pixels are removed in order of decreasing map value (ties in row-major
// order), in steps equal numbers of pixels (step i of n removes the first
// floor(i*W*H/n)); a removed pixel takes the baseline, 0 after
// normalisation (the dataset's mean colour), in every channel. The area
// under p_k over the fraction removed (trapezoids) is the score: lower is
// better (the class vanishes as soon as what the map points at is gone).
func (p *Photo) Deletion(ctx context.Context, s Saliency, steps int) (Curve, error) {
	return p.curve(ctx, s, steps, false)
}

// Insertion is Petsiuk et al. 2018's insertion curve: starting from a
// blurred copy of the input (BlurTaps, BlurSigma; edges repeated), the
// original pixels are put back in order of decreasing map value, in steps
// as for Deletion. The area under p_k is the score: higher is better.
func (p *Photo) Insertion(ctx context.Context, s Saliency, steps int) (Curve, error) {
	return p.curve(ctx, s, steps, true)
}

func (p *Photo) curve(ctx context.Context, s Saliency, steps int, insert bool) (Curve, error) {
	if steps < 1 || steps > MaxSteps {
		return Curve{}, fmt.Errorf("the curves need 1 to %d steps, not %d", MaxSteps, steps)
	}
	if err := p.check(s); err != nil {
		return Curve{}, err
	}
	order := Order(s)
	n := len(order)
	var base *tensor.Tensor
	if insert {
		base = p.blur()
	}
	inputs := make([]*tensor.Tensor, steps+1)
	fr := make([]float64, steps+1)
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = !insert
	}
	done := 0
	for i := 0; i <= steps; i++ {
		to := i * n / steps
		for ; done < to; done++ {
			keep[order[done]] = insert
		}
		fr[i] = float64(to) / float64(n)
		inputs[i] = p.blend(keep, base)
	}
	probs, err := p.probs(ctx, inputs)
	if err != nil {
		return Curve{}, err
	}
	return Curve{Fractions: fr, Probs: probs, AUC: AUC(fr, probs)}, nil
}

// Order lists the pixels of s by decreasing value, ties in row-major
// order: the order deletion and insertion change them in.
func Order(s Saliency) []int {
	order := make([]int, len(s.Data))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Data[order[a]] > s.Data[order[b]] })
	return order
}

// AUC is the area under y over x by trapezoids.
func AUC(x, y []float64) float64 {
	var a float64
	for i := 1; i < len(x) && i < len(y); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

// blur is the photo's blurred copy (computed once).
func (p *Photo) blur() *tensor.Tensor {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blurred == nil {
		p.blurred = p.gaussian()
	}
	return p.blurred
}

// gaussian blurs each channel of X separably (rows, then columns) with the
// normalised kernel exp(-d²/(2 sigma²)), d = -5..5, repeating the edge
// pixels beyond the border.
func (p *Photo) gaussian() *tensor.Tensor {
	r := BlurTaps / 2
	k := make([]float64, BlurTaps)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * BlurSigma * BlurSigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	w, h := p.w, p.h
	out := tensor.New(p.X.Shape...)
	plane := make([]float64, w*h)
	tmp := make([]float64, w*h)
	for c := range p.c {
		for i := range plane {
			plane[i] = float64(p.X.F[p.index(c, i)])
		}
		for y := range h {
			for x := range w {
				var v float64
				for t, kt := range k {
					xx := min(max(x+t-r, 0), w-1)
					v += kt * plane[y*w+xx]
				}
				tmp[y*w+x] = v
			}
		}
		for y := range h {
			for x := range w {
				var v float64
				for t, kt := range k {
					yy := min(max(y+t-r, 0), h-1)
					v += kt * tmp[yy*w+x]
				}
				out.F[p.index(c, y*w+x)] = float32(v)
			}
		}
	}
	return out
}
