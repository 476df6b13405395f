package ops

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("ConvTranspose", buildConvTranspose, differentiable) }

// convTranspose is the gradient of Conv with respect to its input, for any
// number of spatial dimensions: per group, one GEMM forms every
// (output channel, kernel tap, input position) product, and a scatter-add
// (col2im) puts each where the tap lands in the output.
type convTranspose struct {
	win        window
	group      int
	outPad     []int
	outShape   []int
	hasOutSize bool
}

func buildConvTranspose(n *Node) (Op, error) {
	win, err := readWindow("ConvTranspose", n.Attrs)
	if err != nil {
		return nil, err
	}
	g, err := n.Attrs.Int("group", 1)
	if err != nil {
		return nil, fmt.Errorf("ConvTranspose: %w", err)
	}
	if g <= 0 {
		return nil, fmt.Errorf("ConvTranspose: group %d must be positive", g)
	}
	ct := &convTranspose{win: win, group: int(g)}
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"output_padding", &ct.outPad}, {"output_shape", &ct.outShape}} {
		v, err := n.Attrs.Ints(f.name, nil)
		if err != nil {
			return nil, fmt.Errorf("ConvTranspose: %w", err)
		}
		for _, x := range v {
			*f.dst = append(*f.dst, int(x))
		}
	}
	ct.hasOutSize = ct.outShape != nil
	return ct, nil
}

// geometry works out the pads and output size of each spatial dimension.
func (ct *convTranspose) geometry(in, k []int) (padB, out []int, err error) {
	r := len(in)
	list := func(name string, v []int, def int) ([]int, error) {
		if len(v) == 0 {
			v = make([]int, r)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != r {
			return nil, fmt.Errorf("ConvTranspose: %s has %d values for %d spatial dimensions", name, len(v), r)
		}
		return v, nil
	}
	stride, err := list("strides", ct.win.strides, 1)
	if err != nil {
		return nil, nil, err
	}
	dil, err := list("dilations", ct.win.dilations, 1)
	if err != nil {
		return nil, nil, err
	}
	outPad, err := list("output_padding", ct.outPad, 0)
	if err != nil {
		return nil, nil, err
	}
	pads := ct.win.pads
	if len(pads) == 0 {
		pads = make([]int, 2*r)
	}
	if len(pads) != 2*r {
		return nil, nil, fmt.Errorf("ConvTranspose: pads has %d values for %d spatial dimensions", len(pads), r)
	}
	var want []int
	switch {
	case ct.hasOutSize:
		// output_shape may list the spatial sizes or the whole shape.
		want = ct.outShape[max(len(ct.outShape)-r, 0):]
		if len(want) != r {
			return nil, nil, fmt.Errorf("ConvTranspose: output_shape %v does not fit %d spatial dimensions", ct.outShape, r)
		}
	case ct.win.autoPad == "SAME_UPPER" || ct.win.autoPad == "SAME_LOWER":
		want = make([]int, r)
		for i := range want {
			want[i] = in[i] * stride[i]
		}
	}
	padB, out = make([]int, r), make([]int, r)
	for i := 0; i < r; i++ {
		if stride[i] <= 0 || dil[i] <= 0 || k[i] <= 0 {
			return nil, nil, fmt.Errorf("ConvTranspose: kernel, strides and dilations must be positive")
		}
		for _, v := range []int{k[i], stride[i], dil[i], outPad[i], pads[i], pads[r+i]} {
			if v > maxElements {
				return nil, nil, fmt.Errorf("ConvTranspose: kernel %v, strides %v, dilations %v, pads %v or output_padding %v are out of proportion: CAMscope accepts each up to %d, the size limit of one output", k, stride, dil, pads, outPad, maxElements)
			}
		}
		full := stride[i]*(in[i]-1) + outPad[i] + (k[i]-1)*dil[i] + 1
		if want != nil {
			// total is negative when output_shape asks for more than the
			// full output: the extra positions are zeros plus bias. The
			// halving rounds down, as in the spec's reference.
			total := full - want[i]
			half := total >> 1
			if ct.win.autoPad == "SAME_UPPER" {
				padB[i] = half
			} else {
				padB[i] = total - half
			}
			out[i] = want[i]
		} else {
			if ct.win.autoPad != "VALID" {
				padB[i] = pads[i]
				out[i] = full - pads[i] - pads[r+i]
			} else {
				out[i] = full
			}
		}
		if out[i] <= 0 {
			return nil, nil, fmt.Errorf("ConvTranspose: output size %d along spatial dimension %d is not positive", out[i], i)
		}
	}
	return padB, out, nil
}

func (ct *convTranspose) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := required("ConvTranspose", inputs, 2); err != nil {
		return nil, err
	}
	x, w, b := inputs[0], inputs[1], in(inputs, 2)
	for _, t := range []*tensor.Tensor{x, w, b} {
		if t != nil {
			if err := requireFloat("ConvTranspose", t); err != nil {
				return nil, err
			}
		}
	}
	nb, ch, sp, err := spatial("ConvTranspose", x.Shape)
	if err != nil {
		return nil, err
	}
	g := ct.group
	if w.Rank() != x.Rank() || w.Shape[0] != ch || ch%g != 0 {
		return nil, fmt.Errorf("ConvTranspose: weights %s do not fit input %s with group %d", tensor.ShapeString(w.Shape), tensor.ShapeString(x.Shape), g)
	}
	k := w.Shape[2:]
	if len(ct.win.kernel) > 0 && !tensor.EqualShape(ct.win.kernel, k) {
		return nil, fmt.Errorf("ConvTranspose: kernel_shape %v differs from the weights %s", ct.win.kernel, tensor.ShapeString(w.Shape))
	}
	mg := w.Shape[1]
	m := mg * g
	if b != nil && b.Len() != m {
		return nil, fmt.Errorf("ConvTranspose: bias must have %d values, got %s", m, tensor.ShapeString(b.Shape))
	}
	padB, osp, err := ct.geometry(sp, k)
	if err != nil {
		return nil, err
	}
	outShape := append([]int{nb, m}, osp...)
	if err := budget.checkSize("ConvTranspose", tensor.Float32, outShape); err != nil {
		return nil, err
	}
	out := tensor.New(outShape...)
	cg, kk, pIn, pOut := ch/g, tensor.Size(k), tensor.Size(sp), tensor.Size(osp)
	stride, dil := ct.win.strides, ct.win.dilations
	cols := make([]float32, mg*kk*pIn)
	// Every (tap, input position) pair's output offset, or -1 outside.
	dest := scatterOffsets(sp, k, osp, padB, stride, dil)
	for n := 0; n < nb; n++ {
		for gi := 0; gi < g; gi++ {
			xg := x.F[(n*ch+gi*cg)*pIn:]
			wg := w.F[gi*cg*mg*kk:]
			kernels.Gemm(true, false, mg*kk, pIn, cg, 1, wg, mg*kk, xg, pIn, 0, cols, pIn)
			for mm := 0; mm < mg; mm++ {
				o := out.F[(n*m+gi*mg+mm)*pOut : (n*m+gi*mg+mm+1)*pOut]
				c := cols[mm*kk*pIn : (mm+1)*kk*pIn]
				for i, d := range dest {
					if d >= 0 {
						o[d] += c[i]
					}
				}
			}
		}
	}
	if b != nil {
		for p := 0; p < nb*m; p++ {
			bv := b.F[p%m]
			for i := range out.F[p*pOut : (p+1)*pOut] {
				out.F[p*pOut+i] += bv
			}
		}
	}
	return one(out), nil
}

// scatterOffsets lists, for tap t and input position p (index t*P+p), the
// flat output position that input position p reaches through tap t, or -1
// when it falls in the cropped padding.
func scatterOffsets(in, k, out, padB, stride, dil []int) []int {
	r := len(in)
	get := func(v []int, i int) int {
		if len(v) == 0 {
			return 1
		}
		return v[i]
	}
	kk, pIn := tensor.Size(k), tensor.Size(in)
	ost := tensor.Strides(out)
	dest := make([]int, kk*pIn)
	tap, pos := make([]int, r), make([]int, r)
	for t := 0; t < kk; t++ {
		for d, rem := r-1, t; d >= 0; d-- {
			tap[d] = rem % k[d]
			rem /= k[d]
		}
		for p := 0; p < pIn; p++ {
			for d, rem := r-1, p; d >= 0; d-- {
				pos[d] = rem % in[d]
				rem /= in[d]
			}
			off := 0
			for d := 0; d < r; d++ {
				o := pos[d]*get(stride, d) + tap[d]*get(dil, d) - padB[d]
				if o < 0 || o >= out[d] {
					off = -1
					break
				}
				off += o * ost[d]
			}
			dest[t*pIn+p] = off
		}
	}
	return dest
}

func (ct *convTranspose) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(p, gs, ct.vjp)
}

// vjp: a transposed convolution scatters x through W, so its input
// gradient gathers the output gradient back: an ordinary convolution of G
// (im2col over the output plane, a GEMM with W per group). The weight
// gradient is x·im2col(G)ᵀ, the bias gradient the sum of G.
func (ct *convTranspose) vjp(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	x, w, y := p.Inputs[0], p.in(1), p.Outputs[0]
	if w == nil || w.Rank() != x.Rank() || (x.Rank() != 3 && x.Rank() != 4) {
		return nil, fmt.Errorf("want a 1-D or 2-D N x C x spatial input and matching weights")
	}
	group := ct.group
	nb, c := x.Shape[0], x.Shape[1]
	if c%group != 0 || w.Shape[0] != c {
		return nil, fmt.Errorf("weights %s do not fit input %s with %d groups", tensor.ShapeString(w.Shape), tensor.ShapeString(x.Shape), group)
	}
	cg, mg := c/group, w.Shape[1]
	m := mg * group
	geo, err := ct.plane(x.Shape[2:], w.Shape[2:], y.Shape[2:])
	if err != nil {
		return nil, err
	}
	kk := geo.kH * geo.kW
	ihw, ohw := geo.outH*geo.outW, geo.inH*geo.inW // x's plane, y's plane
	col := make([]float32, mg*kk*ihw)
	grads := make([]*tensor.Tensor, len(p.Inputs))
	var gx, gw *tensor.Tensor
	if p.need(0) {
		gx = tensor.New(x.Shape...)
	}
	if p.need(1) {
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
	if p.need(2) {
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

// plane describes the transposed convolution as the convolution that reads
// its output plane (size outSp) and writes its input plane (size inSp):
// output position o = i·stride + tap·dilation - padBegin, with the begin
// pads of geometry.
func (ct *convTranspose) plane(inSp, kernel, outSp []int) (geom2D, error) {
	padB, _, err := ct.geometry(inSp, kernel)
	if err != nil {
		return geom2D{}, err
	}
	r := len(inSp)
	stride, dil := make([]int, r), make([]int, r)
	for i := range stride {
		stride[i], dil[i] = 1, 1
		if len(ct.win.strides) == r {
			stride[i] = ct.win.strides[i]
		}
		if len(ct.win.dilations) == r {
			dil[i] = ct.win.dilations[i]
		}
	}
	if r == 1 {
		return geom2D{inH: 1, inW: outSp[0], kH: 1, kW: kernel[0], sH: 1, sW: stride[0], dH: 1, dW: dil[0],
			padL: padB[0], outH: 1, outW: inSp[0]}, nil
	}
	return geom2D{inH: outSp[0], inW: outSp[1], kH: kernel[0], kW: kernel[1], sH: stride[0], sW: stride[1],
		dH: dil[0], dW: dil[1], padT: padB[0], padL: padB[1], outH: inSp[0], outW: inSp[1]}, nil
}
