package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"camscope/inference/onnxpb"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// TestGradReference checks d logits[0,k] / d feature map against PyTorch's
// autograd for the six reference CNNs.
func TestGradReference(t *testing.T) {
	meta := readReferenceMeta(t)
	input := sharedNpy(t, "reference", "input.npy")
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m := sharedModel(t, "reference", name)
			tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{mt.FeatTensor.Tensor}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			grads, err := tape.GradsOfLogit(mt.GradK)
			if err != nil {
				t.Fatal(err)
			}
			grad := grads[0]
			t.Logf("backward from the logits to %s: %v over %d steps", tensor.ShapeString(grad.Shape), time.Since(start), len(tape.steps))
			want := sharedNpy(t, "reference", name+"_grad.npy")
			d := maxAbsDiff(t, grad, want)
			t.Logf("max |grad - PyTorch| = %.3g (%.2g of grad_absmax)", d, d/mt.GradMax)
			if d > 1e-4*mt.GradMax {
				t.Errorf("gradient differs from PyTorch by %g (limit %g)", d, 1e-4*mt.GradMax)
			}
			others, err := tape.GradsOfLogit((mt.GradK + 1) % tensor.Size(m.Outputs[0].Shape))
			if err != nil {
				t.Fatal(err)
			}
			other := others[0]
			if d := maxAbsDiff(t, other, want); d <= 1e-4*mt.GradMax {
				t.Errorf("the gradient of another class matches PyTorch's too (differs by %g): the check cannot tell classes apart", d)
			}
		})
	}
}

// transformerFeature is, per transformer of the shared data, the tensor
// meta_transformers.json describes: ViT's last block's first LayerNorm,
// Swin's final norm before pooling.
var transformerFeature = map[string]string{
	"vit_tiny":  "/encoder/layers/encoder_layer_3/ln_1/LayerNormalization_output_0",
	"swin_tiny": "/norm/LayerNormalization_output_0",
}

// TestGradTransformers checks the feature tensor of the two vision
// transformers and d logits[0,k] / d that tensor against PyTorch: the
// gradient goes back through LayerNormalization, the attention's batched
// MatMul and Softmax, Erf's GELU, Swin's window shifts and reshapes.
func TestGradTransformers(t *testing.T) {
	meta := transformerMeta(t)
	input := sharedNpy(t, "reference", "input.npy")
	for name, feat := range transformerFeature {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m := sharedModel(t, "reference", name)
			tape, out, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{feat}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, out[feat], sharedNpy(t, "reference", name+"_feat.npy")); d > 1e-4*mt.FeatMax {
				t.Errorf("feature tensor differs from PyTorch by %g (limit %g)", d, 1e-4*mt.FeatMax)
			}
			grads, err := tape.GradsOfLogit(mt.GradK)
			if err != nil {
				t.Fatal(err)
			}
			grad := grads[0]
			want := sharedNpy(t, "reference", name+"_grad.npy")
			gradMax := maxAbsDiff(t, want, tensor.New(want.Shape...))
			d := maxAbsDiff(t, grad, want)
			t.Logf("max |grad - PyTorch| = %.3g (%.2g of the largest)", d, d/gradMax)
			if d > 1e-4*gradMax {
				t.Errorf("gradient differs from PyTorch by %g (limit %g)", d, 1e-4*gradMax)
			}
		})
	}
}

// TestGradInnerLayer differentiates a logit with respect to tensors deep
// in the body of the reference CNNs (through fused Conv+Relu, Add, Relu,
// MaxPool with ceil_mode, Concat, Pad, AveragePool, BatchNormalization,
// depthwise Conv, SiLU and squeeze-excite) and compares with central finite
// differences of the replayed forward pass.
func TestGradInnerLayer(t *testing.T) {
	cases := []struct {
		model, wrt string
		step       float32 // large enough that the float32 logit resolves the change
		maxPool    bool    // a MaxPool reads the tensor: avoid positions near a tie
		tol        float64 // allowed error, relative to the largest gradient; 3e-2 when zero
	}{
		{"resnet18", "/layer4/layer4.0/relu_1/Relu_output_0", 0.05, false, 0},
		{"resnet18", "/layer3/layer3.1/relu_1/Relu_output_0", 0.05, false, 0},
		// The whole network (a saliency map): so many Relu and MaxPool kinks
		// lie within any step that differences only roughly agree.
		{"resnet18", "input", 0.01, false, 0.1},
		{"squeezenet1_1", "/features/features.7/Concat_output_0", 0.05, true, 0},
		{"efficientnet_b0", "/features/features.6/features.6.2/Add_output_0", 0.1, false, 0},
		{"googlenet", "/inception5b/branch2/branch2.0/Relu_output_0", 0.05, false, 0},
		{"densenet121", "/features/transition3/conv/Conv_output_0", 0.05, false, 0},
		{"vgg_small", "/features/features.21/MaxPool_output_0", 0.03, false, 0},
		{"vgg_small", "/features/features.20/Relu_output_0", 0.03, true, 0},
	}
	meta := readReferenceMeta(t)
	input := sharedNpy(t, "reference", "input.npy")
	for _, c := range cases {
		t.Run(c.model+c.wrt, func(t *testing.T) {
			m := sharedModel(t, "reference", c.model)
			k := meta[c.model].GradK
			tape, out, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{c.wrt}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			grads, err := tape.GradsOfLogit(k)
			if err != nil {
				t.Fatal(err)
			}
			grad := grads[0]
			t.Logf("backward from the logits to %s: %v over %d steps", tensor.ShapeString(grad.Shape), time.Since(start), len(tape.steps))
			tol := c.tol
			if tol == 0 {
				tol = 3e-2
			}
			checkFiniteDifferences(t, tape, out[c.wrt], grad, k, out[logitsName].F[k], c.step, c.maxPool, tol)
		})
	}
}

// checkFiniteDifferences compares grad, the gradient of logit k with
// respect to x, with central differences of tape.Replay at the positions of
// the largest gradients and at random positions with a sizeable one.
// Positions within a step of a kink are left out, since the function has no
// derivative there for differences to approximate: x near 0 (a Relu's
// output) and, when a MaxPool reads x, x near a value in its 5x5
// neighbourhood (a tie in a window, where the gradient goes to one element
// and differences see half of it).
func checkFiniteDifferences(t *testing.T, tape *Tape, x, grad *tensor.Tensor, k int, logitK float32, step float32, maxPool bool, tol float64) {
	t.Helper()
	logit := func(v *tensor.Tensor) float64 {
		y, err := tape.Replay(v)
		if err != nil {
			t.Fatal(err)
		}
		return float64(y.F[k])
	}
	if base := logit(x); base != float64(logitK) {
		t.Fatalf("replay gives logit %g, the forward pass %g", base, logitK)
	}
	var candidates []int
	gmax := 0.0
	for i, v := range grad.F {
		gmax = math.Max(gmax, math.Abs(float64(v)))
		if math.Abs(float64(x.F[i])) > 2*float64(step) && !(maxPool && nearTie(x, i, 2*step)) {
			candidates = append(candidates, i)
		}
	}
	if gmax == 0 {
		t.Fatal("the gradient is zero everywhere")
	}
	if len(candidates) < 100 {
		t.Fatalf("only %d positions are away from kinks", len(candidates))
	}
	sort.Slice(candidates, func(a, b int) bool {
		return math.Abs(float64(grad.F[candidates[a]])) > math.Abs(float64(grad.F[candidates[b]]))
	})
	positions := candidates[:4]
	rng := rand.New(rand.NewPCG(1, 2))
	for len(positions) < 8 {
		if p := candidates[rng.IntN(len(candidates))]; math.Abs(float64(grad.F[p])) > 0.2*gmax {
			positions = append(positions, p)
		}
	}
	// The slope of the logit over eight offsets from -2 to 2 steps, by least
	// squares, rather than one central difference: float32 rounding moves
	// the replayed logit by a few units in its last place, which one
	// difference over a short step magnifies. The fit's residuals measure
	// that noise (and any kink within the offsets), and the allowed error
	// grows by three of its standard errors.
	offsets := []float32{-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2}
	quiet := 0
	for _, p := range positions {
		var so2, soy, sy float64
		ys := make([]float64, len(offsets))
		os := make([]float64, len(offsets))
		for i, o := range offsets {
			v := x.Clone()
			v.F[p] += o * step
			os[i] = float64(v.F[p]) - float64(x.F[p])
			ys[i] = logit(v)
			sy += ys[i]
		}
		mean := sy / float64(len(ys))
		for i := range ys {
			so2 += os[i] * os[i]
			soy += os[i] * (ys[i] - mean)
		}
		slope := soy / so2
		var rss float64
		for i := range ys {
			r := ys[i] - mean - slope*os[i]
			rss += r * r
		}
		stderr := math.Sqrt(rss/float64(len(ys)-2)) / math.Sqrt(so2)
		if stderr < tol*gmax {
			quiet++
		}
		if d := math.Abs(slope - float64(grad.F[p])); d > tol*gmax+3*stderr {
			t.Errorf("position %d: gradient %g, finite-difference slope %g ± %g (largest gradient %g)", p, grad.F[p], slope, stderr, gmax)
		}
	}
	if quiet < len(positions)/2 {
		t.Errorf("the replayed logit is too noisy to check: at only %d of %d positions is the slope's standard error within the tolerance", quiet, len(positions))
	}
}

// nearTie reports whether element i of the 4-D tensor x has a neighbour in
// its channel, at most 2 rows and columns away, within d of its value.
func nearTie(x *tensor.Tensor, i int, d float32) bool {
	h, w := x.Shape[2], x.Shape[3]
	plane := i - i%(h*w)
	r, c := (i%(h*w))/w, i%w
	for y := max(r-2, 0); y <= min(r+2, h-1); y++ {
		for z := max(c-2, 0); z <= min(c+2, w-1); z++ {
			j := plane + y*w + z
			if j != i && math.Abs(float64(x.F[j]-x.F[i])) < float64(d) {
				return true
			}
		}
	}
	return false
}

func maxAbs(v []float32) float32 {
	return float32(math.Abs(float64(v[argmaxAbs(v)])))
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
	input := sharedNpy(t, "reference", "input.npy")
	cases := []struct{ model, wrt string }{
		{"vgg_small", readReferenceMeta(t)["vgg_small"].FeatTensor.Tensor}, // the head: Gemm, Relu, AveragePool
		{"resnet18", "/layer4/layer4.0/relu_1/Relu_output_0"},              // Conv, Add
		{"vit_tiny", transformerFeature["vit_tiny"]},                       // the attention's low-rank gradients
	}
	for _, c := range cases {
		m := sharedModel(t, "reference", c.model)
		tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{c.wrt}, logitsName)
		if err != nil {
			t.Fatal(err)
		}
		checkConcurrentBackward(t, tape)
	}
}

func checkConcurrentBackward(t *testing.T, tape *Tape) {
	t.Helper()
	classes := []int{0, 1, 119, 500, 999}
	serial := make([]*tensor.Tensor, len(classes))
	for i, k := range classes {
		gs, err := tape.GradsOfLogit(k)
		if err != nil {
			t.Fatal(err)
		}
		serial[i] = gs[0]
	}
	parallel := make([]*tensor.Tensor, len(classes))
	errs := make([]error, len(classes))
	var wg sync.WaitGroup
	for i, k := range classes {
		wg.Go(func() {
			gs, err := tape.GradsOfLogit(k)
			if err == nil {
				parallel[i] = gs[0]
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range classes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		// Kernels may split work differently under load; a data race would
		// show as far more than rounding.
		if d := maxAbsDiff(t, parallel[i], serial[i]); d > 1e-5*float64(maxAbs(serial[i].F)) {
			t.Errorf("class %d: concurrent gradient differs by %g", classes[i], d)
		}
	}
	if _, err := tape.GradsOfLogit(1000); err == nil {
		t.Error("class 1000 of 1000 accepted")
	}
	many, err := tape.GradsOfLogits(classes)
	if err != nil {
		t.Fatal(err)
	}
	for i := range classes {
		if d := maxAbsDiff(t, many[i][0], serial[i]); d > 1e-5*float64(maxAbs(serial[i].F)) {
			t.Errorf("class %d: its gradient among %v differs from its gradient alone", classes[i], classes)
		}
	}
	if _, err := tape.GradsOfLogits([]int{0, 1000}); err == nil || !strings.Contains(err.Error(), "class 1000 is out of range") {
		t.Errorf("classes 0 and 1000 of 1000: %v, want an error naming 1000", err)
	}
}

// TestGradRecycling: a backward pass hands the arrays of the gradients it
// no longer needs back to tensor's pool and adds a residual's second
// gradient into the first in place. Repeated backward passes on vit_tiny
// (residual sums, reshapes and slices that share arrays) and resnet18 must
// give their first results bit for bit, interleaved with other classes
// whose passes reuse those arrays, and leave the tape's values and the
// seed as they were: an array recycled while still in use would be
// overwritten by a later pass.
func TestGradRecycling(t *testing.T) {
	input := sharedNpy(t, "reference", "input.npy")
	for _, c := range []struct{ model, wrt string }{
		{"vit_tiny", transformerFeature["vit_tiny"]},
		{"resnet18", "/layer3/layer3.1/relu_1/Relu_output_0"},
	} {
		t.Run(c.model, func(t *testing.T) {
			m := sharedModel(t, "reference", c.model)
			tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{c.wrt}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			values := map[string]*tensor.Tensor{}
			for name, v := range tape.values {
				values[name] = v.Clone()
			}
			classes := []int{7, 238, 999}
			first := map[int]*tensor.Tensor{}
			for round := range 3 {
				for _, k := range classes {
					seed := tensor.New(1, 1000)
					seed.F[k] = 1
					gs, err := tape.BackwardAll(context.Background(), seed)
					if err != nil {
						t.Fatal(err)
					}
					if seed.F[k] != 1 || tensor.Size(seed.Shape) != 1000 {
						t.Fatal("the seed was changed")
					}
					if round == 0 {
						first[k] = gs[0]
						continue
					}
					if d := maxAbsDiff(t, gs[0], first[k]); d != 0 {
						t.Errorf("round %d, class %d: the gradient differs from the first pass's by %g", round, k, d)
					}
				}
			}
			if d := maxAbsDiff(t, first[7], first[238]); d == 0 {
				t.Error("classes 7 and 238 have the same gradient: the check cannot tell passes apart")
			}
			for name, v := range values {
				if d := maxAbsDiff(t, tape.values[name], v); d != 0 {
					t.Errorf("the tape's value %q changed by %g", name, d)
				}
			}
		})
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
	om := &onnxpb.Model{Graph: onnxpb.Graph{
		Name: "hardmax_head",
		Nodes: []onnxpb.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"}},
			{Name: "hardmax_node", OpType: "Hardmax", Inputs: []string{"c"}, Outputs: []string{"e"}},
			{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"e"}, Outputs: []string{"p"}},
			{Name: "flat", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"logits"}},
		},
		Initializers: []onnxpb.Tensor{{Name: "w", Dims: []int64{2, 3, 1, 1}, Data: w}},
		Inputs:       []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 3, 4, 4}}},
		Outputs:      []onnxpb.ValueInfo{{Name: "logits", Dims: []int64{1, 2}}},
	}}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("hardmax_head.onnx", b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		wrt, to string
		want    string // "" when the gradient exists
	}{
		"through Hardmax": {"c", "logits", "cannot go back through operator Hardmax (node \"hardmax_node\"); pick a layer after it"},
		"after Hardmax":   {"e", "logits", ""},
		"not upstream":    {"logits", "c", "does not depend on"},
		"unknown name":    {"nope", "logits", "no tensor named \"nope\""},
		"constant":        {"w", "logits", "constant"},
		"from the input":  {"x", "c", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := m.gradPath([]string{c.wrt}, c.to)
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
			if _, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{"x": x}, []string{c.wrt}, c.to); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ForwardAll: error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Gradient after Hardmax: d mean(e_k) / d e = 1/16 on channel k only.
	x := tensor.New(1, 3, 4, 4)
	tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{"x": x}, []string{"e"}, "logits")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := tape.GradsOfLogit(1)
	if err != nil {
		t.Fatal(err)
	}
	g := gs[0]
	for i, v := range g.F {
		want := float32(0)
		if i >= 16 {
			want = 1.0 / 16
		}
		if v != want {
			t.Fatalf("gradient[%d] = %g, want %g", i, v, want)
		}
	}
	if _, err := tape.BackwardAll(context.Background(), tensor.New(1, 3)); err == nil {
		t.Error("a seed of the wrong shape was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tape.BackwardAll(ctx, tensor.New(1, 2)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled backward pass: error %v", err)
	}
}

// TestGradMultiOutput goes back through both outputs of a Split that meet
// again in a Mul, and checks against finite differences.
func TestGradMultiOutput(t *testing.T) {
	om := &onnxpb.Model{Graph: onnxpb.Graph{
		Name: "split_mul",
		Nodes: []onnxpb.Node{
			{Name: "split", OpType: "Split", Inputs: []string{"x"}, Outputs: []string{"a", "b"}, Attrs: []onnxpb.Attr{onnxpb.Int("axis", 1)}},
			{Name: "mul", OpType: "Mul", Inputs: []string{"a", "b"}, Outputs: []string{"m"}},
			{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"m"}, Outputs: []string{"p"}},
			{Name: "flat", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"logits"}},
		},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 4, 3, 3}}},
		Outputs: []onnxpb.ValueInfo{{Name: "logits", Dims: []int64{1, 2}}},
	}}
	b, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("split_mul.onnx", b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 4, 3, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x.F {
		x.F[i] = float32(rng.Float64()*2 - 1)
	}
	tape, out, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{"x": x}, []string{"x"}, "logits")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := tape.GradsOfLogit(1)
	if err != nil {
		t.Fatal(err)
	}
	g := gs[0]
	// logit 1 = mean(x[:,1] * x[:,3]): d/dx[:,1] = x[:,3]/9, d/dx[:,3] = x[:,1]/9.
	for i := range g.F {
		ch, p := i/9, i%9
		want := float32(0)
		switch ch {
		case 1:
			want = x.F[27+p] / 9
		case 3:
			want = x.F[9+p] / 9
		}
		if math.Abs(float64(g.F[i]-want)) > 1e-7 {
			t.Fatalf("gradient[%d] = %g, want %g", i, g.F[i], want)
		}
	}
	y, err := tape.Replay(x)
	if err != nil || y.F[1] != out["logits"].F[1] {
		t.Fatalf("replay: %v, %v", y, err)
	}
}

// BenchmarkGradsOfLogit times one backward pass of Grad-CAM on resnet18 from
// the logits to the CAM layer (the head), to a layer inside the last
// stage and to the outputs of layer3 and layer2 (issue 18's inner layers),
// the forward pass done once.
func BenchmarkGradsOfLogit(b *testing.B) {
	input := sharedNpy(b, "reference", "input.npy")
	m := sharedModel(b, "reference", "resnet18")
	for name, wrt := range map[string]string{"head": readReferenceMeta(b)["resnet18"].FeatTensor.Tensor, "layer4.0": "/layer4/layer4.0/relu_1/Relu_output_0", "layer3.1": "/layer3/layer3.1/relu_1/Relu_output_0", "layer2.1": "/layer2/layer2.1/relu_1/Relu_output_0"} {
		b.Run(name, func(b *testing.B) {
			tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{wrt}, logitsName)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tape.GradsOfLogit(238); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Replay recomputes To with Wrt replaced by x and everything else as
// recorded: the forward function that BackwardAll differentiates, for
// checking gradients by finite differences.
func (t *Tape) Replay(x *tensor.Tensor) (*tensor.Tensor, error) {
	if x == nil || !tensor.EqualShape(x.Shape, t.m.shapes[t.Wrt]) {
		return nil, fmt.Errorf("%s: replay: the value of %q must have shape %s", t.m.Name, t.Wrt, tensor.ShapeString(t.m.shapes[t.Wrt]))
	}
	values := map[string]*tensor.Tensor{t.Wrt: x}
	get := func(name string) *tensor.Tensor {
		if v, ok := values[name]; ok {
			return v
		}
		return t.value(name)
	}
	for _, s := range t.steps {
		in := make([]*tensor.Tensor, len(s.inputs))
		for j, name := range s.inputs {
			if name != "" {
				in[j] = get(name)
			}
		}
		outs, err := runStep(s, in, ops.NoBudget)
		if err != nil {
			return nil, fmt.Errorf("%s: replay: %w", t.m.Name, err)
		}
		for j, o := range s.outputs {
			if o != "" && j < len(outs) {
				values[o] = outs[j]
			}
		}
	}
	return get(t.To), nil
}

// TestGradSeveralTensors: one tape at several layers of resnet18 (the
// head's feature map, a block inside the last stage and one of the stage
// before, each depending on the next) gives, from one backward pass, the
// gradients that a tape at each layer alone gives.
func TestGradSeveralTensors(t *testing.T) {
	input := sharedNpy(t, "reference", "input.npy")
	m := sharedModel(t, "reference", "resnet18")
	wrt := []string{
		readReferenceMeta(t)["resnet18"].FeatTensor.Tensor,
		"/layer4/layer4.0/relu_1/Relu_output_0",
		"/layer3/layer3.1/relu_1/Relu_output_0",
	}
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: input}
	tape, out, err := m.ForwardAll(context.Background(), feed, wrt, logitsName)
	if err != nil {
		t.Fatal(err)
	}
	const k = 238
	gs, err := tape.GradsOfLogit(k)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != len(wrt) {
		t.Fatalf("%d gradients for %d tensors", len(gs), len(wrt))
	}
	for i, w := range wrt {
		one, oneOut, err := m.ForwardAll(context.Background(), feed, []string{w}, logitsName)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(t, out[w], oneOut[w]); d != 0 {
			t.Errorf("%s: the recorded activations differ by %g", w, d)
		}
		wants, err := one.GradsOfLogit(k)
		if err != nil {
			t.Fatal(err)
		}
		want := wants[0]
		if d, scale := maxAbsDiff(t, gs[i], want), maxAbs(want.F); d > 1e-6*float64(scale) || scale == 0 {
			t.Errorf("%s: the gradient differs from a one-layer tape's by %g (largest %g)", w, d, scale)
		}
	}
	if _, _, err := m.ForwardAll(context.Background(), feed, []string{wrt[0], wrt[0]}, logitsName); err == nil || !strings.Contains(err.Error(), "named twice") {
		t.Errorf("a tensor named twice: error %v", err)
	}
}
