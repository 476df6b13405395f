package faithfulness

import (
	"context"

	"camscope/inference/tensor"
)

// Confidence is one map's average drop and increase in confidence
// (Chattopadhyay et al. 2018, "Grad-CAM++"), as torchcam and
// pytorch-grad-cam compute them: the input x (after normalisation) is
// multiplied by the map, x' = x * M, every channel; the drop is
// max(0, p_k(x) - p_k(x')) / p_k(x), and the increase says whether
// p_k(x') > p_k(x). Over photos, the average drop is the mean of the drops
// (lower is better) and the increase in confidence the share of photos
// with an increase (higher is better).
type Confidence struct {
	Masked   float64 `json:"masked_prob"` // p_k(x * M)
	Drop     float64 `json:"drop"`
	Increase bool    `json:"increase"`
}

// Confidence measures the map s (placed on the input) on the photo.
func (p *Photo) Confidence(ctx context.Context, s Saliency) (Confidence, error) {
	if err := p.check(s); err != nil {
		return Confidence{}, err
	}
	x := tensor.New(p.X.Shape...)
	for i, m := range s.Data {
		for c := range p.c {
			j := p.index(c, i)
			x.F[j] = p.X.F[j] * m
		}
	}
	probs, err := p.probs(ctx, []*tensor.Tensor{x})
	if err != nil {
		return Confidence{}, err
	}
	r := Confidence{Masked: probs[0], Increase: probs[0] > p.Prob}
	if p.Prob > 0 {
		r.Drop = max(0, p.Prob-probs[0]) / p.Prob
	}
	return r, nil
}
