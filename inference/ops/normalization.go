package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("BatchNormalization", buildBatchNorm, differentiable)
	register("LpNormalization", buildLpNormalization, noGradient|noConformanceData)
	register("LRN", buildLRN, differentiable)
	register("InstanceNormalization", buildInstanceNorm, differentiable)
	register("LayerNormalization", buildLayerNorm, differentiable)
}

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

func (bn *batchNorm) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
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
	out := tensor.NewUninit(x.Shape...) // every value is written
	parallelFor(nb*ch, inner, func(from, to int) {
		for p := from; p < to; p++ {
			c := p % ch
			kernels.ScaleClamp(out.F[p*inner:(p+1)*inner], x.F[p*inner:(p+1)*inner], mul[c], add[c], bn.lo, bn.hi)
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

// lpNorm returns the p-norm (p 1 or 2) of the values at base, base+step, ...
func lpNorm(v []float32, base, count, step int, p int64) float64 {
	var s float64
	for k := 0; k < count; k++ {
		x := float64(v[base+k*step])
		if p == 1 {
			s += math.Abs(x)
		} else {
			s += x * x
		}
	}
	if p == 1 {
		return s
	}
	return math.Sqrt(s)
}

func lpOrder(op string, n *Node) (int64, error) {
	p, err := n.Attrs.Int("p", 2)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if p != 1 && p != 2 {
		return 0, fmt.Errorf("%s: p must be 1 or 2, got %d", op, p)
	}
	return p, nil
}

// buildLpNormalization divides by the p-norm along axis (a zero norm
// leaves zeros).
func buildLpNormalization(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("LpNormalization: %w", err)
	}
	p, err := lpOrder("LpNormalization", n)
	if err != nil {
		return nil, err
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LpNormalization", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("LpNormalization", x); err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("LpNormalization: input must not be a scalar")
		}
		a, err := normAxis("LpNormalization", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		out := tensor.New(x.Shape...)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				norm := lpNorm(x.F, base, dim, inner, p)
				if norm == 0 {
					continue
				}
				for k := 0; k < dim; k++ {
					out.F[base+k*inner] = float32(float64(x.F[base+k*inner]) / norm)
				}
			}
		}
		return one(out), nil
	}), nil
}

// buildLRN: local response normalisation across channels (GoogLeNet,
// AlexNet): y = x / (bias + alpha/size * sum of x^2 over the size channels
// around c)^beta.
func buildLRN(n *Node) (Op, error) {
	alpha, err := n.Attrs.Float("alpha", 1e-4)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	beta, err := n.Attrs.Float("beta", 0.75)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	bias, err := n.Attrs.Float("bias", 1)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	size, err := n.Attrs.Int("size", 0)
	if err != nil {
		return nil, fmt.Errorf("LRN: %w", err)
	}
	if size <= 0 {
		return nil, fmt.Errorf("LRN: size must be a positive integer, got %d", size)
	}
	below, above := int((size-1)/2), int(size/2)
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LRN", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("LRN", x); err != nil {
			return nil, err
		}
		nb, ch, sp, err := spatial("LRN", x.Shape)
		if err != nil {
			return nil, err
		}
		inner := tensor.Size(sp)
		out := tensor.New(x.Shape...)
		sq := make([]float32, ch*inner)
		sum := make([]float32, inner)
		scale := float64(alpha) / float64(size)
		for b := 0; b < nb; b++ {
			src := x.F[b*ch*inner : (b+1)*ch*inner]
			dst := out.F[b*ch*inner : (b+1)*ch*inner]
			for i, v := range src {
				sq[i] = v * v
			}
			for c := 0; c < ch; c++ {
				clear(sum)
				for k := max(0, c-below); k <= min(ch-1, c+above); k++ {
					for i, v := range sq[k*inner : (k+1)*inner] {
						sum[i] += v
					}
				}
				row := src[c*inner : (c+1)*inner]
				for i, v := range row {
					dst[c*inner+i] = float32(float64(v) / math.Pow(float64(bias)+scale*float64(sum[i]), float64(beta)))
				}
			}
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		return lrnVJP(p, g, alpha, beta, bias, int(size))
	}}, nil
}

// buildInstanceNorm normalises each channel of each sample over its
// spatial positions, then scales and shifts per channel.
func buildInstanceNorm(n *Node) (Op, error) {
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, fmt.Errorf("InstanceNormalization: %w", err)
	}
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("InstanceNormalization", inputs, 3); err != nil {
			return nil, err
		}
		x, scale, bias := inputs[0], inputs[1], inputs[2]
		for _, t := range inputs[:3] {
			if err := requireFloat("InstanceNormalization", t); err != nil {
				return nil, err
			}
		}
		nb, ch, sp, err := spatial("InstanceNormalization", x.Shape)
		if err != nil {
			return nil, err
		}
		if scale.Len() != ch || bias.Len() != ch {
			return nil, fmt.Errorf("InstanceNormalization: scale %s and B %s must have %d values", tensor.ShapeString(scale.Shape), tensor.ShapeString(bias.Shape), ch)
		}
		inner := tensor.Size(sp)
		out := tensor.New(x.Shape...)
		for p := 0; p < nb*ch; p++ {
			c := p % ch
			normalize(out.F[p*inner:(p+1)*inner], x.F[p*inner:(p+1)*inner], eps, func(i int) (float32, float32) {
				return scale.F[c], bias.F[c]
			})
		}
		return one(out), nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return instanceNormVJP(p, g, eps) }}, nil
}

// normalize writes (src - mean) / sqrt(var + eps) * s + b into dst, with
// (s, b) = sb(i) for element i, and returns the mean and 1/sqrt(var+eps).
func normalize(dst, src []float32, eps float32, sb func(i int) (float32, float32)) (mean, inv float64) {
	if len(src) == 0 {
		return 0, 0
	}
	for _, v := range src {
		mean += float64(v)
	}
	mean /= float64(len(src))
	var vs float64
	for _, v := range src {
		d := float64(v) - mean
		vs += d * d
	}
	vs /= float64(len(src))
	inv = 1 / math.Sqrt(vs+float64(eps))
	for i, v := range src {
		s, b := sb(i)
		dst[i] = float32((float64(v)-mean)*inv)*s + b
	}
	return mean, inv
}

// buildLayerNorm (opset 17) normalises over the axes from axis on; scale
// and B broadcast to those axes. The optional outputs are the mean and the
// inverse standard deviation.
func buildLayerNorm(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("LayerNormalization: %w", err)
	}
	eps, err := n.Attrs.Float("epsilon", 1e-5)
	if err != nil {
		return nil, fmt.Errorf("LayerNormalization: %w", err)
	}
	nout := max(n.NumOutputs, 1)
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LayerNormalization", inputs, 2); err != nil {
			return nil, err
		}
		x, scale, bias := inputs[0], inputs[1], in(inputs, 2)
		if err := requireFloat("LayerNormalization", x); err != nil {
			return nil, err
		}
		a, err := normAxis("LayerNormalization", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		norm := x.Shape[a:]
		fit := func(t *tensor.Tensor, what string) (*tensor.Tensor, error) {
			if t == nil {
				return nil, nil
			}
			if err := requireFloat("LayerNormalization", t); err != nil {
				return nil, err
			}
			s, err := tensor.BroadcastShape(norm, t.Shape)
			if err != nil || !tensor.EqualShape(s, norm) {
				return nil, fmt.Errorf("LayerNormalization: %s %s does not broadcast to %s", what, tensor.ShapeString(t.Shape), tensor.ShapeString(norm))
			}
			return broadcastTensor(t, norm), nil
		}
		if scale, err = fit(scale, "scale"); err != nil {
			return nil, err
		}
		if bias, err = fit(bias, "B"); err != nil {
			return nil, err
		}
		outer, inner := tensor.Size(x.Shape[:a]), tensor.Size(norm)
		statShape := append([]int{}, x.Shape...)
		for d := a; d < len(statShape); d++ {
			statShape[d] = 1
		}
		out, means, invs := tensor.NewUninit(x.Shape...), tensor.New(statShape...), tensor.New(statShape...)
		var b []float32
		if bias != nil {
			b = bias.F
		}
		parallelFor(outer, 8*inner, func(o0, o1 int) {
			for o := o0; o < o1; o++ {
				means.F[o], invs.F[o] = kernels.LayerNormRow(out.F[o*inner:(o+1)*inner], x.F[o*inner:(o+1)*inner], scale.F, b, eps)
			}
		})
		return []*tensor.Tensor{out, means, invs}[:min(nout, 3)], nil
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) { return layerNormVJP(p, g, axis, eps) }}, nil
}

// lrnVJP differentiates y_c = x_c · d_c^-β with
// d_c = bias + α/size · Σ_{c' in window(c)} x_c'², the window spanning
// floor((size-1)/2) channels below c and ceil((size-1)/2) above:
// dx_j = g_j·d_j^-β - (2αβ/size)·x_j·Σ_{c: j in window(c)} g_c·x_c·d_c^(-β-1).
func lrnVJP(p *Pass, g *tensor.Tensor, alpha, beta, bias float32, size int) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0); err != nil {
		return nil, err
	}
	if !p.need(0) {
		return nil, nil
	}
	x := p.Inputs[0]
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

// normRows differentiates y = x̂·scale + B over rows of n values, where
// x̂ = (x - mean)·inv with the row's mean and inv = 1/sqrt(var + eps):
// dx = inv·(d - mean(d) - x̂·mean(d·x̂)) with d = g·scale. scaleAt(i) and
// the accumulators for dscale and dB are indexed by flat element i. Only
// the rows from the first to the last holding a nonzero g are worked on (a
// vision transformer's class token's, after its last attention): the
// others' dx is zero, and they add nothing to dscale and dB.
func normRows(x, g *tensor.Tensor, n int, eps float32, scale func(i int) float32, gx []float32, dScale, dBias func(i int, v float32)) {
	lo, hi := tensor.NonzeroSpan(g.F)
	if lo == hi {
		return
	}
	d := make([]float64, n)
	xh := make([]float64, n)
	for r := lo / n; r < (hi+n-1)/n; r++ {
		base := r * n
		var mean, sq float64
		for i := 0; i < n; i++ {
			mean += float64(x.F[base+i])
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			v := float64(x.F[base+i]) - mean
			sq += v * v
		}
		inv := 1 / math.Sqrt(sq/float64(n)+float64(eps))
		var md, mdx float64
		for i := 0; i < n; i++ {
			xh[i] = (float64(x.F[base+i]) - mean) * inv
			d[i] = float64(g.F[base+i]) * float64(scale(base+i))
			md += d[i]
			mdx += d[i] * xh[i]
			if dScale != nil {
				dScale(base+i, float32(float64(g.F[base+i])*xh[i]))
			}
			if dBias != nil {
				dBias(base+i, g.F[base+i])
			}
		}
		md /= float64(n)
		mdx /= float64(n)
		if gx != nil {
			for i := 0; i < n; i++ {
				gx[base+i] = float32(inv * (d[i] - md - xh[i]*mdx))
			}
		}
	}
}

// layerNormVJP: normalisation over the axes from axis on; Scale and B
// broadcast to that part of the shape. Only the first output (Y) carries a
// gradient.
func layerNormVJP(p *Pass, g *tensor.Tensor, a int64, eps float32) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	x, scale := p.Inputs[0], p.in(1)
	if scale == nil {
		return nil, fmt.Errorf("Scale is missing")
	}
	axis, err := axisIn(a, x.Rank())
	if err != nil {
		return nil, err
	}
	cols := tensor.Size(x.Shape[axis:])
	so, err := offsetsIn(x.Shape, scale.Shape) // usually the last axis: no table
	if err != nil {
		return nil, err
	}
	grads := make([]*tensor.Tensor, len(p.Inputs))
	var gx []float32
	if p.need(0) {
		grads[0] = tensor.New(x.Shape...)
		gx = grads[0].F
	}
	var dScale, dBias func(i int, v float32)
	if p.need(1) {
		grads[1] = tensor.New(scale.Shape...)
		dScale = func(i int, v float32) { grads[1].F[so.at(i)] += v }
	}
	if p.need(2) {
		b := p.Inputs[2]
		bo, err := offsetsIn(x.Shape, b.Shape)
		if err != nil {
			return nil, err
		}
		grads[2] = tensor.New(b.Shape...)
		dBias = func(i int, v float32) { grads[2].F[bo.at(i)] += v }
	}
	normRows(x, g, cols, eps, func(i int) float32 { return scale.F[so.at(i)] }, gx, dScale, dBias)
	return grads, nil
}

// instanceNormVJP: normalisation of each channel of each image over its
// positions, with per-channel scale and B.
func instanceNormVJP(p *Pass, g *tensor.Tensor, eps float32) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	x, scale, bias := p.Inputs[0], p.in(1), p.in(2)
	if scale == nil || bias == nil || x.Rank() < 3 || scale.Len() != x.Shape[1] || bias.Len() != x.Shape[1] {
		return nil, fmt.Errorf("want an N x C x ... input with C scales and biases")
	}
	c := x.Shape[1]
	inner := tensor.Size(x.Shape[2:])
	channel := func(i int) int { return (i / inner) % c }
	grads := make([]*tensor.Tensor, len(p.Inputs))
	var gx []float32
	if p.need(0) {
		grads[0] = tensor.New(x.Shape...)
		gx = grads[0].F
	}
	var dScale, dBias func(i int, v float32)
	if p.need(1) {
		grads[1] = tensor.New(scale.Shape...)
		dScale = func(i int, v float32) { grads[1].F[channel(i)] += v }
	}
	if p.need(2) {
		grads[2] = tensor.New(bias.Shape...)
		dBias = func(i int, v float32) { grads[2].F[channel(i)] += v }
	}
	normRows(x, g, inner, eps, func(i int) float32 { return scale.F[channel(i)] }, gx, dScale, dBias)
	return grads, nil
}
