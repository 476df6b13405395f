package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// Marshal encodes the model as ONNX protobuf bytes. Repeated integers are
// written unpacked, as onnx.proto (proto2) declares them; every protobuf
// reader accepts that form.
func (m *Model) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	ir, opset := m.IRVersion, m.Opset
	if ir == 0 {
		ir = DefaultIRVersion
	}
	if opset == 0 {
		opset = DefaultOpset
	}
	var b []byte
	b = appendVarintField(b, modelIRVersion, uint64(ir))
	b = appendStringField(b, modelProducerName, m.ProducerName)
	b = appendStringField(b, modelProducerVersion, m.ProducerVersion)
	b = appendStringField(b, modelDocString, m.DocString)
	b = appendMessage(b, modelGraph, m.Graph.marshal())
	var op []byte
	op = protowire.AppendTag(op, opsetDomain, protowire.BytesType)
	op = protowire.AppendString(op, "")
	op = appendVarintField(op, opsetVersion, uint64(opset))
	b = appendMessage(b, modelOpsetImport, op)
	for _, kv := range m.Metadata {
		var e []byte
		e = protowire.AppendTag(e, kvKey, protowire.BytesType)
		e = protowire.AppendString(e, kv.Key)
		e = protowire.AppendTag(e, kvValue, protowire.BytesType)
		e = protowire.AppendString(e, kv.Value)
		b = appendMessage(b, modelMetadataProps, e)
	}
	return b, nil
}

// check catches programmer errors that would produce a file no reader
// accepts: unnamed values, initializers whose data does not fill their dims.
func (m *Model) check() error {
	g := &m.Graph
	for _, t := range g.Initializers {
		n := int64(1)
		for _, d := range t.Dims {
			n *= d
		}
		if t.Name == "" || n != int64(len(t.Data)) {
			return fmt.Errorf("onnxpb: initializer %q: dims %v hold %d values, data has %d", t.Name, t.Dims, n, len(t.Data))
		}
	}
	for _, n := range g.Nodes {
		if n.OpType == "" || len(n.Outputs) == 0 {
			return fmt.Errorf("onnxpb: node %q needs an op type and an output", n.Name)
		}
	}
	for _, v := range slices.Concat(g.Inputs, g.Outputs, g.ValueInfo) {
		if v.Name == "" {
			return fmt.Errorf("onnxpb: graph input, output or value info without a name")
		}
	}
	return nil
}

func (g *Graph) marshal() []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMessage(b, graphNode, n.marshal())
	}
	b = appendStringField(b, graphName, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, graphInitializer, t.marshal())
	}
	for _, v := range g.Inputs {
		b = appendMessage(b, graphInput, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, graphOutput, v.marshal())
	}
	for _, v := range g.ValueInfo {
		b = appendMessage(b, graphValueInfo, v.marshal())
	}
	return b
}

func (n *Node) marshal() []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, nodeInput, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, nodeOutput, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendStringField(b, nodeName, n.Name)
	b = appendStringField(b, nodeOpType, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessage(b, nodeAttribute, a.marshal())
	}
	b = appendStringField(b, nodeDomain, n.Domain)
	return b
}

func (a *Attr) marshal() []byte {
	var b []byte
	b = protowire.AppendTag(b, attrName, protowire.BytesType)
	b = protowire.AppendString(b, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.Float))
	case AttrInt:
		b = appendVarintField(b, attrI, uint64(a.Int))
	case AttrInts:
		for _, v := range a.Ints {
			b = protowire.AppendTag(b, attrInts, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(v))
		}
	default:
		panic(fmt.Sprintf("onnxpb: attribute %q has unsupported type %d", a.Name, a.Type))
	}
	b = protowire.AppendTag(b, attrTypeF, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Type))
	return b
}

func (t *Tensor) marshal() []byte {
	var b []byte
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, ElemFloat)
	b = protowire.AppendTag(b, tensorName, protowire.BytesType)
	b = protowire.AppendString(b, t.Name)
	raw := make([]byte, 4*len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	return b
}

func (v *ValueInfo) marshal() []byte {
	var shape []byte
	for i, d := range v.Dims {
		var dim []byte
		if d >= 0 {
			dim = appendVarintField(nil, dimValue, uint64(d))
		} else {
			p := "N"
			if i < len(v.Params) && v.Params[i] != "" {
				p = v.Params[i]
			}
			dim = protowire.AppendTag(dim, dimParam, protowire.BytesType)
			dim = protowire.AppendString(dim, p)
		}
		shape = appendMessage(shape, shapeDim, dim)
	}
	elem := v.ElemType
	if elem == 0 {
		elem = ElemFloat
	}
	var tt []byte
	tt = appendVarintField(tt, tensorElemType, uint64(elem))
	tt = appendMessage(tt, tensorShape, shape)
	var typ []byte
	typ = appendMessage(typ, typeTensor, tt)
	var b []byte
	b = protowire.AppendTag(b, valueName, protowire.BytesType)
	b = protowire.AppendString(b, v.Name)
	b = appendMessage(b, valueType, typ)
	return b
}

// appendMessage writes an embedded message, even an empty one: an empty
// TensorShapeProto (a scalar) differs from an absent shape.
func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// appendStringField omits empty strings, as proto2 writers do for unset
// optional fields.
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}
