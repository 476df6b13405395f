package trainer

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// net is the gorgonia graph of the network for a fixed batch size, with a
// cross-entropy loss and its gradients.
type net struct {
	arch   Arch
	batch  int
	g      *G.ExprGraph
	x, y   *G.Node // input [B,3,S,S], one-hot labels [B,K]
	logits *G.Node
	loss   *G.Node
	convW  []*G.Node
	convB  []*G.Node // biases, or batch norm shifts
	gamma  []*G.Node // batch norm scales
	bn     []*bnOp
	fcW    *G.Node // [F,K]: gorgonia multiplies features by it on the right
	fcB    *G.Node // [1,K]
	vm     G.VM
}

func newNet(p *Params, batch int) (*net, error) {
	a := p.Arch
	n := &net{arch: a, batch: batch, g: G.NewGraph()}
	g := n.g
	n.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 3, a.Size, a.Size), G.WithName("input"))
	n.y = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, a.Classes), G.WithName("onehot"))
	h := n.x
	var err error
	for i, c := range p.Convs {
		w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.Out, c.In, c.Kernel, c.Kernel), G.WithName(fmt.Sprintf("conv%d.w", i+1)),
			G.WithValue(tensor.New(tensor.WithShape(c.Out, c.In, c.Kernel, c.Kernel), tensor.WithBacking(clone(c.W)))))
		n.convW = append(n.convW, w)
		if h, err = conv(h, w); err != nil {
			return nil, fmt.Errorf("trainer: conv%d: %w", i+1, err)
		}
		if a.BatchNorm {
			gm := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, c.Out, 1, 1), G.WithName(fmt.Sprintf("bn%d.gamma", i+1)),
				G.WithValue(tensor.New(tensor.WithShape(1, c.Out, 1, 1), tensor.WithBacking(clone(c.Gamma)))))
			b := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, c.Out, 1, 1), G.WithName(fmt.Sprintf("bn%d.beta", i+1)),
				G.WithValue(tensor.New(tensor.WithShape(1, c.Out, 1, 1), tensor.WithBacking(clone(c.Beta)))))
			n.convB = append(n.convB, b)
			var op *bnOp
			if h, op, err = batchNormReLU(h, gm, b, 0.1); err != nil {
				return nil, fmt.Errorf("trainer: bn%d: %w", i+1, err)
			}
			n.gamma, n.bn = append(n.gamma, gm), append(n.bn, op)
		} else {
			b := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, c.Out, 1, 1), G.WithName(fmt.Sprintf("conv%d.b", i+1)),
				G.WithValue(tensor.New(tensor.WithShape(1, c.Out, 1, 1), tensor.WithBacking(clone(c.B)))))
			n.convB = append(n.convB, b)
			if h, err = G.BroadcastAdd(h, b, nil, []byte{0, 2, 3}); err != nil {
				return nil, fmt.Errorf("trainer: conv%d bias: %w", i+1, err)
			}
			if h, err = G.Rectify(h); err != nil {
				return nil, err
			}
		}
		if c.Pool {
			if h, err = maxPool(h); err != nil {
				return nil, fmt.Errorf("trainer: pool%d: %w", i+1, err)
			}
		}
	}
	f, s := a.Features(), a.FeatureSize()
	// Global average pooling as a mean over a [B*F, S*S] view: gorgonia's
	// own GlobalAveragePool2D has no gradient.
	if h, err = G.Reshape(h, tensor.Shape{batch * f, s * s}); err != nil {
		return nil, err
	}
	if h, err = G.Mean(h, 1); err != nil {
		return nil, err
	}
	if h, err = G.Reshape(h, tensor.Shape{batch, f}); err != nil {
		return nil, err
	}
	n.fcW = G.NewMatrix(g, tensor.Float32, G.WithShape(f, a.Classes), G.WithName("fc.w"),
		G.WithValue(tensor.New(tensor.WithShape(f, a.Classes), tensor.WithBacking(transpose(p.FCW, a.Classes, f)))))
	n.fcB = G.NewMatrix(g, tensor.Float32, G.WithShape(1, a.Classes), G.WithName("fc.b"),
		G.WithValue(tensor.New(tensor.WithShape(1, a.Classes), tensor.WithBacking(clone(p.FCB)))))
	if h, err = G.Mul(h, n.fcW); err != nil {
		return nil, err
	}
	if n.logits, err = G.BroadcastAdd(h, n.fcB, nil, []byte{0}); err != nil {
		return nil, err
	}
	lp, err := G.LogSoftMax(n.logits, 1)
	if err != nil {
		return nil, err
	}
	// Mean cross-entropy: -sum(onehot * log p) / B.
	ce := G.Must(G.Sum(G.Must(G.HadamardProd(lp, n.y))))
	n.loss = G.Must(G.Neg(G.Must(G.HadamardDiv(ce, G.NewConstant(float32(batch))))))
	if _, err = G.Grad(n.loss, n.learnables()...); err != nil {
		return nil, fmt.Errorf("trainer: gradients: %w", err)
	}
	n.vm = G.NewTapeMachine(g, G.BindDualValues(n.learnables()...))
	return n, nil
}

// learnables lists the weights; the linear layer's two come last.
func (n *net) learnables() G.Nodes {
	var l G.Nodes
	for i := range n.convW {
		l = append(l, n.convW[i], n.convB[i])
	}
	l = append(l, n.gamma...)
	return append(l, n.fcW, n.fcB)
}

// step runs the forward and backward passes on one batch and returns the
// loss and the logits ([B*K], row-major).
func (n *net) step(x, onehot []float32) (float32, []float32, error) {
	a := n.arch
	if err := G.Let(n.x, tensor.New(tensor.WithShape(n.batch, 3, a.Size, a.Size), tensor.WithBacking(x))); err != nil {
		return 0, nil, err
	}
	if err := G.Let(n.y, tensor.New(tensor.WithShape(n.batch, a.Classes), tensor.WithBacking(onehot))); err != nil {
		return 0, nil, err
	}
	defer n.vm.Reset()
	if err := n.vm.RunAll(); err != nil {
		return 0, nil, fmt.Errorf("trainer: run: %w", err)
	}
	loss := n.loss.Value().Data().(float32)
	logits := clone(n.logits.Value().Data().([]float32))
	return loss, logits, nil
}

// params copies the graph's current weights out.
func (n *net) params() *Params {
	a := n.arch
	p := &Params{Arch: a}
	in := 3
	for i, c := range a.Convs {
		cv := Conv{Out: c.Out, In: in, Kernel: c.Kernel, Pool: c.Pool, W: clone(n.convW[i].Value().Data().([]float32))}
		if a.BatchNorm {
			cv.B = make([]float32, c.Out)
			cv.Beta = clone(n.convB[i].Value().Data().([]float32))
			cv.Gamma = clone(n.gamma[i].Value().Data().([]float32))
			m, v := n.bn[i].Stats()
			cv.Mean, cv.Var = clone(m), clone(v)
		} else {
			cv.B = clone(n.convB[i].Value().Data().([]float32))
		}
		p.Convs = append(p.Convs, cv)
		in = c.Out
	}
	p.FCW = transpose(n.fcW.Value().Data().([]float32), in, a.Classes)
	p.FCB = clone(n.fcB.Value().Data().([]float32))
	return p
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

// transpose returns the [cols][rows] transpose of a [rows][cols] matrix.
func transpose(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = m[r*cols+c]
		}
	}
	return t
}
