package autodiff

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("LayerNormalization", layerNormVJP)
	register("InstanceNormalization", instanceNormVJP)
}

// normRows differentiates y = x̂·scale + B over rows of n values, where
// x̂ = (x - mean)·inv with the row's mean and inv = 1/sqrt(var + eps):
// dx = inv·(d - mean(d) - x̂·mean(d·x̂)) with d = g·scale. scaleAt(i) and
// the accumulators for dscale and dB are indexed by flat element i.
func normRows(x, g *tensor.Tensor, rows, n int, eps float32, scale func(i int) float32, gx []float32, dScale, dBias func(i int, v float32)) {
	d := make([]float64, n)
	xh := make([]float64, n)
	for r := 0; r < rows; r++ {
		base := r * n
		var mean, sq float64
		for i := 0; i < n; i++ {
			mean += float64(x.F[base+i])
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			v := float64(x.F[base+i]) - mean
			sq += v * v
		}
		inv := 1 / math.Sqrt(sq/float64(n)+float64(eps))
		var md, mdx float64
		for i := 0; i < n; i++ {
			xh[i] = (float64(x.F[base+i]) - mean) * inv
			d[i] = float64(g.F[base+i]) * float64(scale(base+i))
			md += d[i]
			mdx += d[i] * xh[i]
			if dScale != nil {
				dScale(base+i, float32(float64(g.F[base+i])*xh[i]))
			}
			if dBias != nil {
				dBias(base+i, g.F[base+i])
			}
		}
		md /= float64(n)
		mdx /= float64(n)
		if gx != nil {
			for i := 0; i < n; i++ {
				gx[base+i] = float32(inv * (d[i] - md - xh[i]*mdx))
			}
		}
	}
}

// layerNormVJP: normalisation over the axes from axis on; Scale and B
// broadcast to that part of the shape. Only the first output (Y) carries a
// gradient.
func layerNormVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	x, scale := n.Inputs[0], n.in(1)
	if scale == nil {
		return nil, fmt.Errorf("Scale is missing")
	}
	a, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(a, x.Rank())
	if err != nil {
		return nil, err
	}
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	cols := tensor.Size(x.Shape[axis:])
	rows := x.Len() / max(cols, 1)
	so, err := broadcastOffsets(x.Shape, scale.Shape)
	if err != nil {
		return nil, err
	}
	grads := make([]*tensor.Tensor, len(n.Inputs))
	var gx []float32
	if n.need(0) {
		grads[0] = tensor.New(x.Shape...)
		gx = grads[0].F
	}
	var dScale, dBias func(i int, v float32)
	if n.need(1) {
		grads[1] = tensor.New(scale.Shape...)
		dScale = func(i int, v float32) { grads[1].F[so[i]] += v }
	}
	if n.need(2) {
		b := n.Inputs[2]
		bo, err := broadcastOffsets(x.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		grads[2] = tensor.New(b.Shape...)
		dBias = func(i int, v float32) { grads[2].F[bo[i]] += v }
	}
	normRows(x, g, rows, cols, eps, func(i int) float32 { return scale.F[so[i]] }, gx, dScale, dBias)
	return grads, nil
}

// instanceNormVJP: normalisation of each channel of each image over its
// positions, with per-channel scale and B.
func instanceNormVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	x, scale, bias := n.Inputs[0], n.in(1), n.in(2)
	if scale == nil || bias == nil || x.Rank() < 3 || scale.Len() != x.Shape[1] || bias.Len() != x.Shape[1] {
		return nil, fmt.Errorf("want an N x C x ... input with C scales and biases")
	}
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	c := x.Shape[1]
	inner := tensor.Size(x.Shape[2:])
	rows := x.Len() / max(inner, 1)
	channel := func(i int) int { return (i / inner) % c }
	grads := make([]*tensor.Tensor, len(n.Inputs))
	var gx []float32
	if n.need(0) {
		grads[0] = tensor.New(x.Shape...)
		gx = grads[0].F
	}
	var dScale, dBias func(i int, v float32)
	if n.need(1) {
		grads[1] = tensor.New(scale.Shape...)
		dScale = func(i int, v float32) { grads[1].F[channel(i)] += v }
	}
	if n.need(2) {
		grads[2] = tensor.New(bias.Shape...)
		dBias = func(i int, v float32) { grads[2].F[channel(i)] += v }
	}
	normRows(x, g, rows, inner, eps, func(i int) float32 { return scale.F[channel(i)] }, gx, dScale, dBias)
	return grads, nil
}
