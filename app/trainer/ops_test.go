package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// buildCase builds y = f(x, w, gamma, beta) and loss = sum(y*r) on a fresh
// graph, with the gradients of x, w, gamma and beta, and returns a machine
// that runs it.
func buildCase(tb testing.TB, f layer, x, w, gamma, beta, r *tensor.Dense) (vm G.VM, out *G.Node, inputs []*G.Node) {
	tb.Helper()
	g := G.NewGraph()
	inputs = []*G.Node{
		G.NewTensor(g, tensor.Float32, 4, G.WithShape(x.Shape()...), G.WithName("x"), G.WithValue(x.Clone())),
		G.NewTensor(g, tensor.Float32, 4, G.WithShape(w.Shape()...), G.WithName("w"), G.WithValue(w.Clone())),
		G.NewTensor(g, tensor.Float32, 4, G.WithShape(gamma.Shape()...), G.WithName("gamma"), G.WithValue(gamma.Clone())),
		G.NewTensor(g, tensor.Float32, 4, G.WithShape(beta.Shape()...), G.WithName("beta"), G.WithValue(beta.Clone())),
	}
	out, err := f(inputs[0], inputs[1], inputs[2], inputs[3])
	if err != nil {
		tb.Fatal(err)
	}
	rn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(r.Shape()...), G.WithName("r"), G.WithValue(r.Clone()))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, rn))))
	if _, err := G.Grad(loss, inputs...); err != nil {
		tb.Fatal(err)
	}
	return G.NewTapeMachine(g, G.BindDualValues(inputs...)), out, inputs
}

// opCase runs buildCase's graph once and returns y and the gradients of x,
// w, gamma and beta.
func opCase(t *testing.T, f layer, x, w, gamma, beta, r *tensor.Dense) (y []float32, grads [4][]float32) {
	t.Helper()
	vm, out, nodes := buildCase(t, f, x, w, gamma, beta, r)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	y = clone(out.Value().Data().([]float32))
	for i, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = clone(gv.Data().([]float32))
	}
	return y, grads
}

func randDense(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*math.Max(1, scale) {
			t.Fatalf("%s[%d] = %v, gorgonia's own gives %v", what, i, got[i], want[i])
		}
	}
}

// layer builds one training layer from x, its weights w and batch
// normalisation's gamma and beta.
type layer func(x, w, gamma, beta *G.Node) (*G.Node, error)

// gorgoniaLayer is a k x k convolution, batch normalisation, ReLU and 2x2
// max pooling from gorgonia's own operations.
func gorgoniaLayer(k int) layer {
	return func(x, w, gamma, beta *G.Node) (*G.Node, error) {
		y, err := G.Conv2d(x, w, tensor.Shape{k, k}, []int{k / 2, k / 2}, []int{1, 1}, []int{1, 1})
		if err != nil {
			return nil, err
		}
		if y, _, _, _, err = G.BatchNorm(y, gamma, beta, 0.1, bnEpsilon); err != nil {
			return nil, err
		}
		if y, err = G.Rectify(y); err != nil {
			return nil, err
		}
		return G.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	}
}

// camscopeLayer is the same layer from this package's operations; *bn
// receives the batch normalisation operation.
func camscopeLayer(bn **bnOp) layer {
	return func(x, w, gamma, beta *G.Node) (*G.Node, error) {
		y, err := conv(x, w)
		if err != nil {
			return nil, err
		}
		if y, *bn, err = batchNormReLU(y, gamma, beta, 0.1); err != nil {
			return nil, err
		}
		return maxPool(y)
	}
}

// TestOpsMatchGorgonia checks the engine-backed convolution, batch
// normalisation with ReLU and pooling against gorgonia's own Conv2d,
// BatchNorm, Rectify and MaxPool2D: the values and the gradients of every
// input, on a batch with odd sizes.
func TestOpsMatchGorgonia(t *testing.T) {
	for _, k := range []int{3, 1} {
		t.Run(fmt.Sprintf("%dx%d", k, k), func(t *testing.T) { testOps(t, k) })
	}
}

func testOps(t *testing.T, k int) {
	rng := rand.New(rand.NewPCG(7, uint64(k)))
	const b, c, o, h, w = 3, 5, 7, 10, 6
	x, wt := randDense(rng, b, c, h, w), randDense(rng, o, c, k, k)
	gamma, beta := randDense(rng, 1, o, 1, 1), randDense(rng, 1, o, 1, 1)
	r := randDense(rng, b, o, h/2, w/2)

	var ours *bnOp
	wantY, wantG := opCase(t, gorgoniaLayer(k), x, wt, gamma, beta, r)
	gotY, gotG := opCase(t, camscopeLayer(&ours), x, wt, gamma, beta, r)
	closeTo(t, "output", gotY, wantY, 1e-4)
	for i, name := range []string{"dx", "dw", "dgamma", "dbeta"} {
		closeTo(t, name, gotG[i], wantG[i], 1e-3)
	}

	// The running statistics after one step: momentum 0.1 from mean 0 and
	// variance 1 towards the batch's mean and unbiased variance.
	cg := G.NewGraph()
	xn := G.NewTensor(cg, tensor.Float32, 4, G.WithShape(b, c, h, w), G.WithValue(x.Clone()))
	wn := G.NewTensor(cg, tensor.Float32, 4, G.WithShape(o, c, k, k), G.WithValue(wt.Clone()))
	yn := G.Must(conv(xn, wn))
	vm := G.NewTapeMachine(cg)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	y := yn.Value().Data().([]float32)
	mean, variance := ours.Stats()
	for ch := 0; ch < o; ch++ {
		var s, ss float64
		for i := 0; i < b; i++ {
			for _, v := range y[(i*o+ch)*h*w : (i*o+ch+1)*h*w] {
				s += float64(v)
			}
		}
		n := float64(b * h * w)
		m := s / n
		for i := 0; i < b; i++ {
			for _, v := range y[(i*o+ch)*h*w : (i*o+ch+1)*h*w] {
				ss += (float64(v) - m) * (float64(v) - m)
			}
		}
		if d := math.Abs(float64(mean[ch]) - 0.1*m); d > 1e-5 {
			t.Errorf("channel %d: running mean %v, want %v", ch, mean[ch], 0.1*m)
		}
		if want := 0.9 + 0.1*ss/(n-1); math.Abs(float64(variance[ch])-want) > 1e-4*want {
			t.Errorf("channel %d: running variance %v, want %v", ch, variance[ch], want)
		}
	}
}

// BenchmarkLayer times the forward and backward pass of one training layer
// (3x3 convolution 32->48 channels, batch norm, ReLU, 2x2 pooling) on a
// batch of 32 32x32 maps, built from gorgonia's own operations and from the
// project's. Both use the engine's matrix product (engineBLAS).
func BenchmarkLayer(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, wt := randDense(rng, 32, 32, 32, 32), randDense(rng, 48, 32, 3, 3)
	gamma, beta := randDense(rng, 1, 48, 1, 1), randDense(rng, 1, 48, 1, 1)
	r := randDense(rng, 32, 48, 16, 16)
	var bn *bnOp
	for _, c := range []struct {
		name  string
		layer layer
	}{
		{"gorgonia", gorgoniaLayer(3)},
		{"camscope", camscopeLayer(&bn)},
	} {
		b.Run(c.name, func(b *testing.B) {
			vm, _, _ := buildCase(b, c.layer, x, wt, gamma, beta, r)
			defer vm.Close()
			for b.Loop() {
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
				vm.Reset()
			}
		})
	}
}
