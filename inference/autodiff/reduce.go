package autodiff

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("ReduceMean", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return reduceVJP(n, g, 18, true) })
	register("ReduceSum", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return reduceVJP(n, g, 13, false) })
	register("Softmax", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return softmaxVJP(n, g, false) })
	register("LogSoftmax", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return softmaxVJP(n, g, true) })
	register("BatchNormalization", batchNormVJP)
}

// reduceVJP spreads each output's gradient over the elements it summed
// (divided by their count for a mean).
func reduceVJP(n *Node, g *tensor.Tensor, axesInput int, mean bool) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	kept, err := reducedShape(n, x, axesInput)
	if err != nil {
		return nil, err
	}
	if kept == nil {
		return []*tensor.Tensor{g.Reshaped(x.Shape)}, nil
	}
	if g.Len() != tensor.Size(kept) {
		return nil, fmt.Errorf("output gradient %s does not match the reduction of %s", tensor.ShapeString(g.Shape), tensor.ShapeString(x.Shape))
	}
	offs, err := broadcastOffsets(x.Shape, kept)
	if err != nil {
		return nil, err
	}
	scale := float32(1)
	if count := x.Len() / max(tensor.Size(kept), 1); mean && count > 0 {
		scale = 1 / float32(count)
	}
	gx := tensor.New(x.Shape...)
	for i := range gx.F {
		gx.F[i] = g.F[offs[i]] * scale
	}
	return []*tensor.Tensor{gx}, nil
}

// reducedShape returns x's shape with 1 on the reduced axes, or nil when
// the reduction is the identity (empty axes with noop_with_empty_axes).
// Axes are an attribute before opset axesInput and an optional input from
// it.
func reducedShape(n *Node, x *tensor.Tensor, axesInput int) ([]int, error) {
	r := x.Rank()
	var axes []int64
	var err error
	if n.Opset < axesInput {
		if axes, err = n.Attrs.Ints("axes", nil); err != nil {
			return nil, err
		}
	} else if t := n.in(1); t != nil {
		axes = t.Int64s()
	}
	if len(axes) == 0 {
		noop, err := n.Attrs.Int("noop_with_empty_axes", 0)
		if err != nil {
			return nil, err
		}
		if noop != 0 && n.Opset >= axesInput {
			return nil, nil
		}
		for i := 0; i < r; i++ {
			axes = append(axes, int64(i))
		}
	}
	kept := append([]int(nil), x.Shape...)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		kept[ax] = 1
	}
	return kept, nil
}

// softmaxVJP: dx = y·(g - Σ g·y) for Softmax and g - softmax·Σ g for
// LogSoftmax, along the axis (before opset 13, over the input coerced to 2-D
// at the axis).
func softmaxVJP(n *Node, g *tensor.Tensor, logSoftmax bool) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	y := n.Outputs[0]
	r := y.Rank()
	def := int64(-1)
	if n.Opset < 13 {
		def = 1
	}
	a, err := n.Attrs.Int("axis", def)
	if err != nil {
		return nil, err
	}
	var outer, length, inner int
	if n.Opset < 13 {
		if a < -int64(r) || a > int64(r) {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, r)
		}
		if a < 0 {
			a += int64(r)
		}
		outer, length, inner = tensor.Size(y.Shape[:a]), tensor.Size(y.Shape[a:]), 1
	} else {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		outer, length, inner = tensor.Size(y.Shape[:ax]), y.Shape[ax], tensor.Size(y.Shape[ax+1:])
	}
	gx := tensor.New(y.Shape...)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*length*inner + in
			var s float64
			for j := 0; j < length; j++ {
				i := base + j*inner
				if logSoftmax {
					s += float64(g.F[i])
				} else {
					s += float64(g.F[i]) * float64(y.F[i])
				}
			}
			for j := 0; j < length; j++ {
				i := base + j*inner
				if logSoftmax {
					gx.F[i] = g.F[i] - float32(math.Exp(float64(y.F[i]))*s)
				} else {
					gx.F[i] = y.F[i] * (g.F[i] - float32(s))
				}
			}
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// batchNormVJP differentiates the inference form
// y = scale·(x - mean)/sqrt(var + eps) + B, per channel (axis 1).
func batchNormVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(n.Inputs) < 5 {
		return nil, fmt.Errorf("needs five inputs")
	}
	if err := requireFloat(n, 0, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	if tm, _ := n.Attrs.Int("training_mode", 0); tm != 0 {
		return nil, fmt.Errorf("%w in training mode", ErrNoVJP)
	}
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	x := n.Inputs[0]
	scale, mean, variance := n.Inputs[1], n.Inputs[3], n.Inputs[4]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("want an N x C x ... input, got %s", tensor.ShapeString(x.Shape))
	}
	nb, c := x.Shape[0], x.Shape[1]
	hw := tensor.Size(x.Shape[2:])
	for _, p := range n.Inputs[1:5] {
		if p == nil || p.Len() != c {
			return nil, fmt.Errorf("scale, B, mean and var must hold %d values", c)
		}
	}
	gx, gs, gbias, gm, gv := tensor.New(x.Shape...), tensor.New(c), tensor.New(c), tensor.New(c), tensor.New(c)
	for ch := 0; ch < c; ch++ {
		inv := 1 / math.Sqrt(float64(variance.F[ch])+float64(eps))
		k := float32(float64(scale.F[ch]) * inv)
		var sg, sgx float64 // Σg and Σg·(x-mean)
		for b := 0; b < nb; b++ {
			off := (b*c + ch) * hw
			for i := off; i < off+hw; i++ {
				gx.F[i] = g.F[i] * k
				sg += float64(g.F[i])
				sgx += float64(g.F[i]) * (float64(x.F[i]) - float64(mean.F[ch]))
			}
		}
		gs.F[ch] = float32(sgx * inv)
		gbias.F[ch] = float32(sg)
		gm.F[ch] = float32(-sg * float64(scale.F[ch]) * inv)
		gv.F[ch] = float32(-0.5 * sgx * float64(scale.F[ch]) * inv * inv * inv)
	}
	grads := []*tensor.Tensor{gx, gs, gbias, gm, gv}
	for i := range grads {
		if !n.need(i) {
			grads[i] = nil
		}
	}
	return grads, nil
}
