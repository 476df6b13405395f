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
func (c *Conv) prepareChannel(dst, src, tmp []float32) {
	p := c.p
	src = src[:p.H*p.W]
	if p.StrideH == 1 && p.StrideW == 1 {
		padInto(dst, src, p.H, p.W, c.hq, c.wq, p.PadT, p.PadL)
		return
	}
	padInto(tmp, src, p.H, p.W, c.hp, c.wp, p.PadT, p.PadL)
	junk := tmp[c.hp*c.wp : c.hp*c.wp+c.wq]
	psize := c.hq * c.wq
	for a, py := range c.phY {
		for r := 0; r < c.hq; r++ {
			in := tmp[(r*p.StrideH+py)*c.wp : (r*p.StrideH+py+1)*c.wp]
			rowOf := func(b int) []float32 {
				o := (a*len(c.phX)+b)*psize + r*c.wq
				return dst[o : o+c.wq]
			}
			if p.StrideW == 2 {
				even, odd := junk, junk
				for b, px := range c.phX {
					if px == 0 {
						even = rowOf(b)
					} else {
						odd = rowOf(b)
					}
				}
				deinterleave2(c.mk.kind, even, odd, in)
				continue
			}
			for b, px := range c.phX {
				row := rowOf(b)
				for q := range row {
					row[q] = in[q*p.StrideW+px]
				}
			}
		}
	}
}

// padInto writes the h x w input src into dst as an hp x wp image with pt
// zero rows above and pl zero columns to the left, zeros filling the rest
// (the input is cropped if it does not fit).
func padInto(dst, src []float32, h, w, hp, wp, pt, pl int) {
	dst = dst[:hp*wp]
	clear(dst[:pt*wp])
	rows := min(h, hp-pt)
	for y := 0; y < rows; y++ {
		row := dst[(pt+y)*wp : (pt+y+1)*wp]
		for i := range row[:pl] {
			row[i] = 0
		}
		n := copyFloats(row[pl:], src[y*w:(y+1)*w])
		tail := row[pl+n:]
		for i := range tail {
			tail[i] = 0
		}
	}
	clear(dst[(pt+rows)*wp:])
}

// copyFloats is copy, without the call into memmove for short rows.
func copyFloats(dst, src []float32) int {
	n := min(len(dst), len(src))
	if n >= 32 {
		return copy(dst, src)
	}
	dst, src = dst[:n], src[:n]
	for i := range dst {
		dst[i] = src[i]
	}
	return n
}

// deinterleave2Go is the portable deinterleave2: even[i] = src[2i] and
// odd[i] = src[2i+1] for i < len(even) (== len(odd)).
func deinterleave2Go(even, odd, src []float32) {
	n := len(even)
	odd = odd[:n]
	src = src[:2*n]
	for i := range even {
		even[i] = src[2*i]
		odd[i] = src[2*i+1]
	}
}
