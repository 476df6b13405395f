package inference

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"camscope/inference/internal/tflitebuild"
	"camscope/inference/onnxpb"
	"camscope/inference/ops"
)

// TestLoadErrors checks that each kind of bad model file gets a clear error
// that says what is wrong, and never a panic.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(sharedPath(t, "models", "mobilenet_v1_0.25_128.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		path string
		opt  Options
		is   error
		says []string
	}{
		"missing file": {path: filepath.Join(dir, "nope.onnx"), says: []string{"does not exist"}},
		"folder":       {path: dir, says: []string{"is a folder"}},
		"empty":        {path: write("empty.onnx", nil), is: ErrNotONNX, says: []string{"empty"}},
		"garbage":      {path: write("garbage.onnx", []byte("\xff\xfe\x00this is not a model at all\x01\x02")), is: ErrNotONNX},
		"text":         {path: write("notes.onnx", []byte("hello, I am a text file\n")), is: ErrNotONNX},
		"truncated":    {path: write("half.onnx", good[:len(good)/2]), is: ErrNotONNX, says: []string{"complete"}},
		"png":          {path: sharedPath(t, "images", "bird.png"), is: ErrNotONNX},
		"too large":    {path: sharedPath(t, "reference", "resnet18.onnx"), opt: Options{MaxMemory: 60 << 20}, is: ErrTooLarge, says: []string{"limit"}},
		"unsupported operator": {
			path: "/usr/share/libonnx-testdata/data/node/test_det_2d/model.onnx",
			is:   ErrUnsupported, says: []string{"Det", `node "y"`}},
		"old opset": {path: "/usr/share/libonnx-testdata/data/node/test_globalaveragepool/model.onnx", is: ErrOpset, says: []string{"opset 1", "7 to 21"}},
		"new opset": {path: write("op22.onnx", reluAtOpset(t, 22)), is: ErrOpset, says: []string{"opset 22, newer", "7 to 21", "opset_version=21"}},
		"far opset": {path: write("op1000.onnx", reluAtOpset(t, 1000)), is: ErrOpset, says: []string{"opset 1000, newer", "7 to 21"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Load(c.path, c.opt)
			if err == nil {
				t.Fatalf("loaded %s without error (%d nodes)", c.path, m.NumNodes())
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// reluAtOpset returns the model x -> Relu -> y declaring the given opset.
func reluAtOpset(t *testing.T, opset int64) []byte {
	t.Helper()
	b, err := (&onnxpb.Model{Opset: opset, Graph: onnxpb.Graph{
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 4}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}},
		Nodes:   []onnxpb.Node{{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzLoad feeds arbitrary bytes to the loader: errors are fine, panics and
// hangs are not (package cam's FuzzDiscoverHead goes on to head discovery).
func FuzzLoad(f *testing.F) {
	for _, p := range []string{
		"/usr/share/libonnx-testdata/data/node/test_relu/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_conv_with_strides_and_asymmetric_padding/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_gemm_default_vector_bias/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_maxpool_2d_ceil/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_reshape_negative_dim/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_constant/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_gather_0/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_softmax_axis_1/model.onnx",
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
			f.Add(b[:len(b)*2/3])
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\x08\x07\x12\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := LoadBytes("fuzz.onnx", data, Options{MaxMemory: 256 << 20}); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}

// FuzzLoadTFLite feeds the loader TFLite files: a small built classifier,
// cuts of it and of a real model's start, and whatever the fuzzer makes of
// them. Every failure must be an error sentence; what loads must carry a
// sane graph.
func FuzzLoadTFLite(f *testing.F) {
	seed := tflitebuild.Example()
	f.Add(seed)
	for _, cut := range []int{8, 16, 64, len(seed) / 3, len(seed) / 2, len(seed) - 200, len(seed) - 1} {
		f.Add(seed[:cut])
	}
	if b, err := os.ReadFile(sharedPath(f, "models", "tflite", "mobilenet_v1_0.25_128_quant.tflite")); err == nil {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small limit keeps each run short: the file's shapes drive the
		// check run at load.
		m, err := LoadBytes("fuzz.tflite", data, Options{MaxMemory: 16 << 20})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
			t.Fatalf("loaded with inputs %v and outputs %v", m.Inputs, m.Outputs)
		}
	})
}

// fuzzOps are the operators FuzzLoadGraph builds models of: every operator
// of the registry but Constant (whose value attributes onnxpb does not
// write), and the comparisons and reductions registered in loops.
var fuzzOps = []string{
	"Abs", "Add", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Celu", "Clip",
	"Concat", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "CumSum", "DepthToSpace", "Div", "Dropout",
	"Elu", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "Gemm", "GlobalAveragePool",
	"GlobalLpPool", "GlobalMaxPool", "Greater", "HardSigmoid", "HardSwish", "Hardmax", "Identity",
	"InstanceNormalization", "LRN", "LayerNormalization", "LeakyRelu", "Less", "Log", "LogSoftmax",
	"LpNormalization", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Not",
	"OneHot", "PRelu", "Pad", "Pow", "Range", "Reciprocal", "ReduceMax", "ReduceMean", "ReduceSum",
	"Relu", "Reshape", "Resize", "Round", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Size",
	"Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum",
	"Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Unsqueeze", "Upsample", "Where",
}

// fuzzAttrs are the integer attributes FuzzLoadGraph sets; the windowed
// ones get one value per spatial axis (pads two).
var fuzzAttrs = []string{"kernel_shape", "strides", "dilations", "pads", "axis", "axes", "group", "ceil_mode",
	"blocksize", "size", "to", "k", "keepdims", "output_padding", "output_shape"}

// graphModel builds the model FuzzLoadGraph loads: input x of rank
// 1+shape%4 (each dimension 1 to 8), one node of the operator picked by op
// reading x and the extra inputs that kind picks (a float initializer
// shaped like convolution weights, small int64 constants from c0 and c1,
// or three scalars for Range), and two attributes of fuzzAttrs set to a0
// and a1 (absurd values welcome).
func graphModel(op, kind uint8, shape uint32, attr0, attr1 uint8, a0, a1 int64, c0, c1 int8) *onnxpb.Model {
	rank := 1 + int(shape%4)
	dims := make([]int64, rank)
	for i := range dims {
		dims[i] = 1 + int64(shape>>(2+3*i))%8
	}
	spatial := max(rank-2, 1)
	g := onnxpb.Graph{Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: dims}}, Outputs: []onnxpb.ValueInfo{{Name: "y"}}}
	constInts := func(name string, v ...int64) {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Constant", Outputs: []string{name}, Attrs: []onnxpb.Attr{onnxpb.Ints("value_ints", v...)}})
	}
	inputs := []string{"x"}
	switch kind % 4 {
	case 1:
		wd := []int64{1 + int64(uint8(c0)%4), dims[min(1, rank-1)]}
		for range spatial {
			wd = append(wd, 1+int64(uint8(c1)%4))
		}
		n := int64(1)
		for _, d := range wd {
			n *= d
		}
		g.Initializers = []onnxpb.Tensor{{Name: "w", Dims: wd, Data: make([]float32, n)}}
		inputs = append(inputs, "w")
	case 2:
		constInts("c", int64(c0), int64(c1))
		inputs = append(inputs, "c")
	case 3:
		constInts("s", int64(c0))
		constInts("l", int64(c1))
		constInts("d", 1)
		inputs = []string{"s", "l", "d"}
	}
	node := onnxpb.Node{OpType: fuzzOps[int(op)%len(fuzzOps)], Inputs: inputs, Outputs: []string{"y"}}
	for _, a := range []struct {
		sel uint8
		v   int64
	}{{attr0, a0}, {attr1, a1}} {
		name := fuzzAttrs[int(a.sel)%len(fuzzAttrs)]
		switch name {
		case "kernel_shape", "strides", "dilations", "output_padding", "output_shape":
			node.Attrs = append(node.Attrs, onnxpb.Ints(name, slices.Repeat([]int64{a.v}, spatial)...))
		case "pads":
			node.Attrs = append(node.Attrs, onnxpb.Ints(name, slices.Repeat([]int64{a.v}, 2*spatial)...))
		case "axes":
			node.Attrs = append(node.Attrs, onnxpb.Ints(name, a.v))
		default:
			node.Attrs = append(node.Attrs, onnxpb.Int(name, a.v))
		}
		if node.Attrs[0].Name == name && len(node.Attrs) == 2 {
			node.Attrs = node.Attrs[:1] // an attribute set twice
		}
	}
	g.Nodes = append(g.Nodes, node)
	return &onnxpb.Model{Graph: g}
}

// FuzzLoadGraph builds small models from structured input (graphModel)
// rather than raw bytes, so that it reaches operators with absurd
// attributes and sizes: errors are fine; panics, hangs and memory beyond
// the limit are not.
func FuzzLoadGraph(f *testing.F) {
	for _, op := range fuzzOps {
		if _, err := ops.Build(&ops.Node{OpType: op, Opset: 13}); errors.Is(err, ops.ErrUnsupported) {
			f.Fatalf("fuzzOps lists %s, which the registry does not", op)
		}
	}
	index := func(list []string, s string) uint8 { return uint8(slices.Index(list, s)) }
	const nchw = 3 | 7<<2 | 0<<5 | 7<<8 | 7<<11 // 8 x 1 x 8 x 8
	f.Add(index(fuzzOps, "Conv"), uint8(1), uint32(nchw), index(fuzzAttrs, "strides"), index(fuzzAttrs, "pads"), int64(1)<<40, int64(0), int8(0), int8(2))
	f.Add(index(fuzzOps, "Conv"), uint8(1), uint32(nchw), index(fuzzAttrs, "strides"), index(fuzzAttrs, "dilations"), int64(1)<<31, int64(1)<<62, int8(0), int8(2))
	f.Add(index(fuzzOps, "Conv"), uint8(1), uint32(nchw), index(fuzzAttrs, "pads"), index(fuzzAttrs, "strides"), int64(1)<<40, int64(1)<<20, int8(0), int8(2))
	f.Add(index(fuzzOps, "MaxPool"), uint8(0), uint32(nchw), index(fuzzAttrs, "kernel_shape"), index(fuzzAttrs, "pads"), int64(1)<<40, int64(1)<<40, int8(0), int8(0))
	f.Add(index(fuzzOps, "AveragePool"), uint8(0), uint32(nchw), index(fuzzAttrs, "kernel_shape"), index(fuzzAttrs, "strides"), int64(2), int64(1)<<40, int8(0), int8(0))
	f.Add(index(fuzzOps, "ConvTranspose"), uint8(1), uint32(nchw), index(fuzzAttrs, "strides"), index(fuzzAttrs, "output_shape"), int64(1)<<62, int64(1)<<40, int8(0), int8(2))
	f.Add(index(fuzzOps, "Range"), uint8(3), uint32(0), index(fuzzAttrs, "axis"), index(fuzzAttrs, "axis"), int64(0), int64(0), int8(-128), int8(127))
	f.Add(index(fuzzOps, "ConstantOfShape"), uint8(2), uint32(0), index(fuzzAttrs, "axis"), index(fuzzAttrs, "axis"), int64(0), int64(0), int8(127), int8(127))
	f.Add(index(fuzzOps, "Tile"), uint8(2), uint32(1|7<<2|7<<5), index(fuzzAttrs, "axis"), index(fuzzAttrs, "axis"), int64(0), int64(0), int8(127), int8(127))
	f.Fuzz(func(t *testing.T, op, kind uint8, shape uint32, attr0, attr1 uint8, a0, a1 int64, c0, c1 int8) {
		b, err := graphModel(op, kind, shape, attr0, attr1, a0, a1, c0, c1).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBytes("fuzz.onnx", b, Options{MaxMemory: 256 << 20}); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
