package ops

import (
	"fmt"
	"math"
	"sync"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() { register("Conv", buildConv, differentiable) }

// conv runs 1-D and 2-D convolutions through kernels.Conv (1-D as 2-D with
// height 1). With constant weights, the prepared kernel is kept per input
// size, so weight preparation happens once for the sizes a model sees.
type conv struct {
	win   window
	group int
	// w and b are the constant weights and bias when biasKnown; b is nil
	// for a convolution without bias.
	w, b      *tensor.Tensor
	biasKnown bool
	act       kernels.Activation
	mu        sync.Mutex
	cache     map[[2]int]*kernels.Conv
	order     [][2]int // cache keys, oldest first
	back      transposedConvs
	// raw is the same convolution without its fused activation, made on
	// first use by the gradient of a fused SiLU (see VJP).
	rawOnce sync.Once
	raw     *conv
}

// maxPrepared bounds the input sizes a conv keeps prepared kernels for:
// each holds its own packed copy of the weights, and a program that feeds
// images of ever new sizes must not accumulate them.
const maxPrepared = 4

func buildConv(n *Node) (Op, error) {
	win, err := readWindow("Conv", n.Attrs)
	if err != nil {
		return nil, err
	}
	g, err := n.Attrs.Int("group", 1)
	if err != nil {
		return nil, fmt.Errorf("Conv: %w", err)
	}
	if g <= 0 {
		return nil, fmt.Errorf("Conv: group %d must be positive", g)
	}
	c := &conv{win: win, group: int(g), cache: map[[2]int]*kernels.Conv{}}
	if c.act, err = fusedActivation("Conv", n.Attrs); err != nil {
		return nil, err
	}
	if w := constAt(n, 1); w != nil {
		if err := c.checkWeights(w); err != nil {
			return nil, err
		}
		c.w = w
		if len(n.Consts) < 3 {
			c.biasKnown = true
		} else if b := constAt(n, 2); b != nil {
			if err := checkBias(b, w.Shape[0]); err != nil {
				return nil, err
			}
			c.b, c.biasKnown = b, true
		}
	}
	return c, nil
}

func (c *conv) checkWeights(w *tensor.Tensor) error {
	if w.DType != tensor.Float32 {
		return fmt.Errorf("Conv: weights must be float32, got %s", w)
	}
	if w.Rank() != 3 && w.Rank() != 4 {
		return fmt.Errorf("Conv: only 1-D and 2-D convolutions are supported, weights are %s", tensor.ShapeString(w.Shape))
	}
	if len(c.win.kernel) > 0 && !tensor.EqualShape(c.win.kernel, w.Shape[2:]) {
		return fmt.Errorf("Conv: kernel_shape %v differs from the weights %s", c.win.kernel, tensor.ShapeString(w.Shape))
	}
	if w.Shape[0]%c.group != 0 {
		return fmt.Errorf("Conv: group %d does not divide %d output channels", c.group, w.Shape[0])
	}
	return nil
}

func checkBias(b *tensor.Tensor, m int) error {
	if b.DType != tensor.Float32 || b.Rank() != 1 || b.Shape[0] != m {
		return fmt.Errorf("Conv: bias must be %d float32 values, got %s", m, b)
	}
	return nil
}

func (c *conv) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return c.run(budget, inputs, nil)
}

func (c *conv) Placeable() bool { return true }

func (c *conv) RunInto(inputs []*tensor.Tensor, dst []float32) (*tensor.Tensor, error) {
	outs, err := c.run(NoBudget, inputs, dst)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// run computes the output into dst, or into a new array when dst is nil.
func (c *conv) run(budget Budget, inputs []*tensor.Tensor, dst []float32) ([]*tensor.Tensor, error) {
	if err := required("Conv", inputs, 2); err != nil {
		return nil, err
	}
	x, w, b := inputs[0], inputs[1], in(inputs, 2)
	if err := requireFloat("Conv", x); err != nil {
		return nil, err
	}
	constant := c.w != nil && c.biasKnown
	if constant {
		w, b = c.w, c.b
	} else {
		if err := c.checkWeights(w); err != nil {
			return nil, err
		}
		if b != nil {
			if err := checkBias(b, w.Shape[0]); err != nil {
				return nil, err
			}
		}
	}
	p, out, err := c.params(x.Shape, w)
	if err != nil {
		return nil, err
	}
	outShape := append([]int{x.Shape[0], p.M}, out...)
	if err := budget.checkSize("Conv", tensor.Float32, outShape); err != nil {
		return nil, err
	}
	var k *kernels.Conv
	if constant {
		k = c.kernel(p, w, b)
	} else {
		k = kernels.NewConv(p, w.F, biasData(b))
	}
	y, err := outputOn(dst, "Conv", outShape)
	if err != nil {
		return nil, err
	}
	k.RunBatch(y.F, x.F, x.Shape[0])
	return one(y), nil
}

// params is the kernel's parameters for an input of shape x and weights
// w, and the output's spatial shape.
func (c *conv) params(x []int, w *tensor.Tensor) (kernels.ConvParams, []int, error) {
	if len(x) != w.Rank() {
		return kernels.ConvParams{}, nil, fmt.Errorf("Conv: input %s and weights %s differ in rank", tensor.ShapeString(x), tensor.ShapeString(w.Shape))
	}
	_, ch, sp, err := spatial("Conv", x)
	if err != nil {
		return kernels.ConvParams{}, nil, err
	}
	if ch != w.Shape[1]*c.group {
		return kernels.ConvParams{}, nil, fmt.Errorf("Conv: input has %d channels, weights %s with group %d want %d", ch, tensor.ShapeString(w.Shape), c.group, w.Shape[1]*c.group)
	}
	geo, err := c.win.resolve(sp, w.Shape[2:])
	if err != nil {
		return kernels.ConvParams{}, nil, err
	}
	p := kernels.ConvParams{
		C: ch, H: 1, W: sp[0], M: w.Shape[0], KH: 1, KW: geo.k[0],
		StrideH: 1, StrideW: geo.stride[0], DilH: 1, DilW: geo.dil[0],
		PadL: geo.padB[0], PadR: geo.padE[0], Group: c.group, Act: c.act,
	}
	if len(sp) == 2 {
		p.H, p.W, p.KH, p.KW = sp[0], sp[1], geo.k[0], geo.k[1]
		p.StrideH, p.StrideW, p.DilH, p.DilW = geo.stride[0], geo.stride[1], geo.dil[0], geo.dil[1]
		p.PadT, p.PadL, p.PadB, p.PadR = geo.padB[0], geo.padB[1], geo.padE[0], geo.padE[1]
	}
	if err := p.Validate(); err != nil {
		return kernels.ConvParams{}, nil, fmt.Errorf("Conv: input %s, weights %s: %w", tensor.ShapeString(x), tensor.ShapeString(w.Shape), err)
	}
	return p, geo.out, nil
}

// bandParams is the kernel's parameters for an input of shape x, for
// Rows and Band: a 2-D convolution with constant weights and explicit
// pads.
func (c *conv) bandParams(x []int) (kernels.ConvParams, error) {
	if c.w == nil || !c.biasKnown || len(x) != 4 || c.win.autoPad != "NOTSET" {
		return kernels.ConvParams{}, fmt.Errorf("Conv: a band takes a 2-D convolution with constant weights and explicit pads")
	}
	p, _, err := c.params(x, c.w)
	return p, err
}

// Rows returns the convolution's window along the rows on an input of
// shape x.
func (c *conv) Rows(x []int) (WindowRows, error) {
	p, err := c.bandParams(x)
	if err != nil {
		return WindowRows{}, err
	}
	return WindowRows{Extent: (p.KH-1)*p.DilH + 1, Stride: p.StrideH, PadT: p.PadT, PadB: p.PadB}, nil
}

// Band returns the convolution of a band of h rows of an input of shape x
// (2-D, constant weights), padded by padT rows above and padB below,
// computed on the path the whole input takes, so that each output is bit
// for bit the whole input's (kernels.NewBandConv).
func (c *conv) Band(x []int, h, padT, padB int) (Op, error) {
	p, err := c.bandParams(x)
	if err != nil {
		return nil, err
	}
	q := p
	q.H, q.PadT, q.PadB = h, padT, padB
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("Conv: band of %d rows: %w", h, err)
	}
	k := kernels.NewBandConv(q, c.w.F, biasData(c.b), c.kernel(p, c.w, c.b))
	if k == nil {
		return nil, fmt.Errorf("Conv: this convolution's path (Winograd, or patches padded) computes no bands")
	}
	key := [2]int{q.H, q.W}
	b := &conv{win: c.win, group: c.group, w: c.w, b: c.b, biasKnown: true, act: c.act,
		cache: map[[2]int]*kernels.Conv{key: k}, order: [][2]int{key}}
	b.win.autoPad = "NOTSET"
	b.win.pads = []int{padT, p.PadL, padB, p.PadR}
	return b, nil
}

// kernel returns the prepared kernel for p, building it on first use.
func (c *conv) kernel(p kernels.ConvParams, w, b *tensor.Tensor) *kernels.Conv {
	// Everything else in p follows from the attributes and the weights.
	key := [2]int{p.H, p.W}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.cache[key]; ok {
		return k
	}
	k := kernels.NewConv(p, w.F, biasData(b))
	if len(c.order) == maxPrepared {
		delete(c.cache, c.order[0])
		c.order = c.order[1:]
	}
	c.cache[key] = k
	c.order = append(c.order, key)
	return k
}

func biasData(b *tensor.Tensor) []float32 {
	if b == nil {
		return nil
	}
	return b.F
}

func (c *conv) fused() kernels.Activation { return c.act }

func (c *conv) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if c.act.Kind == kernels.ActSiLU && len(gs) > 0 && gs[0] != nil {
		g, err := c.siluGrad(p, gs[0])
		if err != nil {
			return nil, err
		}
		gs = append([]*tensor.Tensor{g}, gs[1:]...)
	}
	return firstOutput(p, gs, c.vjp)
}

// siluGrad is g times the derivative of a fused SiLU, s·(1 + z·(1-s)) with
// z the convolution's output before it and s = sigmoid(z): z is computed
// again (the output after SiLU does not determine it).
func (c *conv) siluGrad(p *Pass, g *tensor.Tensor) (*tensor.Tensor, error) {
	c.rawOnce.Do(func() {
		c.raw = &conv{win: c.win, group: c.group, w: c.w, b: c.b, biasKnown: c.biasKnown, cache: map[[2]int]*kernels.Conv{}}
	})
	zs, err := c.raw.Run(NoBudget, p.Inputs)
	if err != nil {
		return nil, err
	}
	z := zs[0]
	if !tensor.EqualShape(z.Shape, g.Shape) {
		return nil, fmt.Errorf("Conv: gradient %s for output %s", tensor.ShapeString(g.Shape), tensor.ShapeString(z.Shape))
	}
	out := tensor.New(g.Shape...)
	for i, v := range z.F {
		s := 1 / (1 + math.Exp(-float64(v)))
		out.F[i] = g.F[i] * float32(s*(1+float64(v)*(1-s)))
	}
	return out, nil
}

// vjp: the input gradient is the transposed convolution of the output
// gradient: convolutions on the forward kernels, one for stride 1 and one
// per part of the input for larger strides (inputGradConv); where those do
// not apply (a strided convolution with dilation) computed per image and
// group as G_gᵀ·W_g (a GEMM with
// the positions as rows, which suits the micro-kernels better than
// W_gᵀ·G_g for the small maps Grad-CAM works on) scattered back onto the
// input planes (col2im). The weight gradient is G·im2col(x)ᵀ and the
// bias gradient the sum of G over positions.
func (c *conv) vjp(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := p.requireFloat(0, 1, 2); err != nil {
		return nil, err
	}
	x, w, y := p.Inputs[0], p.in(1), p.Outputs[0]
	if w == nil || w.Rank() != x.Rank() || x.Rank() < 3 {
		return nil, fmt.Errorf("want N x C x spatial input and matching weights")
	}
	group := c.group
	nb, ch := x.Shape[0], x.Shape[1]
	m := w.Shape[0]
	if ch%group != 0 || m%group != 0 || w.Shape[1] != ch/group {
		return nil, fmt.Errorf("weights %s do not fit input %s with %d groups", tensor.ShapeString(w.Shape), tensor.ShapeString(x.Shape), group)
	}
	geo, err := c.win.resolve2D(x.Shape[2:], w.Shape[2:], y.Shape[2:])
	if err != nil {
		return nil, err
	}
	cg, mg := ch/group, m/group
	ckk := cg * geo.kH * geo.kW
	ohw := geo.outH * geo.outW
	ihw := geo.inH * geo.inW
	grads := make([]*tensor.Tensor, len(p.Inputs))
	var k *inputGrad
	if p.need(0) {
		k = c.inputGradConv(w, geo, ch)
	}
	// col (im2col's columns) serves the GEMM paths only; Grad-CAM's
	// convolutions, whose weights need no gradient, mostly skip it.
	var col []float32
	if (k == nil && p.need(0) && cg > 1) || p.need(1) {
		col = make([]float32, ckk*ohw)
	}
	if k != nil {
		gx := tensor.NewUninit(x.Shape...) // the kernels write every value
		k.run(gx.F, g.F, nb)
		grads[0] = gx
	} else if p.need(0) {
		gx := tensor.New(x.Shape...)
		for b := 0; b < nb; b++ {
			for gr := 0; gr < group; gr++ {
				dst := gx.F[(b*ch+gr*cg)*ihw : (b*ch+(gr+1)*cg)*ihw]
				gOut := g.F[(b*m+gr*mg)*ohw:]
				if cg == 1 {
					// Depthwise: a GEMM per group would be all overhead.
					for j := 0; j < mg; j++ {
						scatterDepthwise(dst, w.F[(gr*mg+j)*ckk:(gr*mg+j+1)*ckk], gOut[j*ohw:(j+1)*ohw], geo)
					}
					continue
				}
				kernels.Gemm(true, false, ohw, ckk, mg, 1, gOut, ohw, w.F[gr*mg*ckk:], ckk, 0, col, ckk)
				col2im(dst, col, cg, geo)
			}
		}
		grads[0] = gx
	}
	if p.need(1) {
		gw := tensor.New(w.Shape...)
		for b := 0; b < nb; b++ {
			for gr := 0; gr < group; gr++ {
				im2col(col, x.F[(b*ch+gr*cg)*ihw:(b*ch+(gr+1)*cg)*ihw], cg, geo)
				gOut := g.F[(b*m+gr*mg)*ohw:]
				kernels.Gemm(false, true, mg, ckk, ohw, 1, gOut, ohw, col, ohw, 1, gw.F[gr*mg*ckk:], ckk)
			}
		}
		grads[1] = gw
	}
	if p.need(2) {
		gb := tensor.New(m)
		for b := 0; b < nb; b++ {
			for j := 0; j < m; j++ {
				var s float32
				for _, v := range g.F[(b*m+j)*ohw : (b*m+j+1)*ohw] {
					s += v
				}
				gb.F[j] += s
			}
		}
		grads[2] = gb
	}
	return grads, nil
}

// scatterDepthwise adds the transposed convolution of one output plane gp
// with its kH x kW kernel wk onto the input plane dst.
func scatterDepthwise(dst, wk, gp []float32, g geom2D) {
	for ki := 0; ki < g.kH; ki++ {
		for oh := 0; oh < g.outH; oh++ {
			ih := tapAt(oh, g.sH, ki, g.dH, g.padT)
			if ih < 0 || ih >= g.inH {
				continue
			}
			line, src := dst[ih*g.inW:(ih+1)*g.inW], gp[oh*g.outW:(oh+1)*g.outW]
			for kj := 0; kj < g.kW; kj++ {
				wv := wk[ki*g.kW+kj]
				for ow, v := range src {
					if iw := tapAt(ow, g.sW, kj, g.dW, g.padL); iw >= 0 && iw < g.inW {
						line[iw] += wv * v
					}
				}
			}
		}
	}
}
