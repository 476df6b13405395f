package autodiff

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

// Operators met in fewer classifiers: extra activations and math, PRelu,
// LRN (GoogLeNet, AlexNet), Split and Slice (ShuffleNet), variadic Sum and
// Mean, Pow.
func init() {
	register("Elu", unary(func(n *Node) (func(x, y float32) float32, error) {
		alpha, err := n.Attrs.Float("alpha", 1)
		return func(x, y float32) float32 {
			if x < 0 {
				return y + alpha
			}
			return 1
		}, err
	}))
	register("Selu", unary(func(n *Node) (func(x, y float32) float32, error) {
		alpha, err := n.Attrs.Float("alpha", 1.67326319217681884765625)
		if err != nil {
			return nil, err
		}
		gamma, err := n.Attrs.Float("gamma", 1.05070102214813232421875)
		return func(x, _ float32) float32 {
			if x > 0 {
				return gamma
			}
			return gamma * alpha * float32(math.Exp(float64(x)))
		}, err
	}))
	register("Softplus", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }, nil
	}))
	register("Exp", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return y }, nil
	}))
	register("Log", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 { return 1 / x }, nil
	}))
	register("Sqrt", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return 0.5 / y }, nil
	}))
	register("Reciprocal", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return -y * y }, nil
	}))
	register("Abs", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 {
			if x < 0 {
				return -1
			}
			return step(x > 0)
		}, nil
	}))
	register("Erf", unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 { return float32(2 / math.SqrtPi * math.Exp(-float64(x)*float64(x))) }, nil
	}))
	register("Pow", binary(func(a, b, y, g float32) (float32, float32) {
		da := g * b * float32(math.Pow(float64(a), float64(b)-1))
		var db float32
		if a > 0 {
			db = g * y * float32(math.Log(float64(a)))
		}
		return da, db
	}))
	// PRelu's slope broadcasts to the input (unidirectionally).
	register("PRelu", binary(func(x, slope, _, g float32) (float32, float32) {
		if x < 0 {
			return g * slope, g * x
		}
		return g, 0
	}))
	register("Sum", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) { return variadicVJP(n, g, 1) })
	register("Mean", func(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return variadicVJP(n, g, 1/float32(len(n.Inputs)))
	})
	register("LRN", lrnVJP)
	register("Slice", sliceVJP)
	registerMulti("Split", splitVJP)
}

// variadicVJP hands each input scale·g, summed over its broadcast axes.
func variadicVJP(n *Node, g *tensor.Tensor, scale float32) ([]*tensor.Tensor, error) {
	grads := make([]*tensor.Tensor, len(n.Inputs))
	for i, x := range n.Inputs {
		if !n.need(i) {
			continue
		}
		offs, err := broadcastOffsets(g.Shape, x.Shape)
		if err != nil {
			return nil, err
		}
		gx := tensor.New(x.Shape...)
		for j, v := range g.F {
			gx.F[offs[j]] += scale * v
		}
		grads[i] = gx
	}
	return grads, nil
}

// lrnVJP differentiates y_c = x_c · d_c^-β with
// d_c = bias + α/size · Σ_{c' in window(c)} x_c'², the window spanning
// floor((size-1)/2) channels below c and ceil((size-1)/2) above:
// dx_j = g_j·d_j^-β - (2αβ/size)·x_j·Σ_{c: j in window(c)} g_c·x_c·d_c^(-β-1).
func lrnVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	alpha, err := n.Attrs.Float("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.Attrs.Float("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.Attrs.Float("bias", 1)
	if err != nil {
		return nil, err
	}
	size64, err := n.Attrs.Int("size", 0)
	if err != nil {
		return nil, err
	}
	size := int(size64)
	x := n.Inputs[0]
	if size <= 0 || x.Rank() < 2 {
		return nil, fmt.Errorf("needs a positive size and an N x C x ... input")
	}
	nb, c := x.Shape[0], x.Shape[1]
	inner := tensor.Size(x.Shape[2:])
	below, above := (size-1)/2, size/2
	a, b := float64(alpha)/float64(size), float64(beta)
	gx := tensor.New(x.Shape...)
	d := make([]float64, c)
	t := make([]float64, c) // g_c·x_c·d_c^(-β-1)
	for bt := 0; bt < nb; bt++ {
		for p := 0; p < inner; p++ {
			at := func(ch int) int { return (bt*c+ch)*inner + p }
			for ch := 0; ch < c; ch++ {
				s := 0.0
				for k := max(ch-below, 0); k <= min(ch+above, c-1); k++ {
					v := float64(x.F[at(k)])
					s += v * v
				}
				d[ch] = float64(bias) + a*s
				t[ch] = float64(g.F[at(ch)]) * float64(x.F[at(ch)]) * math.Pow(d[ch], -b-1)
			}
			for j := 0; j < c; j++ {
				s := 0.0 // over the channels whose window holds j
				for ch := max(j-above, 0); ch <= min(j+below, c-1); ch++ {
					s += t[ch]
				}
				gx.F[at(j)] = float32(float64(g.F[at(j)])*math.Pow(d[j], -b) - 2*a*b*float64(x.F[at(j)])*s)
			}
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// sliceVJP scatters the gradient back to the elements the slice read. The
// effective start of each axis follows ONNX's clamping; the output's shape
// gives the count.
func sliceVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	r := x.Rank()
	var starts, axes, steps []int64
	var err error
	if n.Opset < 10 {
		if starts, err = n.Attrs.Ints("starts", nil); err != nil {
			return nil, err
		}
		if axes, err = n.Attrs.Ints("axes", nil); err != nil {
			return nil, err
		}
	} else {
		if t := n.in(1); t != nil {
			starts = t.Int64s()
		}
		if t := n.in(3); t != nil {
			axes = t.Int64s()
		}
		if t := n.in(4); t != nil {
			steps = t.Int64s()
		}
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("starts %v, axes %v and steps %v differ in length", starts, axes, steps)
	}
	begin, stride := make([]int, r), make([]int, r)
	for i := range stride {
		stride[i] = 1
	}
	for i, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		dim, st := int64(x.Shape[ax]), int64(1)
		if steps != nil {
			st = steps[i]
		}
		s := starts[i]
		if s < 0 {
			s += dim
		}
		if st > 0 {
			s = min(max(s, 0), dim)
		} else {
			s = min(max(s, 0), dim-1)
		}
		begin[ax], stride[ax] = int(s), int(st)
	}
	xs := tensor.Strides(x.Shape)
	gx := tensor.New(x.Shape...)
	idx := make([]int, r)
	for _, v := range g.F {
		off := 0
		for d := 0; d < r; d++ {
			off += (begin[d] + idx[d]*stride[d]) * xs[d]
		}
		gx.F[off] += v
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < g.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return []*tensor.Tensor{gx}, nil
}

// splitVJP puts the outputs' gradients side by side along the axis (zeros
// for outputs the scalar does not depend on).
func splitVJP(n *Node, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	a, err := n.Attrs.Int("axis", 0)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(a, x.Rank())
	if err != nil {
		return nil, err
	}
	outer := tensor.Size(x.Shape[:axis])
	inner := tensor.Size(x.Shape[axis+1:])
	row := x.Shape[axis] * inner
	gx := tensor.New(x.Shape...)
	pos := 0
	for i, y := range n.Outputs {
		if y == nil {
			return nil, fmt.Errorf("the value of output %d is missing", i)
		}
		part := y.Shape[axis] * inner
		if g := gs[i]; g != nil {
			for o := 0; o < outer; o++ {
				copy(gx.F[o*row+pos:o*row+pos+part], g.F[o*part:(o+1)*part])
			}
		}
		pos += part
	}
	if pos != row {
		return nil, fmt.Errorf("the outputs hold %d of the %d values along axis %d", pos/max(inner, 1), x.Shape[axis], axis)
	}
	return []*tensor.Tensor{gx}, nil
}
