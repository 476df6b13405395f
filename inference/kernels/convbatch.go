package kernels

// Channel-major products of several images. A 1x1 stride-1 convolution
// on the channel-major path reads its input in place as the product's B
// matrix, one column a pixel, in tiles of NR columns: a 14x14 image's 196
// pixels take 7 tiles of 32, the last one 4 pixels and 28 of padding
// (written to scratch and compacted). In a batch the pixels of the images
// follow each other as the columns of one product: 16 images of 14x14 are
// 98 whole tiles, and only the tiles that straddle two images (or end the
// batch) go through a packed B panel and a scratch tile.

// channelBatchMaxA bounds the packed weights (values) of a product that
// runChannelBatch computes: every column tile reads all of them, which
// must stay in L2 (MobileNetV2's largest channel-major 1x1 convolution,
// 576->96, has 55 296).
const channelBatchMaxA = 1 << 17

// channelBatchFits reports whether RunBatch computes the convolution by
// runChannelBatch: a 1x1 stride-1 convolution without padding, of one
// group, of whole strips of output channels, weights under
// channelBatchMaxA, an image of fewer columns than 8 tiles (larger ones
// lose little to their last tile) and no SiLU (whose vector loop and
// scalar tail would meet the values at other places of a row). The
// pixel-major path's convolutions that fit keep the channel-major
// weights too: in a batch the channel-major product computes no padding
// either, and needs no gather and no transposition; its values are the
// pixel-major product's, bit for bit (the same sums in the same order, then
// the bias, then the clamp).
func (c *Conv) channelBatchFits() bool {
	p := c.p
	return c.direct && p.KH == 1 && p.KW == 1 && p.Group == 1 && !c.silu && p.M%c.mk.mr == 0 &&
		p.M*p.C <= channelBatchMaxA && p.H*p.W < 8*c.mk.nr
}

// runChannelBatch is RunBatch on the channel-major path of a 1x1 stride-1
// convolution (channelBatchFits): one product whose columns are the
// pixels of the n images, one tile of NR columns after the other, each
// through every strip of output channels and every k block. A tile within
// one image reads its input and writes its output in place; one that
// straddles two images (or passes the last) gathers its B panel and
// computes into scratch, whose columns go to their images after the last
// k block. Each output value comes from the same micro-kernel calls as in
// Run (the same A strips and k blocks, C added, then the bias, then the
// clamp, in the kernel), so every image's output is Run's, bit for bit.
func (c *Conv) runChannelBatch(dst, src []float32, n int) {
	c.channelsForBatch()
	p := c.p
	npix := p.H * p.W
	inSize, outSize := p.C*npix, p.M*npix
	mr, nr := c.mk.mr, c.mk.nr
	cols := n * npix
	kb := kcFor(c.kg)
	parallelFor((cols+nr-1)/nr, workersFor(2*p.M*cols*c.kg), func(t0, t1 int) {
		buf := getScratch(kb*nr + p.M*nr)
		panel, ct := (*buf)[:kb*nr], (*buf)[kb*nr:]
		// A tile's runs, at most nr: a constant capacity keeps them on the
		// stack (a batch of 16 of MobileNetV2 allocated 200 KB of them).
		runs := make([]batchSeg, 0, 32)
		for t := t0; t < t1; t++ {
			j := t * nr
			q, jj := j/npix, j%npix
			inside := jj+nr <= npix
			segs, past := runs[:0], nr
			if !inside {
				segs, past = batchSegments(segs, j, nr, npix, cols)
			}
			for pc := 0; pc < c.kg; pc += kb {
				kc := min(kb, c.kg-pc)
				flags := 0
				if pc > 0 {
					flags |= kAccumulate
				}
				if pc+kc >= c.kg {
					if c.bias != nil {
						flags |= kBias
					}
					if c.clamp {
						flags |= kClamp
					}
				}
				b, ldb := panel, 0
				if inside {
					b, ldb = src[q*inSize+pc*npix+jj:], npix
				} else {
					for _, sg := range segs {
						for k := range kc {
							copy(panel[k*nr+sg.col:k*nr+sg.col+sg.w], src[sg.img*inSize+(pc+k)*npix+sg.at:])
						}
					}
					// Columns past the batch are computed and dropped:
					// zeros keep them finite.
					for k := range kc {
						clear(panel[k*nr+past : k*nr+nr])
					}
				}
				for ir := 0; ir < p.M; ir += mr {
					var bias []float32
					if flags&kBias != 0 {
						bias = c.biasPad[ir:]
					}
					out, ldc := ct[ir*nr:], nr
					if inside {
						out, ldc = dst[q*outSize+ir*npix+jj:], npix
					}
					c.mk.run(kc, c.ap[pc*c.mpad+ir*kc:], 0, b, ldb, nil, out, ldc, flags, bias, c.lo, c.hi)
				}
			}
			for _, sg := range segs {
				for m := range p.M {
					at := sg.img*outSize + m*npix + sg.at
					copy(dst[at:at+sg.w], ct[m*nr+sg.col:])
				}
			}
		}
		putScratch(buf)
	})
}

// batchSeg is a run of a tile's columns within one image: the w columns
// from col on of the tile are columns at.. of image img.
type batchSeg struct{ col, img, at, w int }

// batchSegments appends to segs the runs within one image of the nr
// columns from column j on of a batch of images of npix columns each
// (cols in all), and returns them with the first column of the tile past
// the batch (nr if none).
func batchSegments(segs []batchSeg, j, nr, npix, cols int) ([]batchSeg, int) {
	for col := 0; col < nr; {
		g := j + col
		if g >= cols {
			return segs, col
		}
		at := g % npix
		w := min(nr-col, npix-at)
		segs = append(segs, batchSeg{col, g / npix, at, w})
		col += w
	}
	return segs, nr
}

// channelsForBatch packs, at a pixel-major convolution's first batch, the
// weights of the channel-major product runChannelBatch runs, from the
// pixel-major path's copy (their transpose, the same values): packed at
// load, these took 14 MB of DenseNet-121's peak RSS at batch 1, where no
// layer runs them.
func (c *Conv) channelsForBatch() {
	if c.pix == nil {
		return
	}
	c.batchOnce.Do(func() {
		c.packChannels(c.pix.wt, c.pix.ldw, true, c.bias)
	})
}
