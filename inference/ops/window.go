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

// spatial splits an N x C x D1 x ... shape.
func spatial(op string, shape []int) (n, c int, sp []int, err error) {
	if len(shape) < 3 {
		return 0, 0, nil, fmt.Errorf("%s: want an N x C x spatial input, got %s", op, tensor.ShapeString(shape))
	}
	return shape[0], shape[1], shape[2:], nil
}
