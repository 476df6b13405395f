package trainer

import "camscope/inference/kernels"

// Forward runs the network on one CHW image in plain Go and returns the last
// feature map ([Features][S][S], after its ReLU) and the logits. It is the
// evaluator's path and needs no gorgonia graph.
func (p *Params) Forward(x []float32) (features, logits []float32) {
	s := p.Arch.Size
	if len(x) != 3*s*s {
		panic("trainer: Forward input size mismatch")
	}
	h := x
	for _, c := range p.Convs {
		h = convReLU(h, c, s)
		if c.Pool {
			h = maxPool2(h, c.Out, s)
			s /= 2
		}
	}
	f := p.Convs[len(p.Convs)-1].Out
	k := p.Arch.Classes
	logits = make([]float32, k)
	pooled := make([]float32, f)
	for ch := 0; ch < f; ch++ {
		pooled[ch] = kernels.Mean(h[ch*s*s : (ch+1)*s*s])
	}
	for c := 0; c < k; c++ {
		v := p.FCB[c]
		for ch := 0; ch < f; ch++ {
			v += p.FCW[c*f+ch] * pooled[ch]
		}
		logits[c] = v
	}
	return h, logits
}

// CAM returns the class activation map of class c for a feature map from
// Forward: sum over channels of FCW[c][k] * features[k]. The bias is left
// out, as in the CAM paper; the map's mean plus the bias is the logit.
func (p *Params) CAM(features []float32, c int) []float32 {
	f := p.Arch.Features()
	n := len(features) / f
	m := make([]float32, n)
	for k := 0; k < f; k++ {
		w := p.FCW[c*f+k]
		for i, v := range features[k*n : (k+1)*n] {
			m[i] += w * v
		}
	}
	return m
}

// convReLU is a convolution with padding Kernel/2, accumulated one weight
// at a time over whole rows so that the inner loop is a plain axpy.
func convReLU(in []float32, c Conv, s int) []float32 {
	k, pad := c.Kernel, c.Kernel/2
	out := make([]float32, c.Out*s*s)
	for o := 0; o < c.Out; o++ {
		dst := out[o*s*s : (o+1)*s*s]
		for i := range dst {
			dst[i] = c.B[o]
		}
		for ci := 0; ci < c.In; ci++ {
			src := in[ci*s*s : (ci+1)*s*s]
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					w := c.W[((o*c.In+ci)*k+ky)*k+kx]
					dx, dy := kx-pad, ky-pad
					x0, x1 := max(0, -dx), min(s, s-dx)
					for y := max(0, -dy); y < min(s, s-dy); y++ {
						d := dst[y*s+x0 : y*s+x1]
						sr := src[(y+dy)*s+x0+dx : (y+dy)*s+x1+dx]
						for i := range d {
							d[i] += w * sr[i]
						}
					}
				}
			}
		}
		for i, v := range dst {
			if v < 0 {
				dst[i] = 0
			}
		}
	}
	return out
}

func maxPool2(in []float32, ch, s int) []float32 {
	h := s / 2
	out := make([]float32, ch*h*h)
	for c := 0; c < ch; c++ {
		src := in[c*s*s:]
		for y := 0; y < h; y++ {
			for x := 0; x < h; x++ {
				i := 2*y*s + 2*x
				out[(c*h+y)*h+x] = max(src[i], src[i+1], src[i+s], src[i+s+1])
			}
		}
	}
	return out
}
