package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("BatchNormalization", buildBatchNorm, differentiable) }

// batchNorm is the inference form y = (x - mean) / sqrt(var + eps) * scale + B,
// folded into y = x*mul + add, with mul and add per channel, or per channel
// and position for the `spatial=0` form of opsets before 9.
type batchNorm struct {
	eps      float32
	mul, add []float32 // folded at build time when all parameters are constant
	// outputs counts the declared outputs: opsets before 9 may declare the
	// statistics outputs even in test mode; they get the running mean and
	// variance, which inference leaves unchanged.
	outputs int
	// lo and hi clip the output: a Relu or Clip the loader fused into the
	// normalisation (DenseNet's BN-ReLU-Conv), else ±Inf; act is that
	// activation.
	lo, hi float32
	act    kernels.Activation
}

func buildBatchNorm(n *Node) (Op, error) {
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, fmt.Errorf("BatchNormalization: %w", err)
	}
	tm, err := n.Attrs.Int("training_mode", 0)
	if err != nil {
		return nil, fmt.Errorf("BatchNormalization: %w", err)
	}
	if tm != 0 {
		return nil, fmt.Errorf("BatchNormalization: training_mode=1 is not supported: this engine only runs inference; export the model in eval mode")
	}
	if n.NumOutputs > 1 && n.Opset >= 9 {
		return nil, fmt.Errorf("BatchNormalization: the running mean and variance outputs exist only in training mode, which this engine does not run")
	}
	bn := &batchNorm{eps: eps, outputs: max(n.NumOutputs, 1), lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
	act, err := fusedActivation("BatchNormalization", n.Attrs)
	if err != nil {
		return nil, err
	}
	bn.act = act
	switch act.Kind {
	case kernels.ActRelu:
		bn.lo = 0
	case kernels.ActClip:
		bn.lo, bn.hi = act.Min, act.Max
	}
	if p := n.Consts; len(p) >= 5 && p[1] != nil && p[2] != nil && p[3] != nil && p[4] != nil {
		if bn.mul, bn.add, err = foldBatchNorm(p[1], p[2], p[3], p[4], eps); err != nil {
			return nil, err
		}
	}
	return bn, nil
}

func foldBatchNorm(scale, bias, mean, variance *tensor.Tensor, eps float32) (mul, add []float32, err error) {
	k := scale.Len()
	for _, t := range []*tensor.Tensor{scale, bias, mean, variance} {
		if t.DType != tensor.Float32 || t.Len() != k {
			return nil, nil, fmt.Errorf("BatchNormalization: scale, B, mean and var must be float32 of one size, got %s, %s, %s, %s", scale, bias, mean, variance)
		}
	}
	mul, add = make([]float32, k), make([]float32, k)
	for i := range mul {
		mul[i] = scale.F[i] / float32(math.Sqrt(float64(variance.F[i])+float64(eps)))
		add[i] = bias.F[i] - mean.F[i]*mul[i]
	}
	return mul, add, nil
}

func (bn *batchNorm) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := required("BatchNormalization", inputs, 5); err != nil {
		return nil, err
	}
	x := inputs[0]
	if err := requireFloat("BatchNormalization", x); err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("BatchNormalization: want an N x C x ... input, got %s", tensor.ShapeString(x.Shape))
	}
	mul, add := bn.mul, bn.add
	if mul == nil {
		var err error
		if mul, add, err = foldBatchNorm(inputs[1], inputs[2], inputs[3], inputs[4], bn.eps); err != nil {
			return nil, err
		}
	}
	nb, ch := x.Shape[0], x.Shape[1]
	inner := tensor.Size(x.Shape[2:])
	// Per-activation parameters (spatial=0) cover C x D1 x ...: treat each
	// element of a sample as its own channel.
	switch len(mul) {
	case ch:
	case ch * inner:
		ch, inner = ch*inner, 1
	default:
		return nil, fmt.Errorf("BatchNormalization: %d parameters do not fit input %s", len(mul), tensor.ShapeString(x.Shape))
	}
	out := tensor.New(x.Shape...)
	parallelFor(nb*ch, inner, func(from, to int) {
		for p := from; p < to; p++ {
			c := p % ch
			scaleClamp(out.F[p*inner:(p+1)*inner], x.F[p*inner:(p+1)*inner], mul[c], add[c], bn.lo, bn.hi)
		}
	})
	res := []*tensor.Tensor{out}
	for i := 1; i < bn.outputs; i++ {
		res = append(res, inputs[3+(i-1)%2])
	}
	return res, nil
}

func (bn *batchNorm) fused() kernels.Activation { return bn.act }

func (bn *batchNorm) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(p, gs, bn.vjp)
}

// vjp differentiates the inference form
// y = scale·(x - mean)/sqrt(var + eps) + B, per channel (axis 1).
func (bn *batchNorm) vjp(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(p.Inputs) < 5 {
		return nil, fmt.Errorf("needs five inputs")
	}
	if err := p.requireFloat(0, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	x := p.Inputs[0]
	scale, mean, variance := p.Inputs[1], p.Inputs[3], p.Inputs[4]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("want an N x C x ... input, got %s", tensor.ShapeString(x.Shape))
	}
	nb, c := x.Shape[0], x.Shape[1]
	hw := tensor.Size(x.Shape[2:])
	for _, p := range p.Inputs[1:5] {
		if p == nil || p.Len() != c {
			return nil, fmt.Errorf("scale, B, mean and var must hold %d values", c)
		}
	}
	gx, gs, gbias, gm, gv := tensor.New(x.Shape...), tensor.New(c), tensor.New(c), tensor.New(c), tensor.New(c)
	for ch := 0; ch < c; ch++ {
		inv := 1 / math.Sqrt(float64(variance.F[ch])+float64(bn.eps))
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
		if !p.need(i) {
			grads[i] = nil
		}
	}
	return grads, nil
}
