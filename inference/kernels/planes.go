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
	switch {
	case c.stride2Direct():
		c.prepTmp = c.wq
	case p.StrideH != 1 || p.StrideW != 1:
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
	if c.stride2Direct() {
		c.prepareStride2(dst, src, tmp[:c.wq])
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

// stride2Direct reports whether prepareChannel uses prepareStride2: for
// stride 2 and rows long enough for its vector loop (short rows vectorise
// better padded first).
func (c *Conv) stride2Direct() bool {
	return c.p.StrideH == 2 && c.p.StrideW == 2 && c.p.W >= 32
}

// prepareStride2 is prepareChannel for stride 2, straight from the input:
// input row iy goes to row (iy+PadT)/2 of the planes of phase (iy+PadT)%2,
// its even values to the planes of column phase PadL%2 from column PadL/2
// on, its odd values to the other column phase from (PadL+1)/2 on. Phases
// no tap uses go to junk.
func (c *Conv) prepareStride2(dst, src, junk []float32) {
	p := c.p
	psize := c.hq * c.wq
	plane := func(py, px int) ([]float32, int) {
		for a, y := range c.phY {
			for b, x := range c.phX {
				if y == py && x == px {
					return dst[(a*len(c.phX)+b)*psize : (a*len(c.phX)+b+1)*psize], c.wq
				}
			}
		}
		return junk, 0
	}
	pxE, offE, offO := p.PadL%2, p.PadL/2, (p.PadL+1)/2
	nE := max(0, min((p.W+1)/2, c.wq-offE)) // even values that land in a plane
	nO := max(0, min(p.W/2, c.wq-offO))
	pairs := min(nE, nO)
	for py := 0; py < 2; py++ {
		if indexOfOr(c.phY, py) < 0 {
			continue
		}
		iy0 := (py - p.PadT%2 + 2) % 2 // first input row of this row phase
		r0 := (iy0 + p.PadT) / 2
		rows := min((p.H-iy0+1)/2, c.hq-r0)
		if rows <= 0 {
			continue
		}
		even, es := plane(py, pxE)
		odd, os := plane(py, 1-pxE)
		in := src[iy0*p.W:]
		if pairs > 0 {
			deinterleaveRows(c.mk.kind, even[r0*es+offE:], es, odd[r0*os+offO:], os, in, 2*p.W, rows, pairs)
		}
		for i := 0; i < rows; i++ {
			row := in[2*i*p.W : 2*i*p.W+p.W]
			for q := pairs; q < nE; q++ {
				even[(r0+i)*es+offE+q] = row[2*q]
			}
			for q := pairs; q < nO; q++ {
				odd[(r0+i)*os+offO+q] = row[2*q+1]
			}
		}
	}
}

func indexOfOr(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
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

// interleaveRowsGo is the portable interleaveRows: for each row i < rows,
// dst[i*ds+2j] = even[i*es+j] and dst[i*ds+2j+1] = odd[i*os+j] for j < n.
func interleaveRowsGo(dst []float32, ds int, even []float32, es int, odd []float32, os int, rows, n int) {
	for i := 0; i < rows; i++ {
		d, e, o := dst[i*ds:i*ds+2*n], even[i*es:i*es+n], odd[i*os:i*os+n]
		for j := range e {
			d[2*j] = e[j]
			d[2*j+1] = o[j]
		}
	}
}

// InterleaveRows sets dst[i*ds+2j] = even[i*es+j] and dst[i*ds+2j+1] =
// odd[i*os+j] for i < rows and j < n: rows of a stride-2 convolution's
// input gradient from its even and odd columns.
func InterleaveRows(dst []float32, ds int, even []float32, es int, odd []float32, os int, rows, n int) {
	interleaveRows(active.kind, dst, ds, even, es, odd, os, rows, n)
}

// Deinterleave sets even[i] = src[2i] and odd[i] = src[2i+1] for every
// index of src: even needs room for (len(src)+1)/2 values, odd for
// len(src)/2 (the stride-2 rows of pooling).
func Deinterleave(even, odd, src []float32) {
	n := len(src) / 2
	if n > 0 {
		deinterleaveRows(active.kind, even, n, odd, n, src, 2*n, 1, n)
	}
	if len(src)%2 == 1 {
		even[n] = src[2*n]
	}
}
