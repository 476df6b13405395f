package ops

import (
	"sync"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// transposedConvs keeps, per input size, the prepared convolution that
// computes a stride-1 convolution's input gradient (see inputGradConv),
// for the constant weights of one conv; at most maxPrepared sizes.
type transposedConvs struct {
	mu    sync.Mutex
	cache map[[2]int]*kernels.Conv
	order [][2]int
}

// inputGradConv returns the convolution whose output, run on the output
// gradient of c, is the input gradient, or nil where there is none: for
// stride 1 the input gradient is a convolution of the output gradient with
// the weights flipped in space and transposed in channels (within each
// group), dilated as c, and padded by dil*(k-1)-pad on each side, so the
// forward kernels (kernels.Conv) compute it rather than a GEMM and col2im.
// Strided convolutions, and padding wider than the dilated kernel, keep
// the GEMM.
func (c *conv) inputGradConv(w *tensor.Tensor, geo geom2D, ch int) *kernels.Conv {
	if geo.sH != 1 || geo.sW != 1 {
		return nil
	}
	extH, extW := geo.dH*(geo.kH-1), geo.dW*(geo.kW-1)
	if geo.padT > extH || geo.padB > extH || geo.padL > extW || geo.padR > extW {
		return nil
	}
	m := w.Shape[0]
	p := kernels.ConvParams{
		C: m, H: geo.outH, W: geo.outW, M: ch, KH: geo.kH, KW: geo.kW,
		StrideH: 1, StrideW: 1, DilH: geo.dH, DilW: geo.dW,
		PadT: extH - geo.padT, PadB: extH - geo.padB, PadL: extW - geo.padL, PadR: extW - geo.padR,
		Group: c.group,
	}
	if p.Validate() != nil {
		return nil
	}
	build := func() *kernels.Conv {
		return kernels.NewConv(p, transposeConvWeights(w.F, m, ch, geo.kH*geo.kW, c.group), nil)
	}
	if c.w == nil || tensor.ArrayID(w) != tensor.ArrayID(c.w) {
		return build()
	}
	t := &c.back
	key := [2]int{geo.inH, geo.inW}
	t.mu.Lock()
	defer t.mu.Unlock()
	if k, ok := t.cache[key]; ok {
		return k
	}
	k := build()
	if t.cache == nil {
		t.cache = map[[2]int]*kernels.Conv{}
	}
	if len(t.order) == maxPrepared {
		delete(t.cache, t.order[0])
		t.order = t.order[1:]
	}
	t.cache[key] = k
	t.order = append(t.order, key)
	return k
}

// transposeConvWeights returns the weights of the transposed convolution:
// w is m x ch/group x taps (taps = kH*kW, rows of kW), the result
// ch x m/group x taps, with weight (g*cg+i, j, t) = w(g*mg+j, i, taps-1-t):
// input and output channels swapped within each group, the kernel turned
// by 180 degrees.
func transposeConvWeights(w []float32, m, ch, taps, group int) []float32 {
	cg, mg := ch/group, m/group
	out := make([]float32, ch*mg*taps)
	for g := range group {
		for i := range cg {
			for j := range mg {
				src := w[((g*mg+j)*cg+i)*taps:][:taps]
				dst := out[((g*cg+i)*mg+j)*taps:][:taps]
				for t := range taps {
					dst[t] = src[taps-1-t]
				}
			}
		}
	}
	return out
}
