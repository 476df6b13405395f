package trainer

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"camscope/inference/kernels"
)

// The network's layers as gorgonia operations of our own, so that gorgonia
// still builds the graph, differentiates it and runs the solver, while the
// arithmetic runs on the engine's kernels and on every core. Gorgonia's own
// Conv2d spends most of a step outside its matrix products (im2col into a
// fresh tensor, two transposes through generic iterators, col2im), its
// BatchNorm walks its statistics one element at a time, and its ReLU and
// pooling run on one core. BenchmarkLayer compares the two. All are checked
// against gorgonia's own operations, values and gradients, in ops_test.go.

// conv returns the convolution (stride 1, padding K/2, no bias) of x
// [B,C,H,W] with w [O,C,K,K], K odd.
func conv(x, w *G.Node) (*G.Node, error) {
	return G.ApplyOp(convOp{opBase{"camscope.conv", 2}}, x, w)
}

// batchNormReLU returns x [B,C,H,W] normalised per channel over the batch
// and the pixels, scaled by gamma and shifted by beta ([1,C,1,1] each),
// through ReLU, and the operation, which keeps the running statistics.
func batchNormReLU(x, gamma, beta *G.Node, momentum float64) (*G.Node, *bnOp, error) {
	op := &bnOp{momentum: float32(momentum), training: true}
	op.opBase = opBase{fmt.Sprintf("camscope.batchnorm_relu(%p)", op), 3}
	y, err := G.ApplyOp(op, x, gamma, beta)
	return y, op, err
}

func shapeOf(d G.DimSizer) (tensor.Shape, error) {
	s, ok := d.(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("trainer: want a 4-D shape, got %v", d)
	}
	return s, nil
}

func f32s(v G.Value) []float32 { return v.Data().([]float32) }

func newDense(data []float32, s ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(s...), tensor.WithBacking(data))
}

// opBase is what every operation here shares: a name, which gorgonia's
// graph also hashes to tell operations apart, and arity tensor inputs
// giving one tensor of the same element type.
type opBase struct {
	name  string
	arity int
}

func (b opBase) Arity() int            { return b.arity }
func (b opBase) String() string        { return b.name }
func (b opBase) WriteHash(h hash.Hash) { fmt.Fprint(h, b.name) }
func (opBase) ReturnsPtr() bool        { return false }
func (opBase) CallsExtern() bool       { return false }
func (opBase) OverwritesInput() int    { return -1 }

func (b opBase) Hashcode() uint32 {
	h := fnv.New32a()
	b.WriteHash(h)
	return h.Sum32()
}

func (b opBase) Type() hm.Type {
	t := make([]hm.Type, b.arity+1)
	for i := range t {
		t[i] = G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	}
	return hm.NewFnType(t...)
}

// eachImage calls fn for every image of a batch of b, spread over the
// cores; worker is in [0, runtime.GOMAXPROCS(0)).
func eachImage(b int, fn func(worker, img int)) {
	w := min(b, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	wg.Add(w)
	for k := 0; k < w; k++ {
		go func() {
			defer wg.Done()
			for i := k; i < b; i += w {
				fn(k, i)
			}
		}()
	}
	wg.Wait()
}

// neighbourRows calls fn for every stretch of an im2col matrix row (of a
// [C,H,W] image, k x k neighbourhoods, padding k/2) and the stretch of the
// image it mirrors: pixels that fall in the padding have no stretch.
func neighbourRows(cols, x []float32, c, h, w, k int, fn func(col, img []float32)) {
	hw, pad := h*w, k/2
	for ch := 0; ch < c; ch++ {
		plane := x[ch*hw : (ch+1)*hw]
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				r := (ch*k+ky)*k + kx
				row := cols[r*hw : (r+1)*hw]
				dx, dy := kx-pad, ky-pad
				x0, x1 := max(0, -dx), min(w, w-dx)
				for y := max(0, -dy); y < min(h, h-dy); y++ {
					sy := y + dy
					fn(row[y*w+x0:y*w+x1], plane[sy*w+x0+dx:sy*w+x1+dx])
				}
			}
		}
	}
}

// im2col writes the k x k neighbourhoods of one [C,H,W] image, padding
// k/2, as a [C*k*k, H*W] matrix.
func im2col(cols, x []float32, c, h, w, k int) {
	clear(cols[:c*k*k*h*w])
	neighbourRows(cols, x, c, h, w, k, func(col, img []float32) { copy(col, img) })
}

// col2im adds a [C*k*k, H*W] matrix of neighbourhood gradients back onto
// the pixels they came from: the adjoint of im2col.
func col2im(x, cols []float32, c, h, w, k int) {
	neighbourRows(cols, x, c, h, w, k, func(col, img []float32) {
		for i, v := range col {
			img[i] += v
		}
	})
}

// gradGroups is the number of partial sums a weight gradient is gathered
// in: enough to keep the cores of a desktop busy.
const gradGroups = 8

// scratch holds one buffer of n per worker.
func scratch(workers, n int) [][]float32 {
	s := make([][]float32, workers)
	for i := range s {
		s[i] = make([]float32, n)
	}
	return s
}

// convGeom is the geometry of a convolution: batch, input channels, output
// channels, height, width and kernel side.
type convGeom struct{ b, c, o, h, w, k int }

func (g convGeom) hw() int   { return g.h * g.w }
func (g convGeom) rows() int { return g.c * g.k * g.k } // of the im2col matrix

// neighbourhoods returns image i of x as an im2col matrix: x itself for a
// 1x1 kernel, otherwise written into buf.
func (g convGeom) neighbourhoods(buf, x []float32, i int) []float32 {
	img := x[i*g.c*g.hw() : (i+1)*g.c*g.hw()]
	if g.k == 1 {
		return img
	}
	im2col(buf, img, g.c, g.h, g.w, g.k)
	return buf
}

// convOp is conv: inputs x [B,C,H,W] and w [O,C,K,K] (K odd), output
// [B,O,H,W]; stride 1, padding K/2, no bias.
type convOp struct{ opBase }

func (convOp) DiffWRT(int) []bool { return []bool{true, true} }

func (convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	w, err := shapeOf(in[1])
	if err != nil {
		return nil, err
	}
	if w[1] != x[1] || w[2] != w[3] || w[2]%2 != 1 {
		return nil, fmt.Errorf("trainer: convolution of %v with weights %v", x, w)
	}
	return tensor.Shape{x[0], w[0], x[2], x[3]}, nil
}

func (convOp) Do(in ...G.Value) (G.Value, error) {
	s, ws := in[0].Shape(), in[1].Shape()
	g := convGeom{b: s[0], c: s[1], o: ws[0], h: s[2], w: s[3], k: ws[2]}
	x, wt := f32s(in[0]), f32s(in[1])
	hw := g.hw()
	out := make([]float32, g.b*g.o*hw)
	cols := scratch(runtime.GOMAXPROCS(0), g.rows()*hw)
	eachImage(g.b, func(k, i int) {
		kernels.Gemm(false, false, g.o, hw, g.rows(), 1, wt, g.rows(), g.neighbourhoods(cols[k], x, i), hw, 0, out[i*g.o*hw:(i+1)*g.o*hw], hw)
	})
	return newDense(out, g.b, g.o, g.h, g.w), nil
}

func (convOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(convGradInputOp{opBase{"camscope.conv.dx", 2}}, in[1], grad)
	if err != nil {
		return nil, err
	}
	k := in[1].Shape()[2]
	dw, err := G.ApplyOp(convGradWeightOp{opBase{fmt.Sprintf("camscope.conv%d.dw", k), 2}, k}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw}, nil
}

// convGradInputOp is the gradient of conv with respect to its input:
// inputs w [O,C,K,K] and the output's gradient [B,O,H,W], output
// [B,C,H,W].
type convGradInputOp struct{ opBase }

func (convGradInputOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	w, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	g, err := shapeOf(in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g[0], w[1], g[2], g[3]}, nil
}

func (convGradInputOp) Do(in ...G.Value) (G.Value, error) {
	ws, gs := in[0].Shape(), in[1].Shape()
	g := convGeom{b: gs[0], c: ws[1], o: ws[0], h: gs[2], w: gs[3], k: ws[2]}
	wt, dy := f32s(in[0]), f32s(in[1])
	hw := g.hw()
	dx := make([]float32, g.b*g.c*hw)
	cols := scratch(runtime.GOMAXPROCS(0), g.rows()*hw)
	eachImage(g.b, func(k, i int) {
		dyi, dxi := dy[i*g.o*hw:(i+1)*g.o*hw], dx[i*g.c*hw:(i+1)*g.c*hw]
		if g.k == 1 {
			kernels.Gemm(true, false, g.c, hw, g.o, 1, wt, g.c, dyi, hw, 0, dxi, hw)
			return
		}
		kernels.Gemm(true, false, g.rows(), hw, g.o, 1, wt, g.rows(), dyi, hw, 0, cols[k], hw)
		col2im(dxi, cols[k], g.c, g.h, g.w, g.k)
	})
	return newDense(dx, g.b, g.c, g.h, g.w), nil
}

// convGradWeightOp is the gradient of conv with respect to its weights:
// inputs x [B,C,H,W] and the output's gradient [B,O,H,W], output
// [O,C,K,K]. K is not in either input's shape, so the operation carries it.
type convGradWeightOp struct {
	opBase
	k int
}

func (op convGradWeightOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	x, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	g, err := shapeOf(in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g[1], x[1], op.k, op.k}, nil
}

func (op convGradWeightOp) Do(in ...G.Value) (G.Value, error) {
	xs, gs := in[0].Shape(), in[1].Shape()
	g := convGeom{b: xs[0], c: xs[1], o: gs[1], h: xs[2], w: xs[3], k: op.k}
	x, dy := f32s(in[0]), f32s(in[1])
	hw := g.hw()
	// Images are summed in a fixed number of groups, each in image order,
	// and the groups in group order, so the result is the same on any
	// number of cores.
	groups := min(g.b, gradGroups)
	cols := scratch(groups, g.rows()*hw)
	part := scratch(groups, g.o*g.rows())
	eachImage(groups, func(_, grp int) {
		for i := grp; i < g.b; i += groups {
			kernels.Gemm(false, true, g.o, g.rows(), hw, 1, dy[i*g.o*hw:(i+1)*g.o*hw], hw, g.neighbourhoods(cols[grp], x, i), hw, 1, part[grp], g.rows())
		}
	})
	dw := part[0]
	for _, p := range part[1:] {
		for j, v := range p {
			dw[j] += v
		}
	}
	return newDense(dw, g.o, g.c, g.k, g.k), nil
}

// bnOp is batch normalisation of x [B,C,H,W] with scale gamma and shift
// beta ([1,C,1,1]), followed by ReLU. In training it normalises with the
// batch's statistics and moves the running ones towards them by momentum
// (the unbiased variance, as gorgonia and PyTorch do); otherwise it uses
// the running ones. Channels are independent, so every loop runs them in
// parallel.
type bnOp struct {
	opBase
	momentum              float32
	training              bool
	runMean, runVar       []float32
	batchMean, batchInvSd []float32 // of the last training batch
	// The gradient sums of the last training batch, which all three of
	// its gradients need: computed by whichever runs first.
	sumsOnce     *sync.Once
	sumG, sumGXh []float64
}

func (*bnOp) DiffWRT(int) []bool                   { return []bool{true, true, true} }
func (op *bnOp) Stats() (mean, variance []float32) { return op.runMean, op.runVar }

func (*bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

// eachChannel calls fn for every channel of c, spread over the cores.
func eachChannel(c int, fn func(ch int)) { eachImage(c, func(_, ch int) { fn(ch) }) }

// planes returns channel ch of every image of x [B,C,HW] as b slices.
func planes(x []float32, b, c, hw, ch int) [][]float32 {
	p := make([][]float32, b)
	for i := range p {
		p[i] = x[(i*c+ch)*hw : (i*c+ch+1)*hw]
	}
	return p
}

func (op *bnOp) Do(in ...G.Value) (G.Value, error) {
	s := in[0].Shape()
	b, c, hw := s[0], s[1], s[2]*s[3]
	x, gamma, beta := f32s(in[0]), f32s(in[1]), f32s(in[2])
	if op.runMean == nil {
		op.runMean, op.runVar = make([]float32, c), make([]float32, c)
		for i := range op.runVar {
			op.runVar[i] = 1
		}
	}
	mean, invSd := make([]float32, c), make([]float32, c)
	y := make([]float32, len(x))
	n := float64(b * hw)
	eachChannel(c, func(ch int) {
		xs := planes(x, b, c, hw, ch)
		if op.training {
			var sum float64
			for _, p := range xs {
				for _, v := range p {
					sum += float64(v)
				}
			}
			m := sum / n
			var ss float64
			for _, p := range xs {
				for _, v := range p {
					d := float64(v) - m
					ss += d * d
				}
			}
			mean[ch], invSd[ch] = float32(m), float32(1/math.Sqrt(ss/n+bnEpsilon))
			op.runMean[ch] = op.momentum*mean[ch] + (1-op.momentum)*op.runMean[ch]
			op.runVar[ch] = op.momentum*float32(ss/(n-1)) + (1-op.momentum)*op.runVar[ch]
		} else {
			mean[ch], invSd[ch] = op.runMean[ch], float32(1/math.Sqrt(float64(op.runVar[ch])+bnEpsilon))
		}
		k := gamma[ch] * invSd[ch]
		d := beta[ch] - mean[ch]*k
		for i, p := range xs {
			dst := y[(i*c+ch)*hw : (i*c+ch+1)*hw]
			for j, v := range p {
				dst[j] = max(0, v*k+d)
			}
		}
	})
	if op.training {
		op.batchMean, op.batchInvSd = mean, invSd
		op.sumsOnce = new(sync.Once)
	}
	return newDense(y, s...), nil
}

func (op *bnOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	var out G.Nodes
	for part := range 3 {
		name := fmt.Sprintf("%s.grad%d", op.name, part)
		n, err := G.ApplyOp(bnGradOp{opBase{name, 4}, op, part}, in[0], in[1], in[2], grad)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// bnGradOp is one gradient of a training-mode bnOp, with respect to x
// (part 0), gamma (1) or beta (2): inputs x, gamma, beta and the output's
// gradient. It reads the batch statistics its forward pass kept, and
// passes the gradient only where the ReLU did.
type bnGradOp struct {
	opBase
	bn   *bnOp
	part int
}

func (op bnGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if op.part == 0 {
		return shapeOf(in[0])
	}
	return shapeOf(in[1])
}

// gradSums returns, per channel, the sums of the gradient reaching the
// normalised value (zero where the ReLU was off) and of it times xhat.
func (op *bnOp) gradSums(x, gamma, beta, g []float32, b, c, hw int) (sumG, sumGXh []float64) {
	op.sumsOnce.Do(func() {
		op.sumG, op.sumGXh = make([]float64, c), make([]float64, c)
		eachChannel(c, func(ch int) {
			m, k, gm, bt := op.batchMean[ch], op.batchInvSd[ch], gamma[ch], beta[ch]
			for i := 0; i < b; i++ {
				xs, gs := x[(i*c+ch)*hw:(i*c+ch+1)*hw], g[(i*c+ch)*hw:(i*c+ch+1)*hw]
				var a, ax float32
				for j, v := range xs {
					xh := (v - m) * k
					if xh*gm+bt > 0 {
						a += gs[j]
						ax += gs[j] * xh
					}
				}
				op.sumG[ch] += float64(a)
				op.sumGXh[ch] += float64(ax)
			}
		})
	})
	return op.sumG, op.sumGXh
}

func (op bnGradOp) Do(in ...G.Value) (G.Value, error) {
	s := in[0].Shape()
	b, c, hw := s[0], s[1], s[2]*s[3]
	x, gamma, beta, g := f32s(in[0]), f32s(in[1]), f32s(in[2]), f32s(in[3])
	if op.bn.sumsOnce == nil {
		return nil, fmt.Errorf("trainer: batch norm gradient without a training-mode forward pass")
	}
	sumG, sumGXh := op.bn.gradSums(x, gamma, beta, g, b, c, hw)
	if op.part > 0 {
		d := make([]float32, c)
		for ch := range d {
			if op.part == 1 {
				d[ch] = float32(sumGXh[ch])
			} else {
				d[ch] = float32(sumG[ch])
			}
		}
		return newDense(d, 1, c, 1, 1), nil
	}
	// dx = gamma*invSd * (g' - mean(g') - xhat*mean(g'*xhat)), g' the
	// gradient past the ReLU.
	n := float64(b * hw)
	dx := make([]float32, len(x))
	eachChannel(c, func(ch int) {
		m, k, gm, bt := op.bn.batchMean[ch], op.bn.batchInvSd[ch], gamma[ch], beta[ch]
		scale := gm * k
		mg, mgx := float32(sumG[ch]/n), float32(sumGXh[ch]/n)
		for i := 0; i < b; i++ {
			xs, gs, ds := x[(i*c+ch)*hw:(i*c+ch+1)*hw], g[(i*c+ch)*hw:(i*c+ch+1)*hw], dx[(i*c+ch)*hw:(i*c+ch+1)*hw]
			for j, v := range xs {
				xh := (v - m) * k
				var gv float32
				if xh*gm+bt > 0 {
					gv = gs[j]
				}
				ds[j] = scale * (gv - mg - xh*mgx)
			}
		}
	})
	return newDense(dx, s...), nil
}

// maxPool returns the 2x2 maximum (stride 2) of x [B,C,H,W], H and W even.
func maxPool(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(poolOp{opBase{"camscope.maxpool2", 1}}, x)
}

// poolOp is maxPool.
type poolOp struct{ opBase }

func (poolOp) DiffWRT(int) []bool { return []bool{true} }

func (poolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapeOf(in[0])
	if err != nil {
		return nil, err
	}
	if s[2]%2 != 0 || s[3]%2 != 0 {
		return nil, fmt.Errorf("trainer: 2x2 pooling of %v", s)
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}

// poolArgmax returns the index in plane (h x w) of the maximum of the 2x2
// window of output pixel (y, x): the first in row order on ties.
func poolArgmax(plane []float32, w, y, x int) int {
	i := 2*y*w + 2*x
	best := i
	if plane[i+1] > plane[best] {
		best = i + 1
	}
	if plane[i+w] > plane[best] {
		best = i + w
	}
	if plane[i+w+1] > plane[best] {
		best = i + w + 1
	}
	return best
}

func (poolOp) Do(in ...G.Value) (G.Value, error) {
	s := in[0].Shape()
	h, w := s[2], s[3]
	x := f32s(in[0])
	y := make([]float32, len(x)/4)
	eachImage(s[0]*s[1], func(_, p int) {
		plane, dst := x[p*h*w:(p+1)*h*w], y[p*h*w/4:(p+1)*h*w/4]
		for oy := 0; oy < h/2; oy++ {
			for ox := 0; ox < w/2; ox++ {
				dst[oy*(w/2)+ox] = plane[poolArgmax(plane, w, oy, ox)]
			}
		}
	})
	return newDense(y, s[0], s[1], h/2, w/2), nil
}

func (poolOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(poolGradOp{opBase{"camscope.maxpool2.dx", 2}}, in[0], grad)
	return G.Nodes{dx}, err
}

// poolGradOp is the gradient of maxPool: inputs x and the output's
// gradient; each window's gradient goes to its maximum.
type poolGradOp struct{ opBase }

func (poolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return shapeOf(in[0]) }

func (poolGradOp) Do(in ...G.Value) (G.Value, error) {
	s := in[0].Shape()
	h, w := s[2], s[3]
	x, g := f32s(in[0]), f32s(in[1])
	dx := make([]float32, len(x))
	eachImage(s[0]*s[1], func(_, p int) {
		plane, gp, dp := x[p*h*w:(p+1)*h*w], g[p*h*w/4:(p+1)*h*w/4], dx[p*h*w:(p+1)*h*w]
		for oy := 0; oy < h/2; oy++ {
			for ox := 0; ox < w/2; ox++ {
				dp[poolArgmax(plane, w, oy, ox)] = gp[oy*(w/2)+ox]
			}
		}
	})
	return newDense(dx, s...), nil
}
