package autodiff

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("Conv", convVJP) }

// convVJP: the input gradient is the transposed convolution of the output
// gradient, computed per image and group as W_gᵀ·G (a GEMM) scattered back
// onto the input plane (col2im). The weight gradient is G·im2col(x)ᵀ and the
// bias gradient the sum of G over positions.
func convVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	x, w, y := n.Inputs[0], n.in(1), n.Outputs[0]
	if w == nil || w.Rank() != x.Rank() || x.Rank() < 3 {
		return nil, fmt.Errorf("want N x C x spatial input and matching weights")
	}
	group64, err := n.Attrs.Int("group", 1)
	if err != nil {
		return nil, err
	}
	group := int(group64)
	nb, c := x.Shape[0], x.Shape[1]
	m := w.Shape[0]
	if group <= 0 || c%group != 0 || m%group != 0 || w.Shape[1] != c/group {
		return nil, fmt.Errorf("weights %s do not fit input %s with %d groups", tensor.ShapeString(w.Shape), tensor.ShapeString(x.Shape), group)
	}
	geo, err := resolveWindow(n.Attrs, x.Shape[2:], w.Shape[2:])
	if err != nil {
		return nil, err
	}
	if err := geo.checkOut(y.Shape[2:]); err != nil {
		return nil, err
	}
	cg, mg := c/group, m/group
	ckk := cg * geo.kH * geo.kW
	ohw := geo.outH * geo.outW
	ihw := geo.inH * geo.inW
	col := make([]float32, ckk*ohw)
	grads := make([]*tensor.Tensor, len(n.Inputs))
	if n.need(0) {
		gx := tensor.New(x.Shape...)
		for b := 0; b < nb; b++ {
			for gr := 0; gr < group; gr++ {
				gOut := g.F[(b*m+gr*mg)*ohw:]
				kernels.Gemm(true, false, ckk, ohw, mg, 1, w.F[gr*mg*ckk:], ckk, gOut, ohw, 0, col, ohw)
				col2im(gx.F[(b*c+gr*cg)*ihw:(b*c+(gr+1)*cg)*ihw], col, cg, geo)
			}
		}
		grads[0] = gx
	}
	if n.need(1) {
		gw := tensor.New(w.Shape...)
		for b := 0; b < nb; b++ {
			for gr := 0; gr < group; gr++ {
				im2col(col, x.F[(b*c+gr*cg)*ihw:(b*c+(gr+1)*cg)*ihw], cg, geo)
				gOut := g.F[(b*m+gr*mg)*ohw:]
				kernels.Gemm(false, true, mg, ckk, ohw, 1, gOut, ohw, col, ohw, 1, gw.F[gr*mg*ckk:], ckk)
			}
		}
		grads[1] = gw
	}
	if n.need(2) {
		gb := tensor.New(m)
		for b := 0; b < nb; b++ {
			for j := 0; j < m; j++ {
				var s float32
				for _, v := range g.F[(b*m+j)*ohw : (b*m+j+1)*ohw] {
					s += v
				}
				gb.F[j] += s
			}
		}
		grads[2] = gb
	}
	return grads, nil
}

// tap returns the input coordinate read by output position o through kernel
// tap k along one axis.
func tap(o, s, k, d, pad int) int { return o*s - pad + k*d }

// col2im adds col (cg*kH*kW rows of outH*outW) onto the cg input planes dst.
func col2im(dst, col []float32, cg int, g geom2D) {
	ohw := g.outH * g.outW
	row := 0
	for ch := 0; ch < cg; ch++ {
		plane := dst[ch*g.inH*g.inW : (ch+1)*g.inH*g.inW]
		for ki := 0; ki < g.kH; ki++ {
			for kj := 0; kj < g.kW; kj++ {
				src := col[row*ohw : (row+1)*ohw]
				row++
				for oh := 0; oh < g.outH; oh++ {
					ih := tap(oh, g.sH, ki, g.dH, g.padT)
					if ih < 0 || ih >= g.inH {
						continue
					}
					line := plane[ih*g.inW : (ih+1)*g.inW]
					for ow := 0; ow < g.outW; ow++ {
						if iw := tap(ow, g.sW, kj, g.dW, g.padL); iw >= 0 && iw < g.inW {
							line[iw] += src[oh*g.outW+ow]
						}
					}
				}
			}
		}
	}
}

// im2col writes the cg input planes src as cg*kH*kW rows of outH*outW
// (zeros where a tap falls in the padding).
func im2col(col, src []float32, cg int, g geom2D) {
	ohw := g.outH * g.outW
	row := 0
	for ch := 0; ch < cg; ch++ {
		plane := src[ch*g.inH*g.inW : (ch+1)*g.inH*g.inW]
		for ki := 0; ki < g.kH; ki++ {
			for kj := 0; kj < g.kW; kj++ {
				dst := col[row*ohw : (row+1)*ohw]
				row++
				for oh := 0; oh < g.outH; oh++ {
					ih := tap(oh, g.sH, ki, g.dH, g.padT)
					for ow := 0; ow < g.outW; ow++ {
						iw := tap(ow, g.sW, kj, g.dW, g.padL)
						if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
							dst[oh*g.outW+ow] = plane[ih*g.inW+iw]
						} else {
							dst[oh*g.outW+ow] = 0
						}
					}
				}
			}
		}
	}
}
