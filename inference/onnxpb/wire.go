package onnxpb

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx.proto (ONNX 1.x).
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	kvKey   = 1
	kvValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName  = 1
	attrF     = 2
	attrI     = 3
	attrInts  = 8
	attrTypeF = 20

	tensorDims      = 1
	tensorDataType  = 2
	tensorFloatData = 4
	tensorName      = 8
	tensorRawData   = 9
	tensorLocation  = 14 // data_location: 1 is EXTERNAL

	valueName = 1
	valueType = 2

	typeTensor     = 1
	tensorElemType = 1
	tensorShape    = 2
	shapeDim       = 1
	dimValue       = 1
	dimParam       = 2
)

// Field is one field of a protobuf message: Int holds a varint or fixed
// value, Bytes a length-delimited one.
type Field struct {
	Type  protowire.Type
	Int   uint64
	Bytes []byte
}

// IsBytes reports whether the field is length-delimited (a string, bytes,
// an embedded message or a packed run).
func (f Field) IsBytes() bool { return f.Type == protowire.BytesType }

// IsVarint reports whether the field is a varint.
func (f Field) IsVarint() bool { return f.Type == protowire.VarintType }

// Varints calls fn for an unpacked varint or for each value of a packed run.
func (f Field) Varints(fn func(uint64)) error {
	if f.IsVarint() {
		fn(f.Int)
		return nil
	}
	if !f.IsBytes() {
		return fmt.Errorf("repeated integer with wire type %d", f.Type)
	}
	b := f.Bytes
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		fn(v)
		b = b[n:]
	}
	return nil
}

// Fields calls fn for each field of the protobuf message in b, in order,
// and stops at the first error, fn's or the wire format's.
func Fields(b []byte, fn func(num protowire.Number, f Field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		f := Field{Type: typ}
		switch typ {
		case protowire.VarintType:
			f.Int, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.Int = uint64(v)
		case protowire.Fixed64Type:
			f.Int, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.Bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, f); err != nil {
			return err
		}
	}
	return nil
}

// Edit re-encodes the message b field by field; fn may replace a field's
// value (replaced): a length-delimited field's by the bytes repl, a
// varint's by the encoded varint repl, or drop the field (repl nil).
func Edit(b []byte, fn func(protowire.Number, Field) (repl []byte, replaced bool, err error)) ([]byte, error) {
	out := make([]byte, 0, len(b))
	err := Fields(b, func(num protowire.Number, f Field) error {
		repl, replaced, err := fn(num, f)
		if err != nil {
			return err
		}
		if replaced {
			switch {
			case repl == nil:
			case f.IsBytes():
				out = protowire.AppendTag(out, num, f.Type)
				out = protowire.AppendBytes(out, repl)
			default: // a varint, encoded
				out = protowire.AppendTag(out, num, f.Type)
				out = append(out, repl...)
			}
			return nil
		}
		out = protowire.AppendTag(out, num, f.Type)
		switch f.Type {
		case protowire.VarintType:
			out = protowire.AppendVarint(out, f.Int)
		case protowire.Fixed32Type:
			out = protowire.AppendFixed32(out, uint32(f.Int))
		case protowire.Fixed64Type:
			out = protowire.AppendFixed64(out, f.Int)
		default:
			out = protowire.AppendBytes(out, f.Bytes)
		}
		return nil
	})
	return out, err
}
