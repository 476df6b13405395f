package ops

import (
	"fmt"
	"slices"

	"camscope/inference/tensor"
)

func init() { register("Pad", buildPad, differentiable) }

// buildPad: pads (and the constant value) are attributes before opset 11
// and inputs from 11; from 18 an optional axes input says which axes the
// pads cover. Negative pads crop. Modes: constant, reflect (mirror without
// repeating the edge), edge (repeat the edge) and wrap (opset 19).
func buildPad(n *Node) (Op, error) {
	mode, err := n.Attrs.String("mode", "constant")
	if err != nil {
		return nil, fmt.Errorf("Pad: %w", err)
	}
	switch mode {
	case "constant", "reflect", "edge", "wrap":
	default:
		return nil, fmt.Errorf("Pad: unknown mode %q", mode)
	}
	var attrPads []int64
	var attrValue float32
	if n.Opset < 11 {
		if attrPads, err = n.Attrs.Ints("pads", nil); err != nil {
			return nil, fmt.Errorf("Pad: %w", err)
		}
		if attrPads == nil {
			// Opset 1 called them paddings.
			if attrPads, err = n.Attrs.Ints("paddings", nil); err != nil {
				return nil, fmt.Errorf("Pad: %w", err)
			}
		}
		if attrValue, err = n.Attrs.Float("value", 0); err != nil {
			return nil, fmt.Errorf("Pad: %w", err)
		}
	}
	run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Pad", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		r := x.Rank()
		pads, value := attrPads, attrValue
		var ivalue int64
		var axes []int
		if n.Opset >= 11 {
			p := in(inputs, 1)
			if p == nil {
				return nil, fmt.Errorf("Pad: input 1 (pads) is missing")
			}
			var err error
			if pads, err = intList("Pad", "pads", p); err != nil {
				return nil, err
			}
			if v := in(inputs, 2); v != nil && v.Len() > 0 {
				if v.Len() != 1 {
					return nil, fmt.Errorf("Pad: constant_value must hold one value, got %s", tensor.ShapeString(v.Shape))
				}
				if v.DType == tensor.Int64 {
					ivalue, value = v.I[0], float32(v.I[0])
				} else {
					value, ivalue = v.F[0], int64(v.F[0])
				}
			}
			if a := in(inputs, 3); a != nil {
				ax, err := intList("Pad", "axes", a)
				if err != nil {
					return nil, err
				}
				if axes, err = normAxes("Pad", ax, r); err != nil {
					return nil, err
				}
			}
		}
		if axes == nil {
			axes = make([]int, r)
			for i := range axes {
				axes[i] = i
			}
		}
		if len(pads) != 2*len(axes) {
			return nil, fmt.Errorf("Pad: %d pads for %d axes of input %s, want %d", len(pads), len(axes), tensor.ShapeString(x.Shape), 2*len(axes))
		}
		before, after := make([]int, r), make([]int, r)
		for i, a := range axes {
			before[a], after[a] = int(pads[i]), int(pads[len(axes)+i])
		}
		shape := make([]int, r)
		for d := range shape {
			shape[d] = x.Shape[d] + before[d] + after[d]
			if shape[d] < 0 {
				return nil, fmt.Errorf("Pad: pads %v crop more than input %s has", pads, tensor.ShapeString(x.Shape))
			}
			if mode != "constant" && shape[d] > 0 && x.Shape[d] == 0 {
				return nil, fmt.Errorf("Pad: mode %s cannot pad empty dimension %d of %s", mode, d, tensor.ShapeString(x.Shape))
			}
		}
		if !slices.ContainsFunc(pads, func(p int64) bool { return p != 0 }) {
			// Nothing to pad (DenseNet's AveragePools come after such a
			// Pad): the input is the output.
			return one(alias(x, x.Shape)), nil
		}
		if err := budget.checkSize("Pad", x.DType, shape); err != nil {
			return nil, err
		}
		out := newTensor(x.DType, shape)
		if x.DType == tensor.Int64 {
			padInto(out.I, x.I, shape, x.Shape, before, mode, ivalue)
		} else {
			padInto(out.F, x.F, shape, x.Shape, before, mode, value)
		}
		return one(out), nil
	})
	if mode != "constant" {
		// reflect, edge and wrap only copy input elements.
		return traced(run), nil
	}
	return diffFunc{run, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return padVJP(p, g, n.Opset, attrPads) }}, nil
}

// padSource maps output coordinate o (input coordinate o-before) into
// [0, n) by mode; ok is false where the constant is to be written.
func padSource(i, n int, mode string) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch mode {
	case "edge":
		return min(max(i, 0), n-1), true
	case "wrap":
		return ((i % n) + n) % n, true
	case "reflect":
		if n == 1 {
			return 0, true
		}
		period := 2 * (n - 1)
		i = ((i % period) + period) % period
		if i >= n {
			i = period - i
		}
		return i, true
	}
	return 0, false
}

// padInto fills dst (shape) from src (sshape) shifted by before, walking
// dst row by row: each row is a copy of the source row plus its edges.
func padInto[T any](dst, src []T, shape, sshape, before []int, mode string, value T) {
	if len(dst) == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	sst := tensor.Strides(sshape)
	last, slast := shape[r-1], sshape[r-1]
	idx := make([]int, r-1)
	for o := 0; o < len(dst); o += last {
		row := dst[o : o+last]
		base, inside := 0, true
		for d, v := range idx {
			s, ok := padSource(v-before[d], sshape[d], mode)
			if !ok {
				inside = false
				break
			}
			base += s * sst[d]
		}
		if !inside {
			for i := range row {
				row[i] = value
			}
		} else {
			srow := src[base : base+slast]
			// The part of the row that maps straight onto the source.
			lo := min(max(before[r-1], 0), last)
			hi := min(max(before[r-1]+slast, lo), last)
			copy(row[lo:hi], srow[lo-before[r-1]:])
			for i := 0; i < lo; i++ {
				row[i] = padAt(srow, i-before[r-1], mode, value)
			}
			for i := hi; i < last; i++ {
				row[i] = padAt(srow, i-before[r-1], mode, value)
			}
		}
		nextIndex(idx, shape)
	}
}

func padAt[T any](row []T, i int, mode string, value T) T {
	s, ok := padSource(i, len(row), mode)
	if !ok {
		return value
	}
	return row[s]
}

// padVJP takes back, for each input element, the gradient where constant
// padding put it (negative pads crop, and cropped elements get a zero
// gradient); the constant gets the rest. Before opset 11 the pads are
// attrPads.
func padVJP(p *Pass, g *tensor.Tensor, opset int, attrPads []int64) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 2); err != nil {
		return nil, err
	}
	x := p.Inputs[0]
	r := x.Rank()
	pads := attrPads
	if opset >= 11 {
		if t := p.in(1); t != nil {
			pads = t.Int64s()
		}
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a := p.in(3); opset >= 18 && a != nil {
		axes = axes[:0]
		for _, v := range a.Int64s() {
			ax, err := axisIn(v, r)
			if err != nil {
				return nil, err
			}
			axes = append(axes, ax)
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads has %d values for %d axes", len(pads), len(axes))
	}
	begin := make([]int, r)
	for i, ax := range axes {
		begin[ax] = int(pads[i])
	}
	gx := tensor.New(x.Shape...)
	var taken float64 // the part of the gradient that reaches x
	gs := tensor.Strides(g.Shape)
	idx := make([]int, r)
	for k := range gx.F {
		off, inside := 0, true
		for d := 0; d < r; d++ {
			o := idx[d] + begin[d]
			if o < 0 || o >= g.Shape[d] {
				inside = false
				break
			}
			off += o * gs[d]
		}
		if inside {
			gx.F[k] = g.F[off]
			taken += float64(g.F[off])
		}
		nextIndex(idx, x.Shape)
	}
	grads := make([]*tensor.Tensor, len(p.Inputs))
	if p.need(0) {
		grads[0] = gx
	}
	// The constant value fills every output element that no input element
	// lands on.
	if v := p.in(2); opset >= 11 && p.need(2) && v.Len() == 1 {
		total := 0.0
		for _, x := range g.F {
			total += float64(x)
		}
		grads[2] = tensor.FromFloat32(v.Shape, []float32{float32(total - taken)})
	}
	return grads, nil
}
