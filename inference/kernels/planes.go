package kernels

// setupPlanes chooses the plane geometry (see Conv).
func (c *Conv) setupPlanes() {
	p := c.p
	c.direct = p.StrideH == 1 && p.StrideW == 1 && p.PadT == 0 && p.PadL == 0 && p.PadB == 0 && p.PadR == 0
	c.hq = c.oh + (p.KH-1)*p.DilH/p.StrideH
	c.wq = c.ow + (p.KW-1)*p.DilW/p.StrideW
	c.phY = phases(p.KH, p.DilH, p.StrideH)
	c.phX = phases(p.KW, p.DilW, p.StrideW)
	c.chanStride = len(c.phY) * len(c.phX) * c.hq * c.wq
	c.slack = c.wq + 128
	if p.StrideH != 1 || p.StrideW != 1 {
		c.hp = max(c.hq*p.StrideH, p.PadT+p.H)
		c.wp = max(c.wq*p.StrideW, p.PadL+p.W)
		c.prepTmp = c.hp*c.wp + c.wq
	}
}

// phases lists the stride phases (k*dil)%stride that the taps use, in order.
func phases(k, dil, stride int) []int {
	used := make([]bool, stride)
	for i := 0; i < k; i++ {
		used[i*dil%stride] = true
	}
	var ph []int
	for v, u := range used {
		if u {
			ph = append(ph, v)
		}
	}
	return ph
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	panic("kernels: phase not found")
}

// tapOffset is the offset, within a channel's planes, of tap (ky, kx) for
// output pixel (0, 0).
func (c *Conv) tapOffset(ky, kx int) int {
	p := c.p
	dy, dx := ky*p.DilH, kx*p.DilW
	plane := indexOf(c.phY, dy%p.StrideH)*len(c.phX) + indexOf(c.phX, dx%p.StrideW)
	return plane*c.hq*c.wq + dy/p.StrideH*c.wq + dx/p.StrideW
}

// prepareChannel writes the planes of one input channel (H x W) to dst
// (chanStride values). A stride-1 convolution has one plane, the zero-padded
// input. Otherwise the input is zero-padded into tmp (prepTmp values), hp x
// wp, and plane (py, px) takes its rows r*s+py and columns q*s+px; for stride
// 2 one vector deinterleave of a padded row fills both column phases.
//
// Only the input's own values are written to the padded image: its zero
// border must already be there, that is dst (stride 1) or tmp (other
// strides) must have been cleared before the first call with this Conv.
func (c *Conv) prepareChannel(dst, src, tmp []float32) {
	p := c.p
	src = src[:p.H*p.W]
	if p.StrideH == 1 && p.StrideW == 1 {
		copyRows(c.mk.kind, dst[p.PadT*c.wq+p.PadL:c.hq*c.wq], c.wq, src, p.W, p.H, p.W)
		return
	}
	rows, cols := min(p.H, c.hp-p.PadT), min(p.W, c.wp-p.PadL)
	copyRows(c.mk.kind, tmp[p.PadT*c.wp+p.PadL:c.hp*c.wp], c.wp, src, p.W, rows, cols)
	psize := c.hq * c.wq
	for a, py := range c.phY {
		in := tmp[py*c.wp : c.hp*c.wp]
		if p.StrideW == 2 {
			even, odd := tmp[c.hp*c.wp:], tmp[c.hp*c.wp:]
			evenStride, oddStride := 0, 0
			for b, px := range c.phX {
				plane := dst[(a*len(c.phX)+b)*psize : (a*len(c.phX)+b+1)*psize]
				if px == 0 {
					even, evenStride = plane, c.wq
				} else {
					odd, oddStride = plane, c.wq
				}
			}
			deinterleaveRows(c.mk.kind, even, evenStride, odd, oddStride, in, p.StrideH*c.wp, c.hq, c.wq)
			continue
		}
		for b, px := range c.phX {
			plane := dst[(a*len(c.phX)+b)*psize : (a*len(c.phX)+b+1)*psize]
			for r := 0; r < c.hq; r++ {
				row := plane[r*c.wq : (r+1)*c.wq]
				x := in[r*p.StrideH*c.wp:]
				for q := range row {
					row[q] = x[q*p.StrideW+px]
				}
			}
		}
	}
}

// copyRowsGo is the portable copyRows: row i (n values) of src, at i*ss,
// goes to dst at i*ds, for i < rows.
func copyRowsGo(dst []float32, ds int, src []float32, ss, rows, n int) {
	for i := 0; i < rows; i++ {
		copy(dst[i*ds:i*ds+n], src[i*ss:i*ss+n])
	}
}

// deinterleaveRowsGo is the portable deinterleaveRows: for each row i <
// rows, the even and odd values of src[i*ss : i*ss+2n] go to even[i*es:] and
// odd[i*os:] (a stride of 0 rewrites one scratch row).
func deinterleaveRowsGo(even []float32, es int, odd []float32, os int, src []float32, ss, rows, n int) {
	for i := 0; i < rows; i++ {
		e, o, s := even[i*es:i*es+n], odd[i*os:i*os+n], src[i*ss:i*ss+2*n]
		for j := range e {
			e[j] = s[2*j]
			o[j] = s[2*j+1]
		}
	}
}
