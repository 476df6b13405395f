package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("Softmax", func(n *Node) (Op, error) { return buildSoftmax(n, "Softmax", false) }, differentiable)
	register("LogSoftmax", func(n *Node) (Op, error) { return buildSoftmax(n, "LogSoftmax", true) }, differentiable)
}

// buildSoftmax: before opset 13 the input is coerced to 2-D at axis
// (default 1) and the softmax runs over the flattened trailing part; from
// opset 13 it runs along axis alone (default -1).
func buildSoftmax(n *Node, name string, logOut bool) (Op, error) {
	def := int64(-1)
	if n.Opset < 13 {
		def = 1
	}
	axis, err := n.Attrs.Int("axis", def)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	coerce := n.Opset < 13
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required(name, inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat(name, x); err != nil {
			return nil, err
		}
		outer, length, inner, err := softmaxView(name, x.Shape, axis, coerce)
		if err != nil {
			return nil, err
		}
		out := tensor.NewUninit(x.Shape...)
		if length == 0 {
			return one(out), nil
		}
		if inner == 1 && !logOut {
			softmaxRows(out.F, x.F, length)
			return one(out), nil
		}
		buf := make([]float64, length)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*length*inner + i
				m := math.Inf(-1)
				for k := 0; k < length; k++ {
					m = math.Max(m, float64(x.F[base+k*inner]))
				}
				var s float64
				for k := range buf {
					buf[k] = float64(x.F[base+k*inner]) - m
					s += math.Exp(buf[k])
				}
				ls := math.Log(s)
				for k, v := range buf {
					if logOut {
						out.F[base+k*inner] = float32(v - ls)
					} else {
						out.F[base+k*inner] = float32(math.Exp(v - ls))
					}
				}
			}
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return softmaxVJP(p, g, name, axis, coerce, logOut)
	}}, nil
}

// softmaxRows is Softmax over contiguous rows of length n (the last axis,
// as attention scores have it), rows split over the cores, each row through
// the vector kernels: the maximum, e^(x - max) and its sum in one pass,
// the scaling.
func softmaxRows(dst, src []float32, n int) {
	parallelFor(len(src)/n, 16*n, func(r0, r1 int) {
		for o := r0 * n; o < r1*n; o += n {
			x, y := src[o:o+n], dst[o:o+n]
			m := kernels.RowMax(x)
			if math.IsInf(float64(m), 0) {
				softmaxRowFloat64(y, x, m)
				continue
			}
			s := kernels.ExpSum(y, x, m)
			if s != s {
				// A NaN in x, which RowMax passed over: NaN throughout,
				// as the general loop gives.
				softmaxRowFloat64(y, x, s)
				continue
			}
			kernels.MulScalar(y, y, 1/s)
		}
	})
}

// softmaxRowFloat64 is one row of Softmax whose maximum m is infinite or
// NaN, computed as the general loop does.
func softmaxRowFloat64(y, x []float32, m float32) {
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - float64(m))
	}
	for k, v := range x {
		y[k] = float32(math.Exp(float64(v)-float64(m)) / s)
	}
}

// softmaxView splits shape into outer x length x inner around axis: with
// coerce (opsets before 13) the input is a 2-D matrix split at axis, and
// the operation runs over all of the trailing part.
func softmaxView(name string, shape []int, axis int64, coerce bool) (outer, length, inner int, err error) {
	r := len(shape)
	if coerce {
		// axis may equal the rank here, as in Flatten.
		if axis < -int64(r) || axis > int64(r) {
			return 0, 0, 0, fmt.Errorf("%s: axis %d is out of range for rank %d", name, axis, r)
		}
		a := int(axis)
		if a < 0 {
			a += r
		}
		return tensor.Size(shape[:a]), tensor.Size(shape[a:]), 1, nil
	}
	if r == 0 {
		return 0, 0, 0, fmt.Errorf("%s: input must not be a scalar", name)
	}
	a, err := normAxis(name, axis, r)
	if err != nil {
		return 0, 0, 0, err
	}
	return tensor.Size(shape[:a]), shape[a], tensor.Size(shape[a+1:]), nil
}

// softmaxVJP: dx = y·(g - Σ g·y) for Softmax and g - softmax·Σ g for
// LogSoftmax, along the axis (before opset 13, over the input coerced to 2-D
// at the axis).
func softmaxVJP(p *Pass, g *tensor.Tensor, name string, axis int64, coerce, logSoftmax bool) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	y := p.Outputs[0]
	outer, length, inner, err := softmaxView(name, y.Shape, axis, coerce)
	if err != nil {
		return nil, err
	}
	gx := tensor.New(y.Shape...)
	// Only the slices along the axis that hold a nonzero g (a vision
	// transformer's class token's row of attention weights in each head):
	// the others' gradient is zero.
	block := length * inner
	for o := 0; o < outer; o++ {
		if lo, hi := tensor.NonzeroSpan(g.F[o*block : (o+1)*block]); lo == hi {
			continue
		}
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
