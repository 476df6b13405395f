package autodiff

import (
	"fmt"

	"camscope/inference/tensor"
)

func init() {
	register("MaxPool", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return poolVJP(n, g, true) })
	register("AveragePool", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return poolVJP(n, g, false) })
	register("GlobalAveragePool", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return globalPoolVJP(n, g, false) })
	register("GlobalMaxPool", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return globalPoolVJP(n, g, true) })
}

// poolVJP: max pooling sends each output's gradient to the first input
// position holding the window's maximum (padding never wins); average
// pooling spreads it evenly over the taps its divisor counted (with
// count_include_pad, taps in the explicit padding count but get nothing).
func poolVJP(n *Node, g *tensor.Tensor, isMax bool) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x, y := n.Inputs[0], n.Outputs[0]
	if x.Rank() < 3 {
		return nil, fmt.Errorf("want an N x C x spatial input, got %s", tensor.ShapeString(x.Shape))
	}
	geo, err := resolveWindow(n.Attrs, x.Shape[2:], nil)
	if err != nil {
		return nil, err
	}
	if err := geo.checkOut(y.Shape[2:]); err != nil {
		return nil, err
	}
	cip, err := n.Attrs.Int("count_include_pad", 0)
	if err != nil {
		return nil, err
	}
	planes := x.Shape[0] * x.Shape[1]
	ihw, ohw := geo.inH*geo.inW, geo.outH*geo.outW
	gx := tensor.New(x.Shape...)
	padH, padW := geo.inH+geo.padT+geo.padB, geo.inW+geo.padL+geo.padR
	for p := 0; p < planes; p++ {
		src, dst, gp := x.F[p*ihw:(p+1)*ihw], gx.F[p*ihw:(p+1)*ihw], g.F[p*ohw:(p+1)*ohw]
		for oh := 0; oh < geo.outH; oh++ {
			h0, h1 := taps(oh, geo.sH, geo.padT, geo.dH, geo.kH, geo.inH)
			for ow := 0; ow < geo.outW; ow++ {
				w0, w1 := taps(ow, geo.sW, geo.padL, geo.dW, geo.kW, geo.inW)
				gv := gp[oh*geo.outW+ow]
				if isMax {
					best, at := float32(0), -1
					for ki := h0; ki < h1; ki++ {
						ih := tap(oh, geo.sH, ki, geo.dH, geo.padT)
						for kj := w0; kj < w1; kj++ {
							i := ih*geo.inW + tap(ow, geo.sW, kj, geo.dW, geo.padL)
							if at < 0 || src[i] > best {
								best, at = src[i], i
							}
						}
					}
					if at >= 0 {
						dst[at] += gv
					}
					continue
				}
				cnt := (h1 - h0) * (w1 - w0)
				if cip != 0 {
					a, b := taps(oh, geo.sH, 0, geo.dH, geo.kH, padH)
					c, d := taps(ow, geo.sW, 0, geo.dW, geo.kW, padW)
					cnt = (b - a) * (d - c)
				}
				if cnt == 0 {
					continue
				}
				share := gv / float32(cnt)
				for ki := h0; ki < h1; ki++ {
					ih := tap(oh, geo.sH, ki, geo.dH, geo.padT)
					for kj := w0; kj < w1; kj++ {
						dst[ih*geo.inW+tap(ow, geo.sW, kj, geo.dW, geo.padL)] += share
					}
				}
			}
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// taps returns the kernel taps [lo, hi) of output position o that fall
// inside an input of size size.
func taps(o, s, pad, d, k, size int) (lo, hi int) {
	for lo = 0; lo < k && tap(o, s, lo, d, pad) < 0; lo++ {
	}
	for hi = k; hi > lo && tap(o, s, hi-1, d, pad) >= size; hi-- {
	}
	return lo, hi
}

func globalPoolVJP(n *Node, g *tensor.Tensor, isMax bool) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	if x.Rank() < 3 {
		return nil, fmt.Errorf("want an N x C x spatial input, got %s", tensor.ShapeString(x.Shape))
	}
	planes := x.Shape[0] * x.Shape[1]
	if g.Len() != planes {
		return nil, fmt.Errorf("output gradient %s does not have one value per plane", tensor.ShapeString(g.Shape))
	}
	hw := x.Len() / max(planes, 1)
	gx := tensor.New(x.Shape...)
	for p := 0; p < planes; p++ {
		src, dst := x.F[p*hw:(p+1)*hw], gx.F[p*hw:(p+1)*hw]
		if isMax {
			at := 0
			for i, v := range src {
				if v > src[at] {
					at = i
				}
			}
			dst[at] = g.F[p]
			continue
		}
		share := g.F[p] / float32(hw)
		for i := range dst {
			dst[i] = share
		}
	}
	return []*tensor.Tensor{gx}, nil
}
