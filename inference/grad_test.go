package inference

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camscope/inference/onnxwrite"
	"camscope/inference/tensor"
)

// TestGradReference checks d logits[0,k] / d feature map against PyTorch's
// autograd for the six reference CNNs, and for the heads with a closed form
// (GAP + linear, SqueezeNet's conv-first head) checks that form as well.
func TestGradReference(t *testing.T) {
	meta := readReferenceMeta(t)
	input := mustNpy(t, filepath.Join(sharedDir, "reference", "input.npy"))
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m, err := Load(filepath.Join(sharedDir, "reference", name+".onnx"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			h, err := m.DiscoverHead()
			if err != nil {
				t.Fatal(err)
			}
			if h.Feature != mt.FeatTensor.Tensor {
				t.Fatalf("discovered feature map %q, want %q", h.Feature, mt.FeatTensor.Tensor)
			}
			tape, out, err := m.Forward(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, h.Feature, h.Logits)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			grad, err := tape.GradOfLogit(mt.GradK)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("backward from the logits to %s: %v over %d steps", tensor.ShapeString(grad.Shape), time.Since(start), len(tape.steps))
			want := mustNpy(t, filepath.Join(sharedDir, "reference", name+"_grad.npy"))
			d := maxAbsDiff(t, grad, want)
			t.Logf("max |grad - PyTorch| = %.3g (%.2g of grad_absmax)", d, d/mt.GradMax)
			if d > 1e-4*mt.GradMax {
				t.Errorf("gradient differs from PyTorch by %g (limit %g)", d, 1e-4*mt.GradMax)
			}
			other, err := tape.GradOfLogit((mt.GradK + 1) % h.NumClasses)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, other, want); d <= 1e-4*mt.GradMax {
				t.Errorf("the gradient of another class matches PyTorch's too (differs by %g): the check cannot tell classes apart", d)
			}
			if h.Weights != nil {
				checkClosedForm(t, h, out[h.Feature], grad, mt.GradK)
			}
		})
	}
}

// checkClosedForm checks the gradient of a linear GAP head against
// W[k,c]/(h·w) at every position, and of a classifier-first head
// (pool(relu(conv1x1(f)))) against W[k,c]·[z_k > 0]/(h·w).
func checkClosedForm(t *testing.T, h *Head, feat, grad *tensor.Tensor, k int) {
	t.Helper()
	c, hw := feat.Shape[1], feat.Shape[2]*feat.Shape[3]
	w := h.Weights.F[k*c : (k+1)*c]
	worst, scale := 0.0, 0.0
	for p := 0; p < hw; p++ {
		active := 1.0
		if h.ClassifierFirst {
			z := 0.0
			if h.Bias != nil {
				z = float64(h.Bias[k])
			}
			for ch := 0; ch < c; ch++ {
				z += float64(w[ch]) * float64(feat.F[ch*hw+p])
			}
			if z <= 0 {
				active = 0
			}
		}
		for ch := 0; ch < c; ch++ {
			want := float64(w[ch]) * active / float64(hw)
			worst = math.Max(worst, math.Abs(float64(grad.F[ch*hw+p])-want))
			scale = math.Max(scale, math.Abs(want))
		}
	}
	if worst > 1e-6*scale {
		t.Errorf("gradient differs from the closed form of the head by %g (scale %g)", worst, scale)
	}
}

// TestGradInnerLayer differentiates resnet18's logit with respect to a
// tensor inside layer4 and compares with central finite differences of the
// replayed forward pass, at single positions and along a random direction.
func TestGradInnerLayer(t *testing.T) {
	m, err := Load(filepath.Join(sharedDir, "reference", "resnet18.onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.DiscoverHead()
	if err != nil {
		t.Fatal(err)
	}
	const wrt = "/layer4/layer4.0/relu_1/Relu_output_0"
	const k = 238
	input := mustNpy(t, filepath.Join(sharedDir, "reference", "input.npy"))
	tape, out, err := m.Forward(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, wrt, h.Logits)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	grad, err := tape.GradOfLogit(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backward from the logits to %s: %v over %d steps", wrt, time.Since(start), len(tape.steps))
	x := out[wrt]
	logit := func(v *tensor.Tensor) float64 {
		y, err := tape.Replay(v)
		if err != nil {
			t.Fatal(err)
		}
		return float64(y.F[k])
	}
	if base := logit(x); base != float64(out[h.Logits].F[k]) {
		t.Fatalf("replay gives logit %g, the forward pass %g", base, out[h.Logits].F[k])
	}
	gmax := 0.0
	for _, v := range grad.F {
		gmax = math.Max(gmax, math.Abs(float64(v)))
	}
	if gmax == 0 {
		t.Fatal("the gradient is zero everywhere")
	}
	// The network is piecewise linear, so a step that crosses no kink gives
	// the derivative up to float32 rounding of the logit.
	const step = 0.05
	rng := rand.New(rand.NewPCG(1, 2))
	positions := []int{argmaxAbs(grad.F)}
	for range 6 {
		positions = append(positions, rng.IntN(x.Len()))
	}
	for _, p := range positions {
		plus, minus := x.Clone(), x.Clone()
		plus.F[p] += step
		minus.F[p] -= step
		fd := (logit(plus) - logit(minus)) / (2 * step)
		if d := math.Abs(fd - float64(grad.F[p])); d > 1e-3*gmax+1e-5 {
			t.Errorf("position %d: gradient %g, finite difference %g", p, grad.F[p], fd)
		}
	}
	dir := tensor.New(x.Shape...)
	dot := 0.0
	for i := range dir.F {
		dir.F[i] = float32(rng.NormFloat64())
		dot += float64(dir.F[i]) * float64(grad.F[i])
	}
	const eps = 1e-3
	plus, minus := x.Clone(), x.Clone()
	for i, v := range dir.F {
		plus.F[i] += eps * v
		minus.F[i] -= eps * v
	}
	fd := (logit(plus) - logit(minus)) / (2 * eps)
	if math.Abs(fd-dot) > 1e-2*math.Abs(dot) {
		t.Errorf("along a random direction: gradient %g, finite difference %g", dot, fd)
	}
}

func argmaxAbs(v []float32) int {
	best := 0
	for i := range v {
		if math.Abs(float64(v[i])) > math.Abs(float64(v[best])) {
			best = i
		}
	}
	return best
}

// TestGradConcurrentBackward runs the top classes' backward passes from one
// forward pass at once (run with -race) and compares with serial results.
func TestGradConcurrentBackward(t *testing.T) {
	m, err := Load(filepath.Join(sharedDir, "reference", "vgg_small.onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.DiscoverHead()
	if err != nil {
		t.Fatal(err)
	}
	input := mustNpy(t, filepath.Join(sharedDir, "reference", "input.npy"))
	tape, _, err := m.Forward(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, h.Feature, h.Logits)
	if err != nil {
		t.Fatal(err)
	}
	classes := []int{0, 1, 119, 500, 999}
	serial := make([]*tensor.Tensor, len(classes))
	for i, k := range classes {
		if serial[i], err = tape.GradOfLogit(k); err != nil {
			t.Fatal(err)
		}
	}
	parallel := make([]*tensor.Tensor, len(classes))
	errs := make([]error, len(classes))
	var wg sync.WaitGroup
	for i, k := range classes {
		wg.Go(func() { parallel[i], errs[i] = tape.GradOfLogit(k) })
	}
	wg.Wait()
	for i := range classes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if d := maxAbsDiff(t, parallel[i], serial[i]); d != 0 {
			t.Errorf("class %d: concurrent gradient differs by %g", classes[i], d)
		}
	}
	if _, err := tape.GradOfLogit(1000); err == nil {
		t.Error("class 1000 of 1000 accepted")
	}
}

// TestGradErrors checks the sentences for impossible requests: an operator
// without a VJP on the path, a tensor the logits do not depend on, an
// unknown name, a constant.
func TestGradErrors(t *testing.T) {
	w := make([]float32, 2*3)
	for i := range w {
		w[i] = float32(i) - 2.5
	}
	om := &onnxwrite.Model{Graph: onnxwrite.Graph{
		Name: "exp_head",
		Nodes: []onnxwrite.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{Name: "exp_node", OpType: "Exp", Inputs: []string{"c"}, Outputs: []string{"e"}},
			{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"e"}, Outputs: []string{"p"}},
			{Name: "flat", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"logits"}},
		},
		Initializers: []onnxwrite.Tensor{{Name: "w", Dims: []int64{2, 3, 1, 1}, Data: w}},
		Inputs:       []onnxwrite.ValueInfo{{Name: "x", Dims: []int64{1, 3, 4, 4}}},
		Outputs:      []onnxwrite.ValueInfo{{Name: "logits", Dims: []int64{1, 2}}},
	}}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("exp_head.onnx", b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		wrt, to string
		want    string // "" when the gradient exists
	}{
		"through Exp":    {"c", "logits", "cannot go back through operator Exp (node \"exp_node\"); pick a layer after it"},
		"after Exp":      {"e", "logits", ""},
		"not upstream":   {"logits", "c", "does not depend on"},
		"unknown name":   {"nope", "logits", "no tensor named \"nope\""},
		"constant":       {"w", "logits", "constant"},
		"from the input": {"x", "c", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := m.CheckGradient(c.wrt, c.to)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrNoGradient) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			x := tensor.New(1, 3, 4, 4)
			if _, _, err := m.Forward(context.Background(), map[string]*tensor.Tensor{"x": x}, c.wrt, c.to); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Forward: error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Gradient after Exp: d mean(e_k) / d e = 1/16 on channel k only.
	x := tensor.New(1, 3, 4, 4)
	tape, _, err := m.Forward(context.Background(), map[string]*tensor.Tensor{"x": x}, "e", "logits")
	if err != nil {
		t.Fatal(err)
	}
	g, err := tape.GradOfLogit(1)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range g.F {
		want := float32(0)
		if i >= 16 {
			want = 1.0 / 16
		}
		if v != want {
			t.Fatalf("gradient[%d] = %g, want %g", i, v, want)
		}
	}
	if _, err := tape.Backward(tensor.New(1, 3)); err == nil {
		t.Error("a seed of the wrong shape was accepted")
	}
}
