package kernels

// runDepthwise runs a depthwise convolution (Group == C == M) channel by
// channel: each channel's planes (see Conv) are small enough to stay in L1,
// and its flattened output is one vector sum over the taps.
func (c *Conv) runDepthwise(dst, src []float32) {
	p := c.p
	taps := p.KH * p.KW
	n := roundUp(c.oh*c.wq, 64)
	// Depthwise runs at a fraction of GEMM speed (memory and per-channel
	// overhead bound): count each multiply-add as 8 operations of work.
	w := workersFor(8 * p.C * c.oh * c.ow * taps)
	parallelFor(p.C, w, func(c0, c1 int) {
		buf := getScratch(c.chanStride + c.slack + n + c.prepTmp)
		planes := (*buf)[:c.chanStride+c.slack]
		out := (*buf)[c.chanStride+c.slack : c.chanStride+c.slack+n]
		tmp := (*buf)[c.chanStride+c.slack+n:]
		clear(planes)
		clear(tmp)
		for ch := c0; ch < c1; ch++ {
			c.prepareChannel(planes, src[ch*p.H*p.W:], tmp)
			var b float32
			if c.bias != nil {
				b = c.bias[ch]
			}
			dwFlat(c.mk.kind, out, n, planes, c.dwOffs, c.dwMaxOff, c.dwW[ch*taps:(ch+1)*taps], b, c.lo, c.hi)
			d := dst[ch*c.oh*c.ow : (ch+1)*c.oh*c.ow]
			copyRows(c.mk.kind, d, c.ow, out, c.wq, c.oh, c.ow)
			if c.silu {
				SiLU(d, d)
			}
		}
		putScratch(buf)
	})
}

// dwFlatGo is the portable dwFlat: dst[i] = clamp(bias + sum_t w[t] *
// src[offs[t]+i], lo, hi) for i < n. src must hold max(offs)+n values.
func dwFlatGo(dst []float32, n int, src []float32, offs []int, w []float32, bias, lo, hi float32) {
	d := dst[:n]
	for i := range d {
		d[i] = bias
	}
	for t, o := range offs {
		wt := w[t]
		s := src[o : o+n]
		for i := range d {
			d[i] += wt * s[i]
		}
	}
	for i := range d {
		d[i] = clamp(d[i], lo, hi)
	}
}
