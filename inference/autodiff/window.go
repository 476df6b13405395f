package autodiff

import (
	"fmt"

	"camscope/inference/ops"
)

// geom2D is a 2-D sliding window resolved against an input plane, as Conv
// and the pooling operators define it.
type geom2D struct {
	inH, inW, kH, kW, sH, sW, dH, dW int
	padT, padL, padB, padR           int
	outH, outW                       int
}

// resolveWindow reads kernel_shape (unless kernel is given), strides,
// dilations, pads, auto_pad and ceil_mode for a 1-D or 2-D window; a 1-D
// window is a 2-D one of height 1.
func resolveWindow(a ops.Attrs, in, kernel []int) (geom2D, error) {
	var g geom2D
	r := len(in)
	if r != 1 && r != 2 {
		return g, fmt.Errorf("only 1-D and 2-D windows are supported, the input has %d spatial dimensions", r)
	}
	ints := func(name string, def, want int) ([]int, error) {
		v, err := a.Ints(name, nil)
		if err != nil {
			return nil, err
		}
		out := make([]int, want)
		for i := range out {
			out[i] = def
		}
		if len(v) == 0 {
			return out, nil
		}
		if len(v) != want {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), want)
		}
		for i, x := range v {
			out[i] = int(x)
		}
		return out, nil
	}
	if kernel == nil {
		var err error
		if kernel, err = ints("kernel_shape", 0, r); err != nil {
			return g, err
		}
	}
	strides, err := ints("strides", 1, r)
	if err != nil {
		return g, err
	}
	dil, err := ints("dilations", 1, r)
	if err != nil {
		return g, err
	}
	pads, err := ints("pads", 0, 2*r)
	if err != nil {
		return g, err
	}
	autoPad, err := a.String("auto_pad", "NOTSET")
	if err != nil {
		return g, err
	}
	ceil, err := a.Int("ceil_mode", 0)
	if err != nil {
		return g, err
	}
	padB, padE, out := make([]int, r), make([]int, r), make([]int, r)
	for i := 0; i < r; i++ {
		k, s, d := kernel[i], strides[i], dil[i]
		if k <= 0 || s <= 0 || d <= 0 {
			return g, fmt.Errorf("kernel %v, strides %v and dilations %v must be positive", kernel, strides, dil)
		}
		ext := d*(k-1) + 1
		switch autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out[i] = (in[i] + s - 1) / s
			total := max(0, (out[i]-1)*s+ext-in[i])
			padB[i] = total / 2
			if autoPad == "SAME_LOWER" {
				padB[i] = total - total/2
			}
			padE[i] = total - padB[i]
			continue
		case "VALID":
		case "NOTSET":
			padB[i], padE[i] = pads[i], pads[r+i]
		default:
			return g, fmt.Errorf("unknown auto_pad %q", autoPad)
		}
		span := in[i] + padB[i] + padE[i] - ext
		if span < 0 {
			return g, fmt.Errorf("window %v does not fit the padded input %v", kernel, in)
		}
		out[i] = span/s + 1
		if ceil != 0 {
			out[i] = (span+s-1)/s + 1
			if (out[i]-1)*s >= in[i]+padB[i] {
				out[i]--
			}
		}
	}
	if r == 1 {
		return geom2D{inH: 1, inW: in[0], kH: 1, kW: kernel[0], sH: 1, sW: strides[0], dH: 1, dW: dil[0],
			padL: padB[0], padR: padE[0], outH: 1, outW: out[0]}, nil
	}
	return geom2D{inH: in[0], inW: in[1], kH: kernel[0], kW: kernel[1], sH: strides[0], sW: strides[1],
		dH: dil[0], dW: dil[1], padT: padB[0], padL: padB[1], padB: padE[0], padR: padE[1],
		outH: out[0], outW: out[1]}, nil
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
