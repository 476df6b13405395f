package onnxpb

import (
	"reflect"
	"testing"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/simple"
	"google.golang.org/protobuf/encoding/protowire"
)

func sample() *Model {
	return &Model{
		ProducerName:    "camscope-test",
		ProducerVersion: "0.1",
		DocString:       "tiny",
		Graph: Graph{
			Name: "g",
			Nodes: []Node{
				{Name: "conv", OpType: "Conv", Inputs: []string{"input", "w", "b"}, Outputs: []string{"c"},
					Attrs: []Attr{Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("group", 1)}},
				{Name: "relu", OpType: "Relu", Domain: "ai.onnx", Inputs: []string{"c"}, Outputs: []string{"r"}},
				{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"r"}, Outputs: []string{"p"}},
				{Name: "flat", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}, Attrs: []Attr{Int("axis", 1)}},
				{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fw", "fb"}, Outputs: []string{"logits"},
					Attrs: []Attr{Float("alpha", 1), Float("beta", 1), Int("transB", 1)}},
			},
			Initializers: []Tensor{
				{Name: "w", Dims: []int64{2, 1, 3, 3}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9.5}},
				{Name: "b", Dims: []int64{2}, Data: []float32{0.25, -0.5}},
				{Name: "fw", Dims: []int64{3, 2}, Data: []float32{1, 0, 0, 1, 0.5, 0.5}},
				{Name: "fb", Dims: []int64{3}, Data: []float32{0, 0, 1e-7}},
			},
			Inputs:    []ValueInfo{{Name: "input", Dims: []int64{1, 1, 4, 4}, Params: []string{"", "", "", ""}}},
			Outputs:   []ValueInfo{{Name: "logits", Dims: []int64{-1, 3}, Params: []string{"N", ""}}},
			ValueInfo: []ValueInfo{{Name: "p", ElemType: ElemFloat, Dims: []int64{1, 2, 1, 1}, Params: []string{"", "", "", ""}}},
		},
		Metadata: []KeyValue{{"labels", "a\nb\nc"}, {"camscope.preprocess", `{"width":4}`}},
	}
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b, Values)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	want.IRVersion, want.Opset = DefaultIRVersion, DefaultOpset
	want.Graph.Inputs[0].ElemType, want.Graph.Outputs[0].ElemType = ElemFloat, ElemFloat
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}

	// The structure: the same without attributes and tensor values.
	got, err = Unmarshal(b, Structure)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Graph.Nodes {
		want.Graph.Nodes[i].Attrs = nil
	}
	for i, w := range want.Graph.Initializers {
		want.Graph.Initializers[i] = Tensor{Name: w.Name}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("structure:\n got %+v\nwant %+v", got, want)
	}
}

// TestDecodesWithOnnxGo checks the bytes with a third-party decoder built on
// generated protobuf code: onnx-go must read the graph and the weights.
func TestDecodesWithOnnxGo(t *testing.T) {
	b, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	backend := simple.NewSimpleGraph()
	model := onnx.NewModel(backend)
	if err := model.UnmarshalBinary(b); err != nil {
		t.Fatalf("onnx-go cannot decode the model: %v", err)
	}
	names := map[string]bool{}
	nodes := backend.Nodes()
	for nodes.Next() {
		names[nodes.Node().(*simple.Node).GetName()] = true
	}
	for _, want := range []string{"input", "w", "b", "fw", "fb", "c", "r", "p", "f", "logits"} {
		if !names[want] {
			t.Errorf("onnx-go graph has no node %q (has %v)", want, names)
		}
	}
}

func TestPackedAndFloatData(t *testing.T) {
	// A tensor as other writers emit it: packed dims and float_data.
	var tb []byte
	tb = protowire.AppendTag(tb, tensorDims, protowire.BytesType)
	tb = protowire.AppendBytes(tb, protowire.AppendVarint(protowire.AppendVarint(nil, 1), 2))
	tb = protowire.AppendTag(tb, tensorDataType, protowire.VarintType)
	tb = protowire.AppendVarint(tb, ElemFloat)
	tb = protowire.AppendTag(tb, tensorName, protowire.BytesType)
	tb = protowire.AppendString(tb, "x")
	tb = protowire.AppendTag(tb, tensorFloatData, protowire.BytesType)
	tb = protowire.AppendBytes(tb, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})
	var t2 Tensor
	if err := (decoder{values: true}).tensor(&t2, tb); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(t2, Tensor{Name: "x", Dims: []int64{1, 2}, Data: []float32{1, 2}}) {
		t.Errorf("got %+v", t2)
	}
}

func TestErrors(t *testing.T) {
	bad := sample()
	bad.Graph.Initializers[0].Data = bad.Graph.Initializers[0].Data[:3]
	if _, err := bad.Marshal(); err == nil {
		t.Error("Marshal accepted an initializer whose data does not fill its dims")
	}
	b, _ := sample().Marshal()
	for _, part := range []Part{Structure, Values} {
		if _, err := Unmarshal(b[:len(b)/2], part); err == nil {
			t.Errorf("part %d of a truncated model read without error", part)
		}
	}
	if _, err := Unmarshal(nil, Structure); err == nil || err.Error() != "it has no graph" {
		t.Errorf("empty model: error %v, want \"it has no graph\"", err)
	}
}
