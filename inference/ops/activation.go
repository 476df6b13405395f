package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("Relu", buildRelu)
	register("LeakyRelu", buildLeakyRelu)
	register("Clip", buildClip)
	register("Sigmoid", unaryBuilder("Sigmoid", sigmoid))
	register("HardSigmoid", buildHardSigmoid)
	register("HardSwish", unaryBuilder("HardSwish", func(x float32) float32 {
		return x * hardSigmoid(x, 1.0/6, 0.5)
	}))
	register("Tanh", unaryBuilder("Tanh", func(x float32) float32 { return float32(math.Tanh(float64(x))) }))
}

func sigmoid(x float32) float32 {
	// exp(-x) overflows to +Inf for very negative x, which still gives 0.
	return float32(1 / (1 + math.Exp(-float64(x))))
}

func hardSigmoid(x, alpha, beta float32) float32 {
	return min(max(alpha*x+beta, 0), 1)
}

func buildRelu(n *Node) (Op, error) {
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Relu", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		out := newTensor(x.DType, x.Shape)
		if x.DType == tensor.Int64 {
			for i, v := range x.I {
				out.I[i] = max(v, 0)
			}
			return one(out), nil
		}
		d := out.F[:len(x.F)]
		for i, v := range x.F {
			if v < 0 {
				v = 0
			}
			d[i] = v
		}
		return one(out), nil
	}), nil
}

func buildLeakyRelu(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 0.01)
	if err != nil {
		return nil, fmt.Errorf("LeakyRelu: %w", err)
	}
	return unaryBuilder("LeakyRelu", func(x float32) float32 {
		if x < 0 {
			return alpha * x
		}
		return x
	})(n)
}

func buildHardSigmoid(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 0.2)
	if err != nil {
		return nil, fmt.Errorf("HardSigmoid: %w", err)
	}
	beta, err := n.Attrs.Float("beta", 0.5)
	if err != nil {
		return nil, fmt.Errorf("HardSigmoid: %w", err)
	}
	return unaryBuilder("HardSigmoid", func(x float32) float32 { return hardSigmoid(x, alpha, beta) })(n)
}

// buildClip: bounds are attributes before opset 11 and optional inputs 1
// and 2 from opset 11 on. An absent bound does not clip.
func buildClip(n *Node) (Op, error) {
	attrLo, attrHi := float32(math.Inf(-1)), float32(math.Inf(1))
	if n.Opset < 11 {
		var err error
		if attrLo, err = n.Attrs.Float("min", attrLo); err != nil {
			return nil, fmt.Errorf("Clip: %w", err)
		}
		if attrHi, err = n.Attrs.Float("max", attrHi); err != nil {
			return nil, fmt.Errorf("Clip: %w", err)
		}
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Clip", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		lo, hi := attrLo, attrHi
		if n.Opset >= 11 {
			if x.DType == tensor.Int64 {
				return clipInt(x, in(inputs, 1), in(inputs, 2))
			}
			var err error
			if t := in(inputs, 1); t != nil {
				if lo, err = scalarFloat("Clip", "min", t); err != nil {
					return nil, err
				}
			}
			if t := in(inputs, 2); t != nil {
				if hi, err = scalarFloat("Clip", "max", t); err != nil {
					return nil, err
				}
			}
		}
		if err := requireFloat("Clip", x); err != nil {
			return nil, err
		}
		out := tensor.New(x.Shape...)
		d := out.F[:len(x.F)]
		for i, v := range x.F {
			// min(max()) order: with min > max every value becomes max, as
			// the spec's reference does.
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			d[i] = v
		}
		return one(out), nil
	}), nil
}

func clipInt(x, loT, hiT *tensor.Tensor) ([]*tensor.Tensor, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	for _, b := range []struct {
		t   *tensor.Tensor
		dst *int64
		nm  string
	}{{loT, &lo, "min"}, {hiT, &hi, "max"}} {
		if b.t == nil {
			continue
		}
		if b.t.Len() != 1 || b.t.DType != tensor.Int64 {
			return nil, fmt.Errorf("Clip: %s must be one integer, got %s", b.nm, b.t)
		}
		*b.dst = b.t.I[0]
	}
	out := tensor.NewInt64(x.Shape...)
	for i, v := range x.I {
		out.I[i] = min(max(v, lo), hi)
	}
	return one(out), nil
}
