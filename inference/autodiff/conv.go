package autodiff

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("Conv", convVJP) }

// convVJP: the input gradient is the transposed convolution of the output
// gradient, computed per image and group as G_gᵀ·W_g (a GEMM with the
// positions as rows, which suits the micro-kernels better than W_gᵀ·G_g for
// the small maps Grad-CAM works on) scattered back onto the input planes
// (col2im). The weight gradient is G·im2col(x)ᵀ and the
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
				dst := gx.F[(b*c+gr*cg)*ihw : (b*c+(gr+1)*cg)*ihw]
				gOut := g.F[(b*m+gr*mg)*ohw:]
				if cg == 1 {
					// Depthwise: a GEMM per group would be all overhead.
					for j := 0; j < mg; j++ {
						scatterDepthwise(dst, w.F[(gr*mg+j)*ckk:(gr*mg+j+1)*ckk], gOut[j*ohw:(j+1)*ohw], geo)
					}
					continue
				}
				kernels.Gemm(true, false, ohw, ckk, mg, 1, gOut, ohw, w.F[gr*mg*ckk:], ckk, 0, col, ckk)
				col2im(dst, col, cg, geo)
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

// col2im adds colT (one row of cg*kH*kW taps per output position) onto the
// cg input planes dst.
func col2im(dst, colT []float32, cg int, g geom2D) {
	ckk := cg * g.kH * g.kW
	for oh := 0; oh < g.outH; oh++ {
		for ow := 0; ow < g.outW; ow++ {
			src := colT[(oh*g.outW+ow)*ckk:]
			row := 0
			for ch := 0; ch < cg; ch++ {
				plane := dst[ch*g.inH*g.inW:]
				for ki := 0; ki < g.kH; ki++ {
					ih := tap(oh, g.sH, ki, g.dH, g.padT)
					for kj := 0; kj < g.kW; kj++ {
						iw := tap(ow, g.sW, kj, g.dW, g.padL)
						if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
							plane[ih*g.inW+iw] += src[row]
						}
						row++
					}
				}
			}
		}
	}
}

// scatterDepthwise adds the transposed convolution of one output plane gp
// with its kH x kW kernel wk onto the input plane dst.
func scatterDepthwise(dst, wk, gp []float32, g geom2D) {
	for ki := 0; ki < g.kH; ki++ {
		for oh := 0; oh < g.outH; oh++ {
			ih := tap(oh, g.sH, ki, g.dH, g.padT)
			if ih < 0 || ih >= g.inH {
				continue
			}
			line, src := dst[ih*g.inW:(ih+1)*g.inW], gp[oh*g.outW:(oh+1)*g.outW]
			for kj := 0; kj < g.kW; kj++ {
				wv := wk[ki*g.kW+kj]
				for ow, v := range src {
					if iw := tap(ow, g.sW, kj, g.dW, g.padL); iw >= 0 && iw < g.inW {
						line[iw] += wv * v
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
