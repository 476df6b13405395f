package autodiff

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("ConvTranspose", convTransposeVJP) }

// convTransposeVJP: a transposed convolution scatters x through W, so its
// input gradient gathers the output gradient back: an ordinary convolution
// of G (im2col over the output plane, a GEMM with W per group). The weight
// gradient is x·im2col(G)ᵀ, the bias gradient the sum of G.
func convTransposeVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	x, w, y := n.Inputs[0], n.in(1), n.Outputs[0]
	if w == nil || w.Rank() != x.Rank() || (x.Rank() != 3 && x.Rank() != 4) {
		return nil, fmt.Errorf("want a 1-D or 2-D N x C x spatial input and matching weights")
	}
	group64, err := n.Attrs.Int("group", 1)
	if err != nil {
		return nil, err
	}
	group := int(group64)
	nb, c := x.Shape[0], x.Shape[1]
	if group <= 0 || c%group != 0 || w.Shape[0] != c {
		return nil, fmt.Errorf("weights %s do not fit input %s with %d groups", tensor.ShapeString(w.Shape), tensor.ShapeString(x.Shape), group)
	}
	cg, mg := c/group, w.Shape[1]
	m := mg * group
	geo, err := transposeGeometry(n, x.Shape[2:], w.Shape[2:], y.Shape[2:])
	if err != nil {
		return nil, err
	}
	kk := geo.kH * geo.kW
	ihw, ohw := geo.outH*geo.outW, geo.inH*geo.inW // x's plane, y's plane
	col := make([]float32, mg*kk*ihw)
	grads := make([]*tensor.Tensor, len(n.Inputs))
	var gx, gw *tensor.Tensor
	if n.need(0) {
		gx = tensor.New(x.Shape...)
	}
	if n.need(1) {
		gw = tensor.New(w.Shape...)
	}
	if gx != nil || gw != nil {
		for b := 0; b < nb; b++ {
			for gr := 0; gr < group; gr++ {
				im2col(col, g.F[(b*m+gr*mg)*ohw:(b*m+(gr+1)*mg)*ohw], mg, geo)
				wg := w.F[gr*cg*mg*kk:]
				if gx != nil {
					kernels.Gemm(false, false, cg, ihw, mg*kk, 1, wg, mg*kk, col, ihw, 0, gx.F[(b*c+gr*cg)*ihw:], ihw)
				}
				if gw != nil {
					kernels.Gemm(false, true, cg, mg*kk, ihw, 1, x.F[(b*c+gr*cg)*ihw:], ihw, col, ihw, 1, gw.F[gr*cg*mg*kk:], mg*kk)
				}
			}
		}
	}
	grads[0] = gx
	if gw != nil {
		grads[1] = gw
	}
	if n.need(2) {
		gb := tensor.New(m)
		for b := 0; b < nb; b++ {
			for j := 0; j < m; j++ {
				for _, v := range g.F[(b*m+j)*ohw : (b*m+j+1)*ohw] {
					gb.F[j] += v
				}
			}
		}
		grads[2] = gb
	}
	return grads, nil
}

// transposeGeometry describes a ConvTranspose as the convolution that reads
// its output plane (size outSp) and writes its input plane (size inSp):
// output position o = i·stride + tap·dilation - padBegin. The begin pads
// follow the operator's rules (explicit pads, or a total padding split by
// auto_pad when output_shape or SAME_* fix the output size).
func transposeGeometry(n *Node, inSp, kernel, outSp []int) (geom2D, error) {
	r := len(inSp)
	ints := func(name string, def, want int) ([]int, error) {
		v, err := n.Attrs.Ints(name, nil)
		if err != nil {
			return nil, err
		}
		out := make([]int, want)
		for i := range out {
			out[i] = def
			if len(v) == want {
				out[i] = int(v[i])
			}
		}
		if len(v) != 0 && len(v) != want {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), want)
		}
		return out, nil
	}
	stride, err := ints("strides", 1, r)
	if err != nil {
		return geom2D{}, err
	}
	dil, err := ints("dilations", 1, r)
	if err != nil {
		return geom2D{}, err
	}
	outPad, err := ints("output_padding", 0, r)
	if err != nil {
		return geom2D{}, err
	}
	pads, err := ints("pads", 0, 2*r)
	if err != nil {
		return geom2D{}, err
	}
	autoPad, err := n.Attrs.String("auto_pad", "NOTSET")
	if err != nil {
		return geom2D{}, err
	}
	outShape, err := n.Attrs.Ints("output_shape", nil)
	if err != nil {
		return geom2D{}, err
	}
	padB := make([]int, r)
	for i := 0; i < r; i++ {
		full := stride[i]*(inSp[i]-1) + outPad[i] + (kernel[i]-1)*dil[i] + 1
		switch {
		case len(outShape) > 0 || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			total := full - outSp[i]
			padB[i] = total >> 1
			if autoPad != "SAME_UPPER" {
				padB[i] = total - total>>1
			}
		case autoPad == "VALID":
		default:
			padB[i] = pads[i]
		}
	}
	if r == 1 {
		return geom2D{inH: 1, inW: outSp[0], kH: 1, kW: kernel[0], sH: 1, sW: stride[0], dH: 1, dW: dil[0],
			padL: padB[0], outH: 1, outW: inSp[0]}, nil
	}
	return geom2D{inH: outSp[0], inW: outSp[1], kH: kernel[0], kW: kernel[1], sH: stride[0], sW: stride[1],
		dH: dil[0], dW: dil[1], padT: padB[0], padL: padB[1], outH: inSp[0], outW: inSp[1]}, nil
}
