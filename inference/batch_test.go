package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"camscope/inference/kernels"
	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// randomWeights returns a maker of initializers of the given shapes,
// filled from a generator seeded with seed: values in [-0.35, 0.15).
func randomWeights(seed uint32) func(name string, dims ...int64) onnxpb.Tensor {
	r := seed
	return func(name string, dims ...int64) onnxpb.Tensor {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			r = r*1664525 + 1013904223
			data[i] = float32(int32(r>>8))/float32(1<<23)*0.5 - 0.1
		}
		return onnxpb.Tensor{Name: name, Dims: dims, Data: data}
	}
}

// batchModel builds a small model of its kind, for the batch tests: each
// kind puts in one graph the shapes a batch must get right.
//
//   - cnn: convolutions (one with Relu fused), max pooling, a residual
//     Add, global average pooling, Flatten, Gemm and Softmax.
//   - shapes: a broadcast against a [2,...] constant (two rows per input
//     from then on), PyTorch's flatten as exported (Shape, Gather, Concat,
//     then Reshape by the result: folded at load with a batch of 1), a
//     Reshape to the constant [1,-1] and one to [-1] (the batch merged
//     into one axis).
//   - attention: a transformer block with the batch of 1 in its constants:
//     a linear layer (MatMul by a constant), a Reshape to [1,T,3,H,D], a
//     Transpose that moves axes across the first, per-head products,
//     Softmax, the Reshape back to [1,T,C], LayerNormalization and the
//     class token taken by a Gather on axis 1.
//   - rows: a Gemm of 70 rows per input (the batch's rows in one product)
//     and Gemm of 1 row, a Slice of a later axis and one of the first.
//   - scalar: a value reduced to a scalar (ReduceMean without keepdims)
//     that is added back to the input: a graph whose tensors cannot stack.
func batchModel(t testing.TB, kind string) *Model {
	t.Helper()
	weights := randomWeights(7)
	ints := func(name string, v ...int64) onnxpb.Node {
		return onnxpb.Node{Name: name, OpType: "Constant", Outputs: []string{name}, Attrs: []onnxpb.Attr{onnxpb.Ints("value_ints", v...)}}
	}
	node := func(op string, in []string, out string, attrs ...onnxpb.Attr) onnxpb.Node {
		return onnxpb.Node{Name: out + "_node", OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	var g onnxpb.Graph
	opset := int64(17)
	switch kind {
	case "cnn":
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 3, 12, 12}}},
			Nodes: []onnxpb.Node{
				node("Conv", []string{"x", "w1", "b1"}, "c1", onnxpb.Ints("pads", 1, 1, 1, 1)),
				node("Relu", []string{"c1"}, "r1"),
				node("MaxPool", []string{"r1"}, "p1", onnxpb.Ints("kernel_shape", 2, 2), onnxpb.Ints("strides", 2, 2)),
				node("Conv", []string{"p1", "w2"}, "c2", onnxpb.Ints("pads", 1, 1, 1, 1)),
				node("Add", []string{"c2", "p1"}, "s"),
				node("GlobalAveragePool", []string{"s"}, "gap"),
				node("Flatten", []string{"gap"}, "f"),
				node("Gemm", []string{"f", "fw", "fb"}, "logits", onnxpb.Int("transB", 1)),
				node("Softmax", []string{"logits"}, "prob", onnxpb.Int("axis", 1)),
			},
			Initializers: []onnxpb.Tensor{weights("w1", 8, 3, 3, 3), weights("b1", 8), weights("w2", 8, 8, 3, 3), weights("fw", 5, 8), weights("fb", 5)},
			Outputs:      []onnxpb.ValueInfo{{Name: "logits"}, {Name: "prob"}},
		}
	case "fire":
		// A Fire module: expand1x1 and expand3x3 read the squeeze's output
		// and go side by side (beside.go), large enough that each would
		// split over two cores alone (kernels.minFlopsPerWorker).
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 16, 14, 14}}},
			Nodes: []onnxpb.Node{
				node("Conv", []string{"x", "ws", "bs"}, "sq"),
				node("Relu", []string{"sq"}, "sqr"),
				node("Conv", []string{"sqr", "w1", "b1"}, "e1"),
				node("Relu", []string{"e1"}, "e1r"),
				node("Conv", []string{"sqr", "w3", "b3"}, "e3", onnxpb.Ints("pads", 1, 1, 1, 1)),
				node("Relu", []string{"e3"}, "e3r"),
				node("Concat", []string{"e1r", "e3r"}, "cat", onnxpb.Int("axis", 1)),
				node("GlobalAveragePool", []string{"cat"}, "gap"),
				node("Flatten", []string{"gap"}, "f"),
				node("Gemm", []string{"f", "fw", "fb"}, "logits", onnxpb.Int("transB", 1)),
			},
			Initializers: []onnxpb.Tensor{weights("ws", 64, 16, 1, 1), weights("bs", 64), weights("w1", 192, 64, 1, 1), weights("b1", 192),
				weights("w3", 192, 64, 3, 3), weights("b3", 192), weights("fw", 5, 384), weights("fb", 5)},
			Outputs: []onnxpb.ValueInfo{{Name: "logits"}},
		}
	case "shapes":
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 2, 4, 4}}},
			Nodes: []onnxpb.Node{
				node("Mul", []string{"x", "k"}, "xk"),
				node("Shape", []string{"xk"}, "shape"),
				ints("zero", 0),
				node("Gather", []string{"shape", "zero"}, "batch", onnxpb.Int("axis", 0)),
				ints("minus", -1),
				node("Concat", []string{"batch", "minus"}, "target", onnxpb.Int("axis", 0)),
				node("Reshape", []string{"xk", "target"}, "flat"),
				node("Gemm", []string{"flat", "fw"}, "y1", onnxpb.Int("transB", 1)),
				ints("row", 1, -1),
				node("Reshape", []string{"xk", "row"}, "row1"),
				node("Sigmoid", []string{"row1"}, "y2"),
				ints("all", -1),
				node("Reshape", []string{"xk", "all"}, "y3"),
			},
			Initializers: []onnxpb.Tensor{weights("k", 2, 2, 1, 4), weights("fw", 3, 32)},
			Outputs:      []onnxpb.ValueInfo{{Name: "y1"}, {Name: "y2"}, {Name: "y3"}},
		}
	case "attention":
		const T, C, H, D = 5, 8, 2, 4
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, T, C}}},
			Nodes: []onnxpb.Node{
				node("MatMul", []string{"x", "wqkv"}, "qkv"),
				ints("split", 1, T, 3, H, D),
				node("Reshape", []string{"qkv", "split"}, "heads"),
				node("Transpose", []string{"heads"}, "perm", onnxpb.Ints("perm", 2, 0, 3, 1, 4)),
				ints("i0", 0), ints("i1", 1), ints("i2", 2),
				node("Gather", []string{"perm", "i0"}, "q0", onnxpb.Int("axis", 0)),
				node("Gather", []string{"perm", "i1"}, "k0", onnxpb.Int("axis", 0)),
				node("Gather", []string{"perm", "i2"}, "v0", onnxpb.Int("axis", 0)),
				node("Squeeze", []string{"q0", "i0"}, "q"),
				node("Squeeze", []string{"k0", "i0"}, "k"),
				node("Squeeze", []string{"v0", "i0"}, "v"),
				node("Transpose", []string{"k"}, "kt", onnxpb.Ints("perm", 0, 1, 3, 2)),
				node("MatMul", []string{"q", "kt"}, "scores"),
				node("Softmax", []string{"scores"}, "attn", onnxpb.Int("axis", -1)),
				node("MatMul", []string{"attn", "v"}, "ctx"),
				node("Transpose", []string{"ctx"}, "ctxt", onnxpb.Ints("perm", 0, 2, 1, 3)),
				ints("merge", 1, T, C),
				node("Reshape", []string{"ctxt", "merge"}, "merged"),
				node("Add", []string{"merged", "x"}, "res"),
				node("LayerNormalization", []string{"res", "gamma", "beta"}, "norm", onnxpb.Int("axis", -1)),
				node("Gather", []string{"norm", "i0"}, "cls", onnxpb.Int("axis", 1)),
				node("Flatten", []string{"cls"}, "clsf"),
				node("Gemm", []string{"clsf", "fw"}, "logits", onnxpb.Int("transB", 1)),
			},
			Initializers: []onnxpb.Tensor{weights("wqkv", C, 3*C), weights("gamma", C), weights("beta", C), weights("fw", 4, C)},
			Outputs:      []onnxpb.ValueInfo{{Name: "logits"}},
		}
	case "rows":
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 70, 8}}},
			Nodes: []onnxpb.Node{
				ints("merge", 70, 8),
				node("Reshape", []string{"x", "merge"}, "x2"),
				node("Gemm", []string{"x2", "w", "b"}, "h"),
				ints("s0", 1), ints("e0", 5), ints("ax1", 1), ints("ax0", 0),
				node("Slice", []string{"h", "s0", "e0", "ax1"}, "cols"),
				node("Slice", []string{"h", "s0", "e0", "ax0"}, "rows5"),
				ints("one", 1, -1),
				node("Reshape", []string{"rows5", "one"}, "r1"),
				node("Gemm", []string{"r1", "w2"}, "y2"),
			},
			Initializers: []onnxpb.Tensor{weights("w", 8, 6), weights("b", 6), weights("w2", 24, 3)},
			Outputs:      []onnxpb.ValueInfo{{Name: "cols"}, {Name: "y2"}},
		}
	case "scalar":
		opset = 13
		g = onnxpb.Graph{
			Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 6}}},
			Nodes: []onnxpb.Node{
				node("ReduceMean", []string{"x"}, "mean", onnxpb.Int("keepdims", 0)),
				node("Sub", []string{"x", "mean"}, "y"),
			},
			Outputs: []onnxpb.ValueInfo{{Name: "y"}},
		}
	default:
		t.Fatalf("no batch model %q", kind)
	}
	g.Name = kind
	b, err := (&onnxpb.Model{Opset: opset, Graph: g}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes(kind+".onnx", b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// batchInputs returns n different inputs of m's input shape, values in
// [-1.5, 1.5), and them stacked.
func batchInputs(t testing.TB, m *Model, n int) ([]*tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	items := make([]*tensor.Tensor, n)
	r := uint32(n)
	for i := range items {
		items[i] = tensor.New(m.Inputs[0].Shape...)
		for j := range items[i].F {
			r = r*1103515245 + 12345
			items[i].F[j] = float32(r>>9)/float32(1<<23)*3 - 1.5
		}
	}
	all, err := Stack(items...)
	if err != nil {
		t.Fatal(err)
	}
	return items, all
}

// firstDifference returns "" when a and b hold the same bits, or where
// they first differ.
func firstDifference(a, b *tensor.Tensor) string {
	if !tensor.EqualShape(a.Shape, b.Shape) || a.DType != b.DType {
		return fmt.Sprintf("%s, want %s", a, b)
	}
	for i := range a.F {
		if math.Float32bits(a.F[i]) != math.Float32bits(b.F[i]) {
			return fmt.Sprintf("value %d is %g, want %g", i, a.F[i], b.F[i])
		}
	}
	for i := range a.I {
		if a.I[i] != b.I[i] {
			return fmt.Sprintf("value %d is %d, want %d", i, a.I[i], b.I[i])
		}
	}
	return ""
}

// checkBatch runs the n inputs as a batch, pass items a pass through the
// graph (late items a pass through its late steps, if late > 0), and one
// by one, and wants every output (and the inner tensors named in keep) bit
// for bit the same.
func checkBatch(t *testing.T, m *Model, n, pass, late int, keep ...string) {
	t.Helper()
	ctx := context.Background()
	items, all := batchInputs(t, m, n)
	before := all.Clone()
	in := m.Inputs[0].Name
	got, err := m.runBatch(ctx, n, pass, late, map[string]*tensor.Tensor{in: all}, keep)
	if err != nil {
		t.Fatal(err)
	}
	if d := firstDifference(all, before); d != "" {
		t.Errorf("RunBatch changed its input: %s", d)
	}
	names := append([]string{}, keep...)
	for _, o := range m.Outputs {
		names = append(names, o.Name)
	}
	for i, x := range items {
		want, err := m.Run(ctx, map[string]*tensor.Tensor{in: x}, keep...)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if got[name] == nil {
				t.Fatalf("batch of %d: no %q", n, name)
			}
			if d := firstDifference(Item(got[name], n, i), want[name]); d != "" {
				t.Fatalf("batch of %d, %d a pass, item %d, %q: %s", n, pass, i, name, d)
			}
		}
	}
}

// TestRunBatchSmallModels: batches of 1, 3, 16 and 64 inputs give, bit for
// bit, what each input gives alone, whatever the graph builds in about a
// batch of 1 (see batchModel).
func TestRunBatchSmallModels(t *testing.T) {
	for _, kind := range []string{"cnn", "shapes", "attention", "rows", "scalar"} {
		t.Run(kind, func(t *testing.T) {
			m := batchModel(t, kind)
			if stackable := m.BatchNote() == ""; stackable != (kind != "scalar") {
				t.Errorf("BatchNote %q", m.BatchNote())
			}
			for _, n := range []int{1, 3, 16, 64} {
				checkBatch(t, m, n, m.BatchPass(n), m.LatePass(n))
			}
			if pass := m.BatchPass(64); pass != 64 && kind != "scalar" || pass != 1 && kind == "scalar" {
				t.Errorf("a batch of 64 goes %d a pass", pass)
			}
		})
	}
}

// TestBatchPlan: the steps that run once on the whole batch are those
// whose items cannot mix; the others run item by item. The small models
// pin the choice of each step, and ResNet-18 runs every step but its Gemm
// (one row per input) once on the whole batch.
func TestBatchPlan(t *testing.T) {
	for _, c := range []struct {
		kind string
		want map[string]batchMode
	}{
		{"cnn", map[string]batchMode{"r1": whole, "p1": whole, "c2": whole, "s": whole, "gap": whole, "f": view, "logits": byItem, "prob": whole}},
		{"shapes", map[string]batchMode{"xk": byItem, "flat": view, "y1": byItem, "row1": view, "y2": whole, "y3": view}},
		{"rows", map[string]batchMode{"x2": view, "h": whole, "cols": whole, "rows5": byItem, "r1": view, "y2": byItem}},
		{"attention", map[string]batchMode{"qkv": byItem, "heads": view, "perm": byItem, "q0": byItem, "q": view, "kt": whole, "scores": whole, "ctx": whole,
			"attn": whole, "ctxt": whole, "merged": view, "res": whole, "norm": whole, "cls": whole, "clsf": view, "logits": byItem}},
	} {
		m := batchModel(t, c.kind)
		got := map[string]batchMode{}
		for i, s := range m.steps {
			got[s.outputs[0]] = m.batchModes[i]
		}
		for out, want := range c.want {
			if got[out] != want {
				t.Errorf("%s: the step computing %q runs as %d in a batch, want %d", c.kind, out, got[out], want)
			}
		}
	}
	m := sharedModel(t, "reference", "resnet18")
	for i, s := range m.steps {
		if mode := m.batchModes[i]; (mode == byItem) != (s.opType == "Gemm") {
			t.Errorf("resnet18: node %q (%s) runs as %d in a batch", s.name, s.opType, mode)
		}
	}
}

// TestRunBatchSharedModels: ResNet-18, MobileNetV2 and a ViT in batches of
// 2 and 7, bit for bit their single runs: all stacked in one pass, and as
// many a pass as BatchPass says (1 for the CNNs, whose tensors are
// megabytes an input; several of the ViT's, and 7 = that many + the rest),
// the CNNs' late steps LatePass at a time (MobileNetV2's from its 14x14
// stage on, whose 1x1 convolutions take the channel-major batch product).
func TestRunBatchSharedModels(t *testing.T) {
	for _, name := range []string{"reference/resnet18", "models/mobilenet_v2_1.0_224", "reference/vit_tiny"} {
		t.Run(name, func(t *testing.T) {
			dir, file, _ := strings.Cut(name, "/")
			m := sharedModel(t, dir, file)
			if m.BatchNote() != "" {
				t.Errorf("runs batches item by item: %s", m.BatchNote())
			}
			for _, n := range []int{2, 7} {
				checkBatch(t, m, n, n, 0)
				checkBatch(t, m, n, m.BatchPass(n), m.LatePass(n))
			}
			// The CNNs' last stages go several items a pass (see
			// planLate), their early layers one: tensors kept on both
			// sides of the cut and one that crosses it, and a pass of the
			// late steps that takes fewer items than the others.
			if late := m.LatePass(7); (late > 1) != (file != "vit_tiny") {
				t.Errorf("the late steps take %d items a pass of 7", late)
			} else if late > 1 {
				early, cut, last := m.steps[0].outputs[0], m.steps[m.lateStep].inputs[0], m.steps[m.lateStep].outputs[0]
				checkBatch(t, m, 7, m.BatchPass(7), 3, early, cut, last)
			}
			wide := 0 // late steps over lateItemBytes
			for i := m.lateStep; i < len(m.steps); i++ {
				for _, o := range m.steps[i].outputs {
					b := 4 * int64(tensor.Size(m.shapes[o]))
					if b > lateMobileItemBytes || b > lateItemBytes && !m.mobileStep(m.steps[i]) {
						t.Errorf("late step %q computes %d bytes an item", m.steps[i].name, b)
					}
					if b > lateItemBytes {
						wide++
					}
				}
			}
			// MobileNetV2's 14x14 stage goes late (its 1x1 convolutions
			// compute several images in one product); ResNet-18's layer2
			// (dense 3x3 convolutions, and the Add and Relu after them) does
			// not.
			if (wide > 0) != (file == "mobilenet_v2_1.0_224") {
				t.Errorf("%d late steps over %d bytes an item", wide, lateItemBytes)
			}
			// The late steps read one tensor an item from the early ones:
			// layer2's output for ResNet-18, and for MobileNetV2 the 14x14
			// stage's first block's output (64x14x14), not its input
			// (block 6's 192x28x28 expansion: moveCut).
			cuts := map[string]int64{"resnet18": 4 * 128 * 28 * 28, "mobilenet_v2_1.0_224": 4 * 64 * 14 * 14}
			if want, ok := cuts[file]; ok && m.cutBytes != want {
				t.Errorf("the late steps read %d bytes an item from the early ones, want %d", m.cutBytes, want)
			}
			if pass := m.BatchPass(16); pass < 1 || pass > 1 && int64(pass)*m.largestItem > batchPassBytes {
				t.Errorf("a batch of 16 goes %d a pass, with a largest tensor of %d bytes an input", pass, m.largestItem)
			}
			t.Logf("%s: a batch of 16 goes %d a pass (largest tensor %s an input)", name, m.BatchPass(16), tensor.FormatBytes(m.largestItem))
			// Passes side by side share the cores for ResNet-18 and the
			// ViT, not for MobileNetV2 (see ShareCores).
			all := kernels.Procs()
			done := m.ShareCores(2)
			shared := kernels.Procs()
			done()
			if want := (file != "mobilenet_v2_1.0_224"); all > 1 && (shared < all) != want {
				t.Errorf("two passes at once: %d of %d cores each, want sharing %v (%.0f FLOP a byte of the largest tensor)", shared, all, want, float64(m.FLOPs())/float64(m.largestItem))
			}
		})
	}
}

// TestRunBatchStackedModels: the other shared models, and a quantized
// TFLite MobileNet (NHWC transposed at its input), with 2 inputs stacked
// in one pass through the graph (their own BatchPass is 1), bit for bit
// their single runs: SiLU and squeeze-excitation (EfficientNet), channel
// concatenations (DenseNet, GoogLeNet), a Swin transformer's windows.
// Skipped under the race detector (.ci/test runs it without):
// TestRunBatchSharedModels races the same code.
func TestRunBatchStackedModels(t *testing.T) {
	if raceDetector {
		t.Skip("six models and a TFLite one, stacked and single: run without the race detector (.ci/test does)")
	}
	for _, name := range []string{"vgg_small", "squeezenet1_1", "googlenet", "efficientnet_b0", "densenet121", "swin_tiny"} {
		t.Run(name, func(t *testing.T) { checkBatch(t, sharedModel(t, "reference", name), 2, 2, 0) })
	}
	t.Run("tflite", func(t *testing.T) {
		m, err := Load(sharedPath(t, "models", "tflite", "mobilenet_v2_1.0_224_quant.tflite"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkBatch(t, m, 2, 2, 0)
	})
}

// TestRunBatchFrom: ResNet-18 from its last feature map, with a different
// channel zeroed in each item (Ablation-CAM's runs), from a tensor inside
// the last block with the residual branch given stacked too, and from the
// first stage's output (early and late steps, see planLate), all stacked
// in one pass and as RunBatchFrom splits them.
func TestRunBatchFrom(t *testing.T) {
	ctx := context.Background()
	m := sharedModel(t, "reference", "resnet18")
	input := sharedNpy(t, "reference", "input.npy")
	const feat, mid, branch = "/layer4/layer4.1/relu_1/Relu_output_0", "/layer4/layer4.1/relu/Relu_output_0", "/layer4/layer4.0/relu_1/Relu_output_0"
	const stage1 = "/layer1/layer1.1/relu_1/Relu_output_0"
	full, err := m.Run(ctx, map[string]*tensor.Tensor{"input": input}, feat, mid, branch, stage1)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{feat, mid, stage1} {
		const n = 5
		items := make([]*tensor.Tensor, n)
		branches := make([]*tensor.Tensor, n)
		hw := full[at].Shape[2] * full[at].Shape[3]
		for i := range items {
			items[i] = full[at].Clone()
			clear(items[i].F[(3*i+1)*hw : (3*i+2)*hw])
			branches[i] = full[branch]
		}
		given := map[string]*tensor.Tensor{}
		if given[at], err = Stack(items...); err != nil {
			t.Fatal(err)
		}
		if at == mid {
			if given[branch], err = Stack(branches...); err != nil {
				t.Fatal(err)
			}
		}
		got, err := m.runBatchFrom(ctx, n, n, 0, given, []string{logitsName})
		if err != nil {
			t.Fatal(err)
		}
		split, err := m.RunBatchFrom(ctx, n, given, logitsName)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range items {
			one := map[string]*tensor.Tensor{at: x}
			if at == mid {
				one[branch] = full[branch]
			}
			want, err := m.RunFrom(ctx, one, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			if d := firstDifference(Item(got[logitsName], n, i), want[logitsName]); d != "" {
				t.Errorf("from %s, item %d: %s", at, i, d)
			}
			if d := firstDifference(Item(split[logitsName], n, i), want[logitsName]); d != "" {
				t.Errorf("from %s in passes, item %d: %s", at, i, d)
			}
		}
	}
}

// TestRunBatchErrors: a batch too large for the memory limit, a batch of
// 0, inputs of the wrong shape and a missing input are refused with a
// sentence that says what to do.
func TestRunBatchErrors(t *testing.T) {
	ctx := context.Background()
	m := batchModel(t, "cnn")
	_, all := batchInputs(t, m, 2)
	feed := map[string]*tensor.Tensor{"x": all}
	most := m.MaxBatch()
	if want := int((m.maxMemory-m.WeightBytes)/m.PeakBytes) - 1; most != want || most < 64 {
		t.Fatalf("MaxBatch %d, want %d (at least 64)", most, want)
	}
	big := most + 1
	_, err := m.RunBatch(ctx, big, feed)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), fmt.Sprintf("run at most %d inputs at a time", most)) {
		t.Errorf("batch of %d: %v", big, err)
	}
	for _, c := range []struct {
		n    int
		feed map[string]*tensor.Tensor
		want string
	}{
		{0, feed, "a batch holds at least 1 input, not 0"},
		{3, feed, "a batch of 3 stacks 3 inputs of float32[1x3x12x12] into float32[3x3x12x12]"},
		{2, map[string]*tensor.Tensor{"y": all}, `input "x" is missing`},
		{2, map[string]*tensor.Tensor{"x": nil}, `input "x" is missing`},
	} {
		if _, err := m.RunBatch(ctx, c.n, c.feed); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("batch of %d: %v, want %q", c.n, err, c.want)
		}
	}
	if _, err := Stack(all, nil); err == nil || err.Error() != "stack: tensor 1 is nil" {
		t.Errorf("Stack with a nil tensor: %v", err)
	}
	if _, err := Stack(all, tensor.New(2, 3)); err == nil || !strings.Contains(err.Error(), "stacked tensors need one shape and type") {
		t.Errorf("Stack of two shapes: %v", err)
	}
	if _, err := m.RunBatchFrom(ctx, 2, map[string]*tensor.Tensor{"c2": all}, "logits"); err == nil || !strings.Contains(err.Error(), "a batch of 2 stacks 2 values of float32[1x8x6x6]") {
		t.Errorf("RunBatchFrom with a wrong shape: %v", err)
	}
}
