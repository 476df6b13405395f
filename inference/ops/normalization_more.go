package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("LRN", buildLRN)
	register("InstanceNormalization", buildInstanceNorm)
	register("LayerNormalization", buildLayerNorm)
}

// buildLRN: local response normalisation across channels (GoogLeNet,
// AlexNet): y = x / (bias + alpha/size * sum of x^2 over the size channels
// around c)^beta.
func buildLRN(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 1e-4)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	beta, err := n.Attrs.Float("beta", 0.75)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	bias, err := n.Attrs.Float("bias", 1)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	size, err := n.Attrs.Int("size", 0)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	if size <= 0 {
		return nil, fmt.Errorf("LRN: size must be a positive integer, got %d", size)
	}
	below, above := int((size-1)/2), int(size/2)
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LRN", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("LRN", x); err != nil {
			return nil, err
		}
		nb, ch, sp, err := spatial("LRN", x.Shape)
		if err != nil {
			return nil, err
		}
		inner := tensor.Size(sp)
		out := tensor.New(x.Shape...)
		sq := make([]float32, ch*inner)
		sum := make([]float32, inner)
		scale := float64(alpha) / float64(size)
		for b := 0; b < nb; b++ {
			src := x.F[b*ch*inner : (b+1)*ch*inner]
			dst := out.F[b*ch*inner : (b+1)*ch*inner]
			for i, v := range src {
				sq[i] = v * v
			}
			for c := 0; c < ch; c++ {
				clear(sum)
				for k := max(0, c-below); k <= min(ch-1, c+above); k++ {
					for i, v := range sq[k*inner : (k+1)*inner] {
						sum[i] += v
					}
				}
				row := src[c*inner : (c+1)*inner]
				for i, v := range row {
					dst[c*inner+i] = float32(float64(v) / math.Pow(float64(bias)+scale*float64(sum[i]), float64(beta)))
				}
			}
		}
		return one(out), nil
	}), nil
}

// buildInstanceNorm normalises each channel of each sample over its
// spatial positions, then scales and shifts per channel.
func buildInstanceNorm(n *Node) (Op, error) {
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, fmt.Errorf("InstanceNormalization: %w", err)
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("InstanceNormalization", inputs, 3); err != nil {
			return nil, err
		}
		x, scale, bias := inputs[0], inputs[1], inputs[2]
		for _, t := range inputs[:3] {
			if err := requireFloat("InstanceNormalization", t); err != nil {
				return nil, err
			}
		}
		nb, ch, sp, err := spatial("InstanceNormalization", x.Shape)
		if err != nil {
			return nil, err
		}
		if scale.Len() != ch || bias.Len() != ch {
			return nil, fmt.Errorf("InstanceNormalization: scale %s and B %s must have %d values", tensor.ShapeString(scale.Shape), tensor.ShapeString(bias.Shape), ch)
		}
		inner := tensor.Size(sp)
		out := tensor.New(x.Shape...)
		for p := 0; p < nb*ch; p++ {
			c := p % ch
			normalize(out.F[p*inner:(p+1)*inner], x.F[p*inner:(p+1)*inner], eps, func(i int) (float32, float32) {
				return scale.F[c], bias.F[c]
			})
		}
		return one(out), nil
	}), nil
}

// normalize writes (src - mean) / sqrt(var + eps) * s + b into dst, with
// (s, b) = sb(i) for element i, and returns the mean and 1/sqrt(var+eps).
func normalize(dst, src []float32, eps float32, sb func(i int) (float32, float32)) (mean, inv float64) {
	if len(src) == 0 {
		return 0, 0
	}
	for _, v := range src {
		mean += float64(v)
	}
	mean /= float64(len(src))
	var vs float64
	for _, v := range src {
		d := float64(v) - mean
		vs += d * d
	}
	vs /= float64(len(src))
	inv = 1 / math.Sqrt(vs+float64(eps))
	for i, v := range src {
		s, b := sb(i)
		dst[i] = float32((float64(v)-mean)*inv)*s + b
	}
	return mean, inv
}

// buildLayerNorm (opset 17) normalises over the axes from axis on; scale
// and B broadcast to those axes. The optional outputs are the mean and the
// inverse standard deviation.
func buildLayerNorm(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("LayerNormalization: %w", err)
	}
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, fmt.Errorf("LayerNormalization: %w", err)
	}
	nout := max(n.NumOutputs, 1)
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LayerNormalization", inputs, 2); err != nil {
			return nil, err
		}
		x, scale, bias := inputs[0], inputs[1], in(inputs, 2)
		if err := requireFloat("LayerNormalization", x); err != nil {
			return nil, err
		}
		a, err := normAxis("LayerNormalization", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		norm := x.Shape[a:]
		fit := func(t *tensor.Tensor, what string) (*tensor.Tensor, error) {
			if t == nil {
				return nil, nil
			}
			if err := requireFloat("LayerNormalization", t); err != nil {
				return nil, err
			}
			s, err := tensor.BroadcastShape(norm, t.Shape)
			if err != nil || !tensor.EqualShape(s, norm) {
				return nil, fmt.Errorf("LayerNormalization: %s %s does not broadcast to %s", what, tensor.ShapeString(t.Shape), tensor.ShapeString(norm))
			}
			return broadcastTensor(t, norm), nil
		}
		if scale, err = fit(scale, "scale"); err != nil {
			return nil, err
		}
		if bias, err = fit(bias, "B"); err != nil {
			return nil, err
		}
		outer, inner := tensor.Size(x.Shape[:a]), tensor.Size(norm)
		statShape := append([]int{}, x.Shape...)
		for d := a; d < len(statShape); d++ {
			statShape[d] = 1
		}
		out, means, invs := tensor.New(x.Shape...), tensor.New(statShape...), tensor.New(statShape...)
		for o := 0; o < outer; o++ {
			m, inv := normalize(out.F[o*inner:(o+1)*inner], x.F[o*inner:(o+1)*inner], eps, func(i int) (float32, float32) {
				b := float32(0)
				if bias != nil {
					b = bias.F[i]
				}
				return scale.F[i], b
			})
			means.F[o], invs.F[o] = float32(m), float32(inv)
		}
		return []*tensor.Tensor{out, means, invs}[:min(nout, 3)], nil
	}), nil
}
