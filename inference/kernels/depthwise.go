package kernels

// runDepthwise runs a depthwise convolution (Group == C == M) channel by
// channel: each channel's planes (see Conv) are small enough to stay in L1,
// and its flattened output is one vector sum over the taps.
func (c *Conv) runDepthwise(dst, src []float32) {
	p := c.p
	w := workersFor(dwWork(p, c.oh, c.ow))
	parallelFor(p.C, w, func(c0, c1 int) {
		if c.dw.recs != nil {
			c.depthwiseDirect(dst[c0*c.oh*c.ow:], src, c0, c1)
			return
		}
		c.depthwiseChannels(dst[c0*c.oh*c.ow:], src[c0*p.H*p.W:], c0, c1)
	})
}

// dwWork is the work of a depthwise convolution in the units of
// workersFor. Depthwise runs at a fraction of GEMM speed (plane
// preparation, per-channel overhead and memory bound: 0.07 to 0.19 ns a
// multiply-add on one Zen 5 core, against 0.013 ns in a GEMM), so a
// multiply-add counts as 24 operations: MobileNets' depthwise layers of
// 7x7 to 14x14 images (60-80 us) then use both cores.
func dwWork(p ConvParams, oh, ow int) int {
	return 24 * p.C * oh * ow * p.KH * p.KW
}

// depthwiseChannels computes channels c0..c1 of a depthwise convolution:
// src and dst start at channel c0 (H x W and OH x OW values a channel).
func (c *Conv) depthwiseChannels(dst, src []float32, c0, c1 int) {
	p := c.p
	taps := p.KH * p.KW
	n := roundUp(c.oh*c.wq, dwFlatStep(c.mk.kind))
	buf := getScratch(c.chanStride + c.slack + n + c.prepTmp)
	planes := (*buf)[:c.chanStride+c.slack]
	out := (*buf)[c.chanStride+c.slack : c.chanStride+c.slack+n]
	tmp := (*buf)[c.chanStride+c.slack+n:]
	clear(planes)
	clear(tmp)
	hw := p.H * p.W
	for ch := c0; ch < c1; ch++ {
		i := ch - c0
		if ch+1 < c1 {
			prefetch(c.mk.kind, src[(i+1)*hw:(i+2)*hw])
		}
		c.prepareChannel(planes, src[i*hw:], tmp)
		var b float32
		if c.bias != nil {
			b = c.bias[ch]
		}
		dwFlat(c.mk.kind, out, n, planes, c.dwOffs, c.dwMaxOff, c.dwW[ch*taps:(ch+1)*taps], b, c.lo, c.hi)
		d := dst[i*c.oh*c.ow : (i+1)*c.oh*c.ow]
		copyRows(c.mk.kind, d, c.ow, out, c.wq, c.oh, c.ow)
		if c.silu {
			SiLU(d, d)
		}
	}
	putScratch(buf)
}

// dwFlatStep is the multiple of outputs dwFlat computes on kernel kind:
// AVX-512 ends in blocks of 16, the others work in blocks of 64.
func dwFlatStep(kind kernelKind) int {
	if kind == kindAVX512 {
		return 16
	}
	return 64
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
