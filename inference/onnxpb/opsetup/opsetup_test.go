package opsetup_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/onnxpb"
	"camscope/inference/onnxpb/opsetup"
	"camscope/inference/tensor"
)

// small returns an opset-17 model that uses both adapters and an Erf-form
// GELU whose constants are initializers: x [1,4,6] -> ReduceMean over axis
// 2 -> subtracted from x -> Split in two along axis 1 (no sizes given) ->
// the halves multiplied -> GELU -> ReduceMax over every axis kept as y2,
// and the GELU's output as y.
func small(t *testing.T) []byte {
	t.Helper()
	node := func(op string, in []string, out []string, attrs ...onnxpb.Attr) onnxpb.Node {
		return onnxpb.Node{Name: "/" + op + "_" + out[0], OpType: op, Inputs: in, Outputs: out, Attrs: attrs}
	}
	scalar := func(name string, v float32) onnxpb.Tensor { return onnxpb.Tensor{Name: name, Data: []float32{v}} }
	g := onnxpb.Graph{
		Name:   "small",
		Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 4, 6}}},
		Nodes: []onnxpb.Node{
			node("ReduceMean", []string{"x"}, []string{"mean"}, onnxpb.Ints("axes", 2)),
			node("Sub", []string{"x", "mean"}, []string{"c"}),
			node("Split", []string{"c"}, []string{"s1", "s2"}, onnxpb.Int("axis", 1)),
			node("Mul", []string{"s1", "s2"}, []string{"p"}),
			{Name: "/mlp/Div", OpType: "Div", Inputs: []string{"p", "sqrt2"}, Outputs: []string{"d"}},
			{Name: "/mlp/Erf", OpType: "Erf", Inputs: []string{"d"}, Outputs: []string{"e"}},
			{Name: "/mlp/Add", OpType: "Add", Inputs: []string{"one", "e"}, Outputs: []string{"a"}},
			{Name: "/mlp/Mul", OpType: "Mul", Inputs: []string{"a", "p"}, Outputs: []string{"m"}},
			{Name: "/mlp/Mul_1", OpType: "Mul", Inputs: []string{"m", "half"}, Outputs: []string{"y"}},
			node("ReduceMax", []string{"y"}, []string{"y2"}),
		},
		Initializers: []onnxpb.Tensor{scalar("sqrt2", float32(math.Sqrt2)), scalar("one", 1), scalar("half", 0.5)},
		Outputs:      []onnxpb.ValueInfo{{Name: "y"}, {Name: "y2"}},
	}
	b, err := (&onnxpb.Model{Opset: 17, Graph: g}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t *testing.T, b []byte) map[string]*tensor.Tensor {
	t.Helper()
	m, err := inference.LoadBytes("small.onnx", b, inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 4, 6)
	for i := range x.F {
		x.F[i] = float32(math.Sin(float64(i)*1.7)) * 2
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func opTypes(t *testing.T, b []byte) (opset int64, ir int64, ops map[string]int) {
	t.Helper()
	m, err := onnxpb.Unmarshal(b, onnxpb.Structure)
	if err != nil {
		t.Fatal(err)
	}
	ops = map[string]int{}
	for _, n := range m.Graph.Nodes {
		ops[n.OpType]++
	}
	return m.Opset, m.IRVersion, ops
}

// TestUpgradeSmall: the small model at opsets 18 to 21 (and 20, 21 with
// Gelu) declares that opset and the IR version it needs, has the Gelu node
// in place of the five of the Erf form when asked, and gives the opset-17
// model's outputs in the engine, which reads a reduction's axes from the
// attribute before 18 and from the input from 18 on (so an axes attribute
// left in place, or an input not written, would change y's mean).
func TestUpgradeSmall(t *testing.T) {
	b17 := small(t)
	want := run(t, b17)
	for _, c := range []struct {
		to   int
		gelu bool
	}{{18, false}, {19, false}, {20, false}, {21, false}, {20, true}, {21, true}} {
		t.Run(fmt.Sprintf("op%d_gelu_%v", c.to, c.gelu), func(t *testing.T) {
			b, err := opsetup.Upgrade(b17, c.to, opsetup.Options{Gelu: c.gelu})
			if err != nil {
				t.Fatal(err)
			}
			opset, ir, ops := opTypes(t, b)
			wantIR := map[int]int64{18: 8, 19: 9, 20: 9, 21: 10}[c.to]
			if opset != int64(c.to) || ir != wantIR {
				t.Errorf("opset %d, IR version %d; want %d and %d", opset, ir, c.to, wantIR)
			}
			wantGelu := map[bool]int{true: 1}[c.gelu]
			if ops["Gelu"] != wantGelu || ops["Erf"] != 1-wantGelu || ops["Mul"] != 3-2*wantGelu {
				t.Errorf("operators %v", ops)
			}
			m, err := onnxpb.Unmarshal(b, onnxpb.Structure)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range m.Graph.Nodes {
				if n.OpType == "ReduceMean" && (len(n.Inputs) != 2 || n.Inputs[1] != "mean_axes") {
					t.Errorf("ReduceMean reads %v", n.Inputs)
				}
			}
			var inits []string
			for _, in := range m.Graph.Initializers {
				inits = append(inits, in.Name)
			}
			if want := map[bool]string{false: "sqrt2 one half mean_axes", true: "mean_axes"}[c.gelu]; strings.Join(inits, " ") != want {
				t.Errorf("initializers %v, want %s", inits, want)
			}
			got := run(t, b)
			for _, name := range []string{"y", "y2"} {
				for i, w := range want[name].F {
					if d := math.Abs(float64(got[name].F[i] - w)); d > 1e-6*max(1, math.Abs(float64(w))) {
						t.Fatalf("%s[%d] = %g at opset %d, %g at 17", name, i, got[name].F[i], c.to, w)
					}
				}
			}
		})
	}
}

// TestUpgradeSplitOutputs: a Split without sizes gets num_outputs (its
// outputs' count) at 18; one with a split input is left as it is.
func TestUpgradeSplitOutputs(t *testing.T) {
	for _, sizes := range []bool{false, true} {
		g := onnxpb.Graph{
			Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 6}}},
			Outputs: []onnxpb.ValueInfo{{Name: "a"}, {Name: "b"}, {Name: "c"}},
			Nodes:   []onnxpb.Node{{OpType: "Split", Inputs: []string{"x"}, Outputs: []string{"a", "b", "c"}, Attrs: []onnxpb.Attr{onnxpb.Int("axis", 1)}}},
		}
		if sizes {
			g.Nodes = append([]onnxpb.Node{{OpType: "Constant", Outputs: []string{"sizes"}, Attrs: []onnxpb.Attr{onnxpb.Ints("value_ints", 1, 2, 3)}}}, g.Nodes...)
			g.Nodes[1].Inputs = []string{"x", "sizes"}
		}
		b17, err := (&onnxpb.Model{Opset: 17, Graph: g}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b, err := opsetup.Upgrade(b17, 18, opsetup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := onnxpb.Unmarshal(b, onnxpb.Values)
		if err != nil {
			t.Fatal(err)
		}
		split := m.Graph.Nodes[len(m.Graph.Nodes)-1]
		var num []int64
		for _, a := range split.Attrs {
			if a.Name == "num_outputs" {
				num = append(num, a.Int)
			}
		}
		if sizes && len(num) != 0 || !sizes && (len(num) != 1 || num[0] != 3) {
			t.Errorf("with sizes %v: num_outputs %v", sizes, num)
		}
	}
}

// TestUpgradeRefuses: what opsetup does not do is a sentence naming it.
func TestUpgradeRefuses(t *testing.T) {
	model := func(opset int64, op string, attrs ...onnxpb.Attr) []byte {
		b, err := (&onnxpb.Model{Opset: opset, Graph: onnxpb.Graph{
			Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 4, 2, 2}}},
			Outputs: []onnxpb.ValueInfo{{Name: "y"}},
			Nodes:   []onnxpb.Node{{Name: "n", OpType: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs}},
		}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		b    []byte
		to   int
		gelu bool
		says []string
	}{
		{model(17, "GroupNormalization", onnxpb.Int("num_groups", 2)), 21, false, []string{"GroupNormalization", `"n"`, "per channel", "version_converter"}},
		{model(17, "Frobnicate"), 18, false, []string{"Frobnicate", "does not know"}},
		{model(14, "Relu"), 18, false, []string{"opset 14", "17 to 20"}},
		{model(18, "Relu"), 18, false, []string{"opset 18"}},
		{model(17, "Relu"), 22, false, []string{"18 to 21", "not 22"}},
		{model(17, "Relu"), 19, true, []string{"Gelu", "opset 20"}},
		{[]byte("not a model"), 18, false, []string{"not an ONNX model"}},
	} {
		_, err := opsetup.Upgrade(c.b, c.to, opsetup.Options{Gelu: c.gelu})
		if err == nil {
			t.Errorf("%v: upgraded to %d", c.says, c.to)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not say %q", err, s)
			}
		}
	}
	// GroupNormalization up to 20 is only relabelled, as is a Gelu of
	// opset 20 at 21.
	if _, err := opsetup.Upgrade(model(17, "GroupNormalization", onnxpb.Int("num_groups", 2)), 20, opsetup.Options{}); err != nil {
		t.Error(err)
	}
	if _, err := opsetup.Upgrade(model(20, "Gelu"), 21, opsetup.Options{}); err != nil {
		t.Error(err)
	}
}

// TestUpgradeTorchvisionExports: in PyTorch's opset-17 exports of
// inference/cam's tests, every GELU is found (as many Gelu nodes as Erf
// nodes before, and no Erf, Div by sqrt 2 or its constants left), and
// every other node is kept.
func TestUpgradeTorchvisionExports(t *testing.T) {
	for _, name := range []string{"vit", "swin", "convnext"} {
		b17, err := os.ReadFile("../../cam/testdata/transformers/" + name + "_op17.onnx")
		if err != nil {
			t.Fatal(err)
		}
		_, _, before := opTypes(t, b17)
		b, err := opsetup.Upgrade(b17, 21, opsetup.Options{Gelu: true})
		if err != nil {
			t.Fatal(err)
		}
		_, _, after := opTypes(t, b)
		n := before["Erf"]
		if n == 0 || after["Gelu"] != n || after["Erf"] != 0 || after["Div"] != before["Div"]-n ||
			after["Mul"] != before["Mul"]-2*n || after["Add"] != before["Add"]-n || after["Constant"] != before["Constant"]-3*n {
			t.Errorf("%s: operators %v, from %v", name, after, before)
		}
	}
}
