package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// SiLU is the engine's own operator for x*sigmoid(x) (also called Swish),
// which EfficientNet-style networks write as Sigmoid followed by Mul with
// the same input. The loader replaces that pair by one SiLU node: one pass
// over the activations and one output instead of two. The name has a dot so
// that it can never collide with an ONNX operator.
const SiLU = "camscope.SiLU"

func init() {
	register("Relu", buildRelu, differentiable)
	register("LeakyRelu", buildLeakyRelu, differentiable)
	register("Clip", buildClip, differentiable)
	register("Sigmoid", sliceBuilder("Sigmoid", kernels.Sigmoid, func(_, y float32) float32 { return y * (1 - y) }), differentiable)
	register("HardSigmoid", buildHardSigmoid, differentiable)
	// HardSwish is x * HardSigmoid(x) with alpha 1/6, beta 1/2.
	register("HardSwish", unaryBuilder("HardSwish", func(x float32) float32 {
		return x * hardSigmoid(x, 1.0/6, 0.5)
	}, func(x, _ float32) float32 {
		switch {
		case x <= -3:
			return 0
		case x >= 3:
			return 1
		}
		return x/3 + 0.5
	}), differentiable)
	register("Tanh", unaryBuilder("Tanh", func(x float32) float32 { return float32(math.Tanh(float64(x))) },
		func(_, y float32) float32 { return 1 - y*y }), differentiable)
	register("PRelu", buildPRelu, differentiable)
	register("Elu", alphaUnary("Elu", 1, func(x, alpha float64) float64 {
		if x < 0 {
			return alpha * math.Expm1(x)
		}
		return x
	}, func(alpha float32) func(x, y float32) float32 {
		return func(x, y float32) float32 {
			if x < 0 {
				return y + alpha
			}
			return 1
		}
	}), differentiable)
	register("Celu", alphaUnary("Celu", 1, func(x, alpha float64) float64 {
		return max(x, 0) + min(0, alpha*math.Expm1(x/alpha))
	}, nil), noGradient)
	register("ThresholdedRelu", alphaUnary("ThresholdedRelu", 1, func(x, alpha float64) float64 {
		if x > alpha {
			return x
		}
		return 0
	}, nil), noGradient)
	register("Selu", buildSelu, differentiable)
	register("Softplus", unaryBuilder("Softplus", func(x float32) float32 { return float32(softplus(float64(x))) },
		func(x, _ float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }), differentiable)
	register("Softsign", unaryBuilder("Softsign", func(x float32) float32 { return x / (1 + float32(math.Abs(float64(x)))) },
		func(x, _ float32) float32 {
			d := 1 + math.Abs(float64(x))
			return float32(1 / (d * d))
		}), differentiable)
	register("Mish", unaryBuilder("Mish", func(x float32) float32 {
		return float32(float64(x) * math.Tanh(softplus(float64(x))))
	}, func(x, _ float32) float32 {
		// mish(x) = x·tanh(softplus(x)); d/dx = tanh(sp) + x·sigmoid(x)·(1 - tanh²(sp)).
		v := float64(x)
		t := math.Tanh(math.Log1p(math.Exp(v)))
		return float32(t + v/(1+math.Exp(-v))*(1-t*t))
	}), differentiable|noConformanceData)
	// d/dx x*s(x) = s + x*s*(1-s), with s the sigmoid of x.
	register(SiLU, sliceBuilder("SiLU", kernels.SiLU, func(x, _ float32) float32 {
		s := 1 / (1 + math.Exp(-float64(x)))
		return float32(s * (1 + float64(x)*(1-s)))
	}), differentiable|noConformanceData)
	register("Shrink", buildShrink, noGradient)
	register("Gelu", buildGelu, differentiable|noConformanceData)
}

// buildGelu (opset 20): x·Φ(x), Φ the standard normal distribution
// function; with approximate "tanh", 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func buildGelu(n *Node) (Op, error) {
	approx, err := n.Attrs.String("approximate", "none")
	if err != nil {
		return nil, fmt.Errorf("Gelu: %w", err)
	}
	const c, k = 0.7978845608028654, 0.044715 // √(2/π)
	switch approx {
	case "none":
		return sliceBuilder("Gelu", kernels.Gelu, func(x, _ float32) float32 { return geluDeriv(x) })(n)
	case "tanh":
		return unaryBuilder("Gelu", func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Tanh(c*(v+k*v*v*v))))
		}, func(x, _ float32) float32 {
			v := float64(x)
			t := math.Tanh(c * (v + k*v*v*v))
			return float32(0.5*(1+t) + 0.5*v*(1-t*t)*c*(1+3*k*v*v))
		})(n)
	}
	return nil, fmt.Errorf("Gelu: approximate must be none or tanh, got %q", approx)
}

// geluDeriv is the derivative of x·Φ(x): Φ(x) + x·φ(x).
func geluDeriv(x float32) float32 {
	v := float64(x)
	return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-v*v/2)/math.Sqrt(2*math.Pi))
}

// softplus is log(1+exp(x)), without overflow for large x.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// alphaUnary builds an elementwise operator with one float attribute alpha;
// deriv, if not nil, gives its derivative for that alpha.
func alphaUnary(name string, def float32, f func(x, alpha float64) float64, deriv func(alpha float32) func(x, y float32) float32) Builder {
	return func(n *Node) (Op, error) {
		a, err := n.Attrs.Float("alpha", def)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		alpha := float64(a)
		var d func(x, y float32) float32
		if deriv != nil {
			d = deriv(a)
		}
		return unaryBuilder(name, func(x float32) float32 { return float32(f(float64(x), alpha)) }, d)(n)
	}
}

func buildSelu(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 1.67326319217681884765625)
	if err != nil {
		return nil, fmt.Errorf("Selu: %w", err)
	}
	gamma, err := n.Attrs.Float("gamma", 1.05070102214813232421875)
	if err != nil {
		return nil, fmt.Errorf("Selu: %w", err)
	}
	return unaryBuilder("Selu", func(x float32) float32 {
		if x <= 0 {
			return float32(float64(gamma) * float64(alpha) * math.Expm1(float64(x)))
		}
		return gamma * x
	}, func(x, _ float32) float32 {
		if x > 0 {
			return gamma
		}
		return gamma * alpha * float32(math.Exp(float64(x)))
	})(n)
}

// buildPRelu: y = x < 0 ? slope*x : x, with slope broadcast to x (a
// per-channel slope is [C,1,1]).
func buildPRelu(n *Node) (Op, error) {
	k := rowsOf(func(x, s float32) float32 {
		if x < 0 {
			return s * x
		}
		return x
	})
	run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("PRelu", inputs, 2); err != nil {
			return nil, err
		}
		x, slope := inputs[0], inputs[1]
		if err := requireFloat("PRelu", x); err != nil {
			return nil, err
		}
		if err := requireFloat("PRelu", slope); err != nil {
			return nil, err
		}
		shape, err := tensor.BroadcastShape(x.Shape, slope.Shape)
		if err != nil || !tensor.EqualShape(shape, x.Shape) {
			return nil, fmt.Errorf("PRelu: slope %s does not broadcast to input %s", tensor.ShapeString(slope.Shape), tensor.ShapeString(x.Shape))
		}
		out := tensor.New(shape...)
		broadcastApply(k, out.F, x.F, slope.F, shape, x.Shape, slope.Shape)
		return one(out), nil
	})
	// The slope broadcasts to the input (unidirectionally).
	return diffFunc{run, binaryGrad(func(x, slope, _, g float32) (float32, float32) {
		if x < 0 {
			return g * slope, g * x
		}
		return g, 0
	})}, nil
}

func hardSigmoid(x, alpha, beta float32) float32 {
	return min(max(alpha*x+beta, 0), 1)
}

func buildRelu(n *Node) (Op, error) {
	run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		inf := float32(math.Inf(1))
		parallelFor(len(x.F), 1, func(lo, hi int) {
			kernels.ScaleClamp(out.F[lo:hi], x.F[lo:hi], 1, 0, 0, inf)
		})
		return one(out), nil
	})
	return diffFunc{run, unaryGrad(func(x, _ float32) float32 { return step(x > 0) })}, nil
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
	}, func(x, _ float32) float32 {
		if x > 0 {
			return 1
		}
		return alpha
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
	return unaryBuilder("HardSigmoid", func(x float32) float32 { return hardSigmoid(x, alpha, beta) }, func(x, _ float32) float32 {
		v := alpha*x + beta
		return alpha * step(v > 0 && v < 1)
	})(n)
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
	run := opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
		// min(max()) order: with min > max every value becomes max, as the
		// spec's reference does.
		parallelFor(len(x.F), 1, func(from, to int) {
			kernels.ScaleClamp(out.F[from:to], x.F[from:to], 1, 0, lo, hi)
		})
		return one(out), nil
	})
	return diffFunc{run, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return clipVJP(p, g, n.Opset, attrLo, attrHi)
	}}, nil
}

// clipVJP passes the gradient where the input lies strictly inside the
// bounds (the attributes lo and hi before opset 11); a bound given as an
// input (opset 11 on) gets the gradient of the elements it replaced.
func clipVJP(p *Pass, g *tensor.Tensor, opset int, lo, hi float32) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	if opset >= 11 {
		for i, dst := range []*float32{&lo, &hi} {
			t := p.in(i + 1)
			if t == nil || t.Len() == 0 {
				continue
			}
			if t.Len() != 1 {
				return nil, fmt.Errorf("bound %d must hold one value, got %s", i+1, tensor.ShapeString(t.Shape))
			}
			*dst = t.F[0]
		}
	}
	x := p.Inputs[0]
	gx := tensor.New(x.Shape...)
	var below, above float32
	for i, v := range x.F {
		switch {
		case v <= lo:
			below += g.F[i]
		case v >= hi:
			above += g.F[i]
		default:
			gx.F[i] = g.F[i]
		}
	}
	grads := make([]*tensor.Tensor, len(p.Inputs))
	if p.need(0) {
		grads[0] = gx
	}
	for i, sum := range []float32{below, above} {
		if b := p.in(i + 1); opset >= 11 && p.need(i+1) && b.Len() == 1 {
			grads[i+1] = tensor.FromFloat32(b.Shape, []float32{sum})
		}
	}
	return grads, nil
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

func buildShrink(n *Node) (Op, error) {
	bias, err := n.Attrs.Float("bias", 0)
	if err != nil {
		return nil, fmt.Errorf("Shrink: %w", err)
	}
	lambd, err := n.Attrs.Float("lambd", 0.5)
	if err != nil {
		return nil, fmt.Errorf("Shrink: %w", err)
	}
	f := func(x float64) float64 {
		switch {
		case x < -float64(lambd):
			return x + float64(bias)
		case x > float64(lambd):
			return x - float64(bias)
		}
		return 0
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Shrink", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		out := newTensor(x.DType, x.Shape)
		if x.DType == tensor.Int64 {
			for i, v := range x.I {
				out.I[i] = int64(f(float64(v)))
			}
		} else {
			for i, v := range x.F {
				out.F[i] = float32(f(float64(v)))
			}
		}
		return one(out), nil
	}), nil
}
