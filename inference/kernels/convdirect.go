package kernels

// The direct path of a dense 3x3 stride-2 convolution of few input
// channels (a CNN's first layer on an RGB image: MobileNets',
// EfficientNets'), on AVX-512. The GEMM path computes it over the planes
// (the input deinterleaved into four phases) with K = 27, and because the
// planes' rows are one column longer than the output's, writes whole tiles
// to a scratch matrix the size of the output and compacts it into dst
// after: 1.6 MB written and read back at MobileNetV2's 32x112x112, most of
// the layer's time. Here each chunk of up to 16 output pixels (the records
// of the depthwise stride-2 path, dwdirect.go) loads each input channel's
// nine taps straight from the input (the even values of 32 loaded,
// VPERMT2PS), multiplies them into the output channels and stores the
// clamped sums where they belong: three chunks and 8 output channels at a
// time, so that each weight, broadcast once, serves three FMAs (16
// channels of one chunk, each FMA broadcasting its weight from memory,
// took 318-324 µs at SqueezeNet's 3->64 at 224x224 on one core of a Zen
// 5, and 264-280 this way; MobileNetV2's 3->32 152-165 and 126-133).

// convDirect is the direct path of a Conv.
type convDirect struct {
	dw   dwGeom    // chunk records and sizes (stride 2)
	w    []float32 // per block of 16 output channels, input channel and tap: the 16 channels' weights
	bias []float32 // M values (zeros without a bias)
}

// convDirectApplies reports whether a convolution with parameters p takes
// the direct path on micro-kernel kind: 3x3, stride 2, dilation 1, one
// group, at most 4 input channels, output channels a multiple of 16.
func convDirectApplies(p ConvParams, kind kernelKind) bool {
	return kind == kindAVX512 && p.Group == 1 && p.C <= 4 && p.M%16 == 0 &&
		p.KH == 3 && p.KW == 3 && p.StrideH == 2 && p.StrideW == 2 && p.DilH == 1 && p.DilW == 1
}

// setupConvDirect prepares the direct path from the weights (M x C x 3 x 3)
// and bias (M values or nil).
func (c *Conv) setupConvDirect(weights, bias []float32) {
	p := c.p
	g := newDwGeom(p, c.oh, c.ow, false)
	// The kernel computes three chunks at a time: the last record again
	// to a multiple of three (its outputs written again, the same).
	for len(g.recs)%(3*dwRecWords2) != 0 {
		g.recs = append(g.recs, g.recs[len(g.recs)-dwRecWords2:]...)
	}
	cd := &convDirect{
		dw:   g,
		w:    make([]float32, p.M*p.C*9),
		bias: make([]float32, p.M),
	}
	copy(cd.bias, bias)
	if !c.clamp {
		c.lo, c.hi = -float32Inf, float32Inf
	}
	for m := 0; m < p.M; m++ {
		for k := 0; k < p.C*9; k++ {
			cd.w[(m/16*p.C*9+k)*16+m%16] = weights[m*p.C*9+k]
		}
	}
	c.cd = cd
}

// runConvDirect computes dst (M x OH x OW) from src (C x H x W), blocks of
// 16 output channels over the cores.
func (c *Conv) runConvDirect(dst, src []float32) {
	p := c.p
	g := c.cd.dw
	blocks := p.M / 16
	w := workersFor(2 * p.M * g.ohw * p.C * 9)
	parallelFor(blocks, w, func(b0, b1 int) {
		d := dst[b0*16*g.ohw : b1*16*g.ohw]
		convDirectBlocks(c.mk.kind, d, src[:p.C*g.hw], p.C, b0, b1, g, c.cd.w, c.cd.bias, c.lo, c.hi)
		if c.silu {
			SiLU(d, d)
		}
	})
}

// convDirectBlocksGo is the portable convDirectBlocks: output channels
// 16*b0 .. 16*b1 into dst (which starts at channel 16*b0) from the c
// channels of src, through the chunk records of g (stride 2).
func convDirectBlocksGo(dst, src []float32, c, b0, b1 int, g dwGeom, w, bias []float32, lo, hi float32) {
	for m := 16 * b0; m < 16*b1; m++ {
		out := dst[(m-16*b0)*g.ohw:]
		wm := w[m/16*c*9*16:]
		for r := 0; r+dwRecWords2 <= len(g.recs); r += dwRecWords2 {
			rec := g.recs[r : r+dwRecWords2]
			for l := 0; l < 16; l++ {
				if rec[2]&(1<<l) == 0 {
					continue
				}
				acc := bias[m]
				for ci := 0; ci < c; ci++ {
					for t := 0; t < 9; t++ {
						if rec[3+t]&(1<<l) != 0 {
							acc += wm[(ci*9+t)*16+m%16] * src[ci*g.hw+int(rec[1])+(t/3)*g.width+t%3+2*l]
						}
					}
				}
				out[int(rec[0])+l] = clamp(acc, lo, hi)
			}
		}
	}
}
