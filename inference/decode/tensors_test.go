package decode

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// rawTensor encodes a TensorProto with raw_data.
func rawTensor(name string, dataType uint64, dims []int64, raw []byte) []byte {
	var b []byte
	for _, d := range dims {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(d)) // dims
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, tensorDataType, protowire.VarintType), dataType)
	if name != "" {
		b = protowire.AppendString(protowire.AppendTag(b, tensorName, protowire.BytesType), name)
	}
	return protowire.AppendBytes(protowire.AppendTag(b, tensorRawData, protowire.BytesType), raw)
}

// constantNode encodes a Constant node whose value is the tensor t.
func constantNode(out string, t []byte) []byte {
	attr := protowire.AppendString(protowire.AppendTag(nil, attrName, protowire.BytesType), "value")
	attr = protowire.AppendBytes(protowire.AppendTag(attr, attrTensor, protowire.BytesType), t)
	attr = protowire.AppendVarint(protowire.AppendTag(attr, 20, protowire.VarintType), 4) // type TENSOR
	var b []byte
	b = protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), out) // output
	b = protowire.AppendString(protowire.AppendTag(b, nodeNameField, protowire.BytesType), out)
	b = protowire.AppendString(protowire.AppendTag(b, nodeOpType, protowire.BytesType), "Constant")
	return protowire.AppendBytes(protowire.AppendTag(b, nodeAttribute, protowire.BytesType), attr)
}

// withGraphFields returns the model x -> Relu -> y (opset 17) with the
// given graph fields (nodes, initializers) added.
func withGraphFields(t *testing.T, fields ...[]byte) []byte {
	t.Helper()
	m := &onnxpb.Model{Opset: 17, Graph: onnxpb.Graph{
		Name:    "g",
		Nodes:   []onnxpb.Node{relu("x", "y")},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 2}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y", Dims: []int64{1, 2}}},
	}}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := rewriteFields(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != modelGraph {
			return nil, false, nil
		}
		g := slices.Clone(f.Bytes)
		for _, x := range fields {
			g = append(g, x...)
		}
		return message(num, g, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func field(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b)
}

// TestSmallIntegerTensors checks the tensors onnx-go's decoder cannot read
// itself: bools stored one byte each (a one-byte bool constant made it fail
// with "Unable to decode data", eight bools became one), and 8- and 16-bit
// integers, as initializers and as a Constant's value.
func TestSmallIntegerTensors(t *testing.T) {
	data := withGraphFields(t,
		field(graphNode, constantNode("one", rawTensor("", 9, nil, []byte{1}))),
		field(graphNode, constantNode("mask", rawTensor("", 9, []int64{9}, []byte{1, 0, 1, 1, 0, 0, 0, 1, 1}))),
		field(graphInitializer, rawTensor("u8", 2, []int64{2}, []byte{200, 7})),
		field(graphInitializer, rawTensor("i8", 3, []int64{2}, []byte{0xff, 5})),
		field(graphInitializer, rawTensor("i16", 5, []int64{1}, []byte{0x00, 0x80})),
		field(graphInitializer, rawTensor("u16", 4, []int64{1}, []byte{0x00, 0x80})),
	)
	g, err := Read(data, Options{MaxMemory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int64{"u8": {200, 7}, "i8": {-1, 5}, "i16": {-32768}, "u16": {32768}}
	for name, w := range want {
		c := g.Consts[name]
		if c == nil || c.DType != tensor.Int64 || !slices.Equal(c.I, w) {
			t.Errorf("initializer %s = %v, want int64 %v", name, c, w)
		}
	}
	consts := map[string][]int64{"one": {1}, "mask": {1, 0, 1, 1, 0, 0, 0, 1, 1}}
	for _, n := range g.Nodes {
		w, ok := consts[n.Name]
		if !ok {
			continue
		}
		v, _ := n.Attrs["value"].(*tensor.Tensor)
		if v == nil || v.DType != tensor.Int64 || !slices.Equal(v.I, w) {
			t.Errorf("Constant %s = %v, want %v", n.Name, v, w)
		}
		delete(consts, n.Name)
	}
	if len(consts) > 0 {
		t.Errorf("constants %v not decoded", consts)
	}
}

// TestUnreadableTensorsSayWhat checks that a tensor of a type CAMscope
// cannot read is named, with its node and attribute, and its type.
func TestUnreadableTensorsSayWhat(t *testing.T) {
	cases := map[string]struct {
		field []byte
		says  string
	}{
		"float16 initializer": {field(graphInitializer, rawTensor("h", 10, []int64{1}, []byte{0, 0x3c})), `initializer "h" has element type FLOAT16, which CAMscope cannot read`},
		"string constant":     {field(graphNode, constantNode("s", rawTensor("", 8, nil, nil))), `node "s" (Constant), attribute "value": tensor has element type STRING`},
		"odd int16 bytes":     {field(graphInitializer, rawTensor("w", 5, []int64{2}, []byte{1, 2, 3})), `initializer "w": 3 bytes of raw data for INT16 values of 2 bytes`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(withGraphFields(t, c.field), Options{MaxMemory: 1 << 20})
			if err == nil || !strings.Contains(err.Error(), c.says) || errors.Is(err, ErrNotONNX) {
				t.Errorf("error %v, want one saying %q (and not ErrNotONNX)", err, c.says)
			}
		})
	}
}
