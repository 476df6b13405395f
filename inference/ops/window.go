package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

// window holds the attributes that Conv and the pooling operators share:
// a sliding window over the spatial dimensions of an N x C x D1 x ... input.
type window struct {
	op        string
	autoPad   string
	kernel    []int // empty when it must come from the weights
	strides   []int // empty: all 1
	dilations []int // empty: all 1
	pads      []int // begins then ends; empty: all 0
	ceil      bool
}

func readWindow(op string, a Attrs) (window, error) {
	w := window{op: op}
	var err error
	if w.autoPad, err = a.String("auto_pad", "NOTSET"); err != nil {
		return w, fmt.Errorf("%s: %w", op, err)
	}
	switch w.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID":
	default:
		return w, fmt.Errorf("%s: unknown auto_pad %q", op, w.autoPad)
	}
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"kernel_shape", &w.kernel}, {"strides", &w.strides}, {"dilations", &w.dilations}, {"pads", &w.pads}} {
		v, err := a.Ints(f.name, nil)
		if err != nil {
			return w, fmt.Errorf("%s: %w", op, err)
		}
		*f.dst = make([]int, len(v))
		for i, x := range v {
			(*f.dst)[i] = int(x)
		}
	}
	c, err := a.Int("ceil_mode", 0)
	if err != nil {
		return w, fmt.Errorf("%s: %w", op, err)
	}
	w.ceil = c != 0
	return w, nil
}

// geometry is a window resolved against the spatial input shape.
type geometry struct {
	in, k, stride, dil, padB, padE, out []int
}

// whole reports whether g's one window is the whole input: no padding, a
// kernel the input's size, one output.
func (g geometry) whole() bool {
	for i := range g.in {
		if g.k[i] != g.in[i] || g.padB[i] != 0 || g.padE[i] != 0 || g.out[i] != 1 {
			return false
		}
	}
	return true
}

// identity reports whether every window is one value of the input, at
// the output's position: kernel 1, stride 1 and no padding on every axis.
func (g geometry) identity() bool {
	for i := range g.k {
		if g.k[i] != 1 || g.stride[i] != 1 || g.padB[i] != 0 || g.padE[i] != 0 {
			return false
		}
	}
	return true
}

// resolve computes pads and output sizes for the spatial dims in; kernel is
// the kernel size (from the attribute or the weights).
func (w window) resolve(in, kernel []int) (geometry, error) {
	r := len(in)
	g := geometry{in: in, k: kernel}
	if len(kernel) != r {
		return g, fmt.Errorf("%s: kernel %v does not match %d spatial dimensions", w.op, kernel, r)
	}
	list := func(name string, v []int, def, want int) ([]int, error) {
		if len(v) == 0 {
			out := make([]int, want)
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != want {
			return nil, fmt.Errorf("%s: %s has %d values, want %d", w.op, name, len(v), want)
		}
		return v, nil
	}
	var err error
	if g.stride, err = list("strides", w.strides, 1, r); err != nil {
		return g, err
	}
	if g.dil, err = list("dilations", w.dilations, 1, r); err != nil {
		return g, err
	}
	pads, err := list("pads", w.pads, 0, 2*r)
	if err != nil {
		return g, err
	}
	g.padB, g.padE, g.out = make([]int, r), make([]int, r), make([]int, r)
	for i := 0; i < r; i++ {
		k, s, d := kernel[i], g.stride[i], g.dil[i]
		if k <= 0 || s <= 0 || d <= 0 {
			return g, fmt.Errorf("%s: kernel, strides and dilations must be positive (kernel %v, strides %v, dilations %v)", w.op, kernel, g.stride, g.dil)
		}
		if err := w.inProportion(i, in[i], kernel, g.stride, g.dil, pads); err != nil {
			return g, err
		}
		ext := d*(k-1) + 1
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out := (in[i] + s - 1) / s
			total := max(0, (out-1)*s+ext-in[i])
			if w.autoPad == "SAME_UPPER" {
				g.padB[i] = total / 2
			} else {
				g.padB[i] = total - total/2
			}
			g.padE[i] = total - g.padB[i]
			g.out[i] = out
			continue
		case "VALID":
		default:
			g.padB[i], g.padE[i] = pads[i], pads[r+i]
			if g.padB[i] < 0 || g.padE[i] < 0 {
				return g, fmt.Errorf("%s: pads %v must not be negative", w.op, pads)
			}
		}
		span := in[i] + g.padB[i] + g.padE[i] - ext
		if span < 0 {
			return g, fmt.Errorf("%s: window %v does not fit the padded input %v", w.op, kernel, in)
		}
		if w.ceil {
			g.out[i] = (span+s-1)/s + 1
			// The last window must start inside the input or its left
			// padding (the rule ONNX Runtime and PyTorch follow).
			if (g.out[i]-1)*s >= in[i]+g.padB[i] {
				g.out[i]--
			}
		} else {
			g.out[i] = span/s + 1
		}
	}
	return g, nil
}

// windowRoom bounds a window along one axis, in multiples of the input's
// size there; minWindowRoom is the size below which the input counts as
// that size, so that a small feature map (1 x 1 at the end of a network
// fed a small image) may still meet an ordinary window.
const (
	windowRoom    = 4
	minWindowRoom = 16
)

// inProportion refuses, before anything is allocated or computed from them,
// window sizes out of proportion to the input along spatial axis i (of
// size in): the window's extent (dilation x (kernel-1) + 1), the stride
// and each explicit pad must be at most windowRoom times the input's size
// (at least minWindowRoom). Real models stay well within (a DeepLab ASPP
// branch: extent 37 and pads 18 on a 14 x 14 map); within these bounds,
// every buffer the kernels size from the geometry (stride phases, padded
// planes) grows with the input, and no product overflows.
func (w window) inProportion(i, in int, kernel, stride, dil, pads []int) error {
	limit := windowRoom * max(in, minWindowRoom)
	bad := func(what string, v []int) error {
		return fmt.Errorf("%s: %s %v are out of proportion to the input (%d along spatial axis %d): CAMscope accepts window extents (dilation x (kernel-1) + 1), strides and pads up to %d times the input's size (at least %d); the model file is damaged or was not made for this input",
			w.op, what, v, in, i, windowRoom, windowRoom*minWindowRoom)
	}
	k, d := kernel[i], dil[i]
	if k > limit || d > limit || k-1 > (limit-1)/d {
		return bad(fmt.Sprintf("kernel %v with dilations", kernel), dil)
	}
	if stride[i] > limit {
		return bad("strides", stride)
	}
	if w.autoPad == "NOTSET" && (pads[i] > limit || pads[len(kernel)+i] > limit) {
		return bad("pads", pads)
	}
	return nil
}

// spatial splits an N x C x D1 x ... shape.
func spatial(op string, shape []int) (n, c int, sp []int, err error) {
	if len(shape) < 3 {
		return 0, 0, nil, fmt.Errorf("%s: want an N x C x spatial input, got %s", op, tensor.ShapeString(shape))
	}
	return shape[0], shape[1], shape[2:], nil
}

// geom2D is a 1-D or 2-D geometry flattened to the fields the VJPs' loops
// read; a 1-D window is a 2-D one of height 1.
type geom2D struct {
	inH, inW, kH, kW, sH, sW, dH, dW int
	padT, padL, padB, padR           int
	outH, outW                       int
}

// plane returns g as a geom2D.
func (g geometry) plane() (geom2D, error) {
	switch len(g.in) {
	case 1:
		return geom2D{inH: 1, inW: g.in[0], kH: 1, kW: g.k[0], sH: 1, sW: g.stride[0], dH: 1, dW: g.dil[0],
			padL: g.padB[0], padR: g.padE[0], outH: 1, outW: g.out[0]}, nil
	case 2:
		return geom2D{inH: g.in[0], inW: g.in[1], kH: g.k[0], kW: g.k[1], sH: g.stride[0], sW: g.stride[1],
			dH: g.dil[0], dW: g.dil[1], padT: g.padB[0], padL: g.padB[1], padB: g.padE[0], padR: g.padE[1],
			outH: g.out[0], outW: g.out[1]}, nil
	}
	return geom2D{}, fmt.Errorf("only 1-D and 2-D windows are supported, the input has %d spatial dimensions", len(g.in))
}

// resolve2D resolves w against the spatial input in and the kernel and
// checks the output size against the forward pass's, outSpatial.
func (w window) resolve2D(in, kernel, outSpatial []int) (geom2D, error) {
	geo, err := w.resolve(in, kernel)
	if err != nil {
		return geom2D{}, err
	}
	g, err := geo.plane()
	if err != nil {
		return geom2D{}, err
	}
	return g, g.checkOut(outSpatial)
}

// checkOut compares the resolved output size with the forward pass's.
func (g geom2D) checkOut(outSpatial []int) error {
	want := []int{g.outH, g.outW}
	if len(outSpatial) == 1 {
		want = want[1:]
	}
	for i := range want {
		if i >= len(outSpatial) || outSpatial[i] != want[i] {
			return fmt.Errorf("internal error: window output %v, the forward pass made %v", want, outSpatial)
		}
	}
	return nil
}

// tapAt returns the input coordinate read by output position o through
// kernel tap k along one axis.
func tapAt(o, s, k, d, pad int) int { return o*s - pad + k*d }

// col2im adds colT (one row of cg*kH*kW taps per output position) onto the
// cg input planes dst.
func col2im(dst, colT []float32, cg int, g geom2D) {
	ckk := cg * g.kH * g.kW
	for oh := 0; oh < g.outH; oh++ {
		for ow := 0; ow < g.outW; ow++ {
			src := colT[(oh*g.outW+ow)*ckk:]
			row := 0
			for ch := 0; ch < cg; ch++ {
				plane := dst[ch*g.inH*g.inW:]
				for ki := 0; ki < g.kH; ki++ {
					ih := tapAt(oh, g.sH, ki, g.dH, g.padT)
					for kj := 0; kj < g.kW; kj++ {
						iw := tapAt(ow, g.sW, kj, g.dW, g.padL)
						if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
							plane[ih*g.inW+iw] += src[row]
						}
						row++
					}
				}
			}
		}
	}
}

// im2col writes the cg input planes src as cg*kH*kW rows of outH*outW
// (zeros where a tap falls in the padding).
func im2col(col, src []float32, cg int, g geom2D) {
	ohw := g.outH * g.outW
	row := 0
	for ch := 0; ch < cg; ch++ {
		plane := src[ch*g.inH*g.inW : (ch+1)*g.inH*g.inW]
		for ki := 0; ki < g.kH; ki++ {
			for kj := 0; kj < g.kW; kj++ {
				dst := col[row*ohw : (row+1)*ohw]
				row++
				for oh := 0; oh < g.outH; oh++ {
					ih := tapAt(oh, g.sH, ki, g.dH, g.padT)
					for ow := 0; ow < g.outW; ow++ {
						iw := tapAt(ow, g.sW, kj, g.dW, g.padL)
						if ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW {
							dst[oh*g.outW+ow] = plane[ih*g.inW+iw]
						} else {
							dst[oh*g.outW+ow] = 0
						}
					}
				}
			}
		}
	}
}
