package autodiff

import (
	"fmt"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

func init() {
	register("Gemm", gemmVJP)
	register("MatMul", matMulVJP)
}

// gemmVJP: for Y = alpha·op(A)·op(B) + beta·C, dop(A) = alpha·G·op(B)ᵀ,
// dop(B) = alpha·op(A)ᵀ·G, dC = beta·G summed over C's broadcast axes.
func gemmVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1, 2); err != nil {
		return nil, err
	}
	a, b := n.Inputs[0], n.in(1)
	if b == nil || a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("A and B must be matrices")
	}
	alpha, err := n.Attrs.Float("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := n.Attrs.Float("beta", 1)
	if err != nil {
		return nil, err
	}
	ta, err := n.Attrs.Int("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.Attrs.Int("transB", 0)
	if err != nil {
		return nil, err
	}
	transA, transB := ta != 0, tb != 0
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	nn := b.Shape[1]
	if transB {
		nn = b.Shape[0]
	}
	if !tensor.EqualShape(g.Shape, []int{m, nn}) {
		return nil, fmt.Errorf("output %s does not match A %s and B %s", tensor.ShapeString(g.Shape), tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	grads := make([]*tensor.Tensor, len(n.Inputs))
	if n.need(0) {
		ga := tensor.New(a.Shape...)
		if transA {
			kernels.Gemm(transB, true, k, m, nn, alpha, b.F, b.Shape[1], g.F, nn, 0, ga.F, m)
		} else {
			kernels.Gemm(false, !transB, m, k, nn, alpha, g.F, nn, b.F, b.Shape[1], 0, ga.F, k)
		}
		grads[0] = ga
	}
	if n.need(1) {
		gb := tensor.New(b.Shape...)
		if transB {
			kernels.Gemm(true, transA, nn, k, m, alpha, g.F, nn, a.F, a.Shape[1], 0, gb.F, k)
		} else {
			kernels.Gemm(!transA, false, k, nn, m, alpha, a.F, a.Shape[1], g.F, nn, 0, gb.F, nn)
		}
		grads[1] = gb
	}
	if n.need(2) {
		c := n.Inputs[2]
		offs, err := broadcastOffsets(g.Shape, c.Shape)
		if err != nil {
			return nil, err
		}
		gc := tensor.New(c.Shape...)
		for i, v := range g.F {
			gc.F[offs[i]] += beta * v
		}
		grads[2] = gc
	}
	return grads, nil
}

// matMulVJP covers A (any rank >= 2, its leading axes taken as rows) times a
// matrix B, and batched products whose batch axes are equal. dA = G·Bᵀ,
// dB = Aᵀ·G.
func matMulVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0, 1); err != nil {
		return nil, err
	}
	a, b := n.Inputs[0], n.in(1)
	if b == nil || a.Rank() < 2 || b.Rank() < 2 {
		return nil, fmt.Errorf("%w for vector operands (A %s, B %s)", ErrNoVJP, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	k, nn := b.Shape[b.Rank()-2], b.Shape[b.Rank()-1]
	if a.Shape[a.Rank()-1] != k {
		return nil, fmt.Errorf("A %s and B %s do not multiply", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	var batch, m int
	switch {
	case b.Rank() == 2:
		batch, m = 1, a.Len()/k
	case tensor.EqualShape(a.Shape[:a.Rank()-2], b.Shape[:b.Rank()-2]):
		batch, m = tensor.Size(b.Shape[:b.Rank()-2]), a.Shape[a.Rank()-2]
	default:
		return nil, fmt.Errorf("%w for broadcast batch axes (A %s, B %s)", ErrNoVJP, tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
	}
	grads := make([]*tensor.Tensor, 2)
	if n.need(0) {
		ga := tensor.New(a.Shape...)
		for i := 0; i < batch; i++ {
			kernels.Gemm(false, true, m, k, nn, 1, g.F[i*m*nn:], nn, b.F[i*k*nn:], nn, 0, ga.F[i*m*k:], k)
		}
		grads[0] = ga
	}
	if n.need(1) {
		gb := tensor.New(b.Shape...)
		for i := 0; i < batch; i++ {
			kernels.Gemm(true, false, k, nn, m, 1, a.F[i*m*k:], k, g.F[i*m*nn:], nn, 0, gb.F[i*k*nn:], nn)
		}
		grads[1] = gb
	}
	return grads, nil
}
