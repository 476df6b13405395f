package decode

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
)

// onnx-go's decoder reads float, double, int32, int64 and bool tensors, and
// reads bools stored as raw_data wrongly: eight bytes per value where ONNX
// stores one (a one-byte bool constant, as PyTorch exports Swin's masks,
// fails with "Unable to decode data", and eight bools would silently become
// one). readable hands it the file with every bool, int8, uint8, int16 and
// uint16 tensor rewritten as int32_data of type INT32, which it (for
// attributes) and splitInitializers (for weights) read (the
// engine holds all of them as int64), and names the tensor of any other
// type, which neither can read.

// Field numbers of onnx.proto beyond those package onnxpb reads.
const (
	modelGraph = 7

	graphNode        = 1
	graphInitializer = 5

	nodeNameField = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName    = 1
	attrTensor  = 5
	attrGraph   = 6
	attrTensors = 10
	attrGraphs  = 11

	tensorDataType  = 2
	tensorInt32Data = 5
	tensorName      = 8
	tensorRawData   = 9
)

// ONNX's TensorProto.DataType values.
var elemTypeNames = map[uint64]string{
	0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16",
	6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE",
	12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
	17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
	21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
}

const elemInt32 = 6

// smallInts are the integer types (and bool) rewritten as INT32, with the
// bytes each value takes in raw_data and whether it is signed.
var smallInts = map[uint64]struct {
	size   int
	signed bool
}{
	2: {1, false}, 3: {1, true}, 4: {2, false}, 5: {2, true}, 9: {1, false},
}

func elemTypeName(dt uint64) string {
	if s, ok := elemTypeNames[dt]; ok {
		return s
	}
	return fmt.Sprintf("%d", dt)
}

// readable returns the model's bytes as onnx-go's decoder can read them:
// data itself when no tensor needs rewriting.
func readable(data []byte) ([]byte, error) {
	out, err := rewriteFields(data, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != modelGraph || !f.IsBytes() {
			return nil, false, nil
		}
		sub, err := readableGraph(f.Bytes)
		return message(num, sub, err)
	})
	if out == nil {
		return data, err
	}
	return out, err
}

func readableGraph(b []byte) ([]byte, error) {
	return rewriteFields(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if !f.IsBytes() {
			return nil, false, nil
		}
		switch num {
		case graphInitializer:
			sub, err := readableTensor(f.Bytes, "initializer")
			return message(num, sub, err)
		case graphNode:
			sub, err := readableNode(f.Bytes)
			return message(num, sub, err)
		}
		return nil, false, nil
	})
}

func readableNode(b []byte) ([]byte, error) {
	var name, op string
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		switch {
		case num == nodeNameField && f.IsBytes():
			name = string(f.Bytes)
		case num == nodeOpType && f.IsBytes():
			op = string(f.Bytes)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rewriteFields(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != nodeAttribute || !f.IsBytes() {
			return nil, false, nil
		}
		var attr string
		if err := onnxpb.Fields(f.Bytes, func(num protowire.Number, f onnxpb.Field) error {
			if num == attrName && f.IsBytes() {
				attr = string(f.Bytes)
			}
			return nil
		}); err != nil {
			return nil, false, err
		}
		where := fmt.Sprintf("node %q (%s), attribute %q:", name, op, attr)
		sub, err := rewriteFields(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
			if !f.IsBytes() {
				return nil, false, nil
			}
			switch num {
			case attrTensor, attrTensors:
				sub, err := readableTensor(f.Bytes, where+" tensor")
				return message(num, sub, err)
			case attrGraph, attrGraphs:
				sub, err := readableGraph(f.Bytes)
				return message(num, sub, err)
			}
			return nil, false, nil
		})
		return message(num, sub, err)
	})
}

// readableTensor rewrites one TensorProto if onnx-go cannot read it, and
// returns nil when it can; what says where the tensor is, for the error.
func readableTensor(b []byte, what string) ([]byte, error) {
	var dt uint64
	var name string
	var raw []byte
	hasRaw := false
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		switch {
		case num == tensorDataType && f.IsVarint():
			dt = f.Int
		case num == tensorName && f.IsBytes():
			name = string(f.Bytes)
		case num == tensorRawData && f.IsBytes():
			raw, hasRaw = f.Bytes, true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch dt {
	case 1, 6, 7, 11: // float, int32, int64, double
		return nil, nil
	}
	small, ok := smallInts[dt]
	if !ok {
		if name != "" {
			what += fmt.Sprintf(" %q", name)
		}
		return nil, fmt.Errorf("%s has element type %s, which CAMscope cannot read (it reads float, double, bool and integer tensors up to int64)", what, elemTypeName(dt))
	}
	var ints []byte
	if hasRaw {
		if len(raw)%small.size != 0 {
			return nil, fmt.Errorf("%s %q: %d bytes of raw data for %s values of %d bytes", what, name, len(raw), elemTypeName(dt), small.size)
		}
		for i := 0; i < len(raw); i += small.size {
			var v int64
			switch {
			case small.size == 2 && small.signed:
				v = int64(int16(binary.LittleEndian.Uint16(raw[i:])))
			case small.size == 2:
				v = int64(binary.LittleEndian.Uint16(raw[i:]))
			case small.signed:
				v = int64(int8(raw[i]))
			default:
				v = int64(raw[i])
			}
			ints = protowire.AppendVarint(ints, uint64(v))
		}
	}
	return rewriteFields(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		switch num {
		case tensorDataType:
			return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), elemInt32), true, nil
		case tensorRawData:
			return protowire.AppendBytes(protowire.AppendTag(nil, tensorInt32Data, protowire.BytesType), ints), true, nil
		}
		return nil, false, nil
	})
}

// rewriteFields copies the message in b, replacing each field for which fn
// returns ok by the bytes it returns (a whole field, tag included; none
// drops it). It returns nil, allocating nothing, when fn replaces nothing.
func rewriteFields(b []byte, fn func(num protowire.Number, f onnxpb.Field) (field []byte, ok bool, err error)) ([]byte, error) {
	var out []byte
	copied, replaced := 0, false
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		start := len(b) - len(rest)
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		value := rest[n : n+m]
		rest = rest[n+m:]
		f := onnxpb.Field{Type: typ}
		switch typ {
		case protowire.VarintType:
			f.Int, _ = protowire.ConsumeVarint(value)
		case protowire.BytesType:
			f.Bytes, _ = protowire.ConsumeBytes(value)
		}
		field, ok, err := fn(num, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out = append(append(out, b[copied:start]...), field...)
		copied, replaced = start+n+m, true
	}
	if !replaced {
		return nil, nil
	}
	return append(out, b[copied:]...), nil
}

// message returns a length-delimited field holding sub, or ok false when
// sub is nil (nothing in it was replaced).
func message(num protowire.Number, sub []byte, err error) ([]byte, bool, error) {
	if err != nil || sub == nil {
		return nil, false, err
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), sub), true, nil
}
