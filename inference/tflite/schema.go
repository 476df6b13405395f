package tflite

import (
	"fmt"

	flatbuffers "github.com/google/flatbuffers/go"
)

// The tables of TensorFlow's tensorflow/lite/schema/schema.fbs that the
// reader needs, as accessors on flatbuffers.Table. A field's vtable slot is
// 4 + 2*index, the index being its place in the schema's table (a union
// takes two: its type, then its value). Every vector is checked against the
// file's size before it is read, so a damaged length cannot make the reader
// allocate or read past the file; what the checks do not cover (a vtable or
// offset pointing outside the file) panics inside the flatbuffers runtime
// and Read turns it into an error.

// malformed is the panic value of a failed check; Read recovers it.
type malformed struct{ msg string }

func fail(format string, a ...any) {
	panic(malformed{fmt.Sprintf(format, a...)})
}

// table is one FlatBuffers table of the file.
type table struct{ flatbuffers.Table }

func slot(i int) flatbuffers.VOffsetT { return flatbuffers.VOffsetT(4 + 2*i) }

// field is the position of field i's value, or 0 when it is absent.
func (t table) field(i int) flatbuffers.UOffsetT {
	return flatbuffers.UOffsetT(t.Offset(slot(i)))
}

func (t table) int8(i int, def int8) int8       { return t.GetInt8Slot(slot(i), def) }
func (t table) int32(i int, def int32) int32    { return t.GetInt32Slot(slot(i), def) }
func (t table) uint32(i int, def uint32) uint32 { return t.GetUint32Slot(slot(i), def) }
func (t table) uint64(i int) uint64             { return t.GetUint64Slot(slot(i), 0) }
func (t table) float32(i int, def float32) float32 {
	return t.GetFloat32Slot(slot(i), def)
}
func (t table) bool(i int) bool { return t.GetBoolSlot(slot(i), false) }

// vector returns the start and length of vector field i whose elements
// take size bytes each, after checking that it lies inside the file.
func (t table) vector(i, size int) (flatbuffers.UOffsetT, int) {
	o := t.field(i)
	if o == 0 {
		return 0, 0
	}
	n := t.VectorLen(o)
	start := t.Vector(o)
	if n < 0 || uint64(start)+uint64(n)*uint64(size) > uint64(len(t.Bytes)) {
		fail("a list of %d entries runs past the end of the file", n)
	}
	return start, n
}

// bytes returns byte-vector field i, a slice of the file (not a copy).
func (t table) bytes(i int) []byte {
	start, n := t.vector(i, 1)
	if n == 0 {
		return nil
	}
	return t.Bytes[start : int(start)+n]
}

func (t table) string(i int) string { return string(t.bytes(i)) }

func (t table) ints(i int) []int32 {
	start, n := t.vector(i, 4)
	out := make([]int32, n)
	for j := range out {
		out[j] = t.GetInt32(start + flatbuffers.UOffsetT(4*j))
	}
	return out
}

func (t table) int64s(i int) []int64 {
	start, n := t.vector(i, 8)
	out := make([]int64, n)
	for j := range out {
		out[j] = t.GetInt64(start + flatbuffers.UOffsetT(8*j))
	}
	return out
}

func (t table) floats(i int) []float32 {
	start, n := t.vector(i, 4)
	out := make([]float32, n)
	for j := range out {
		out[j] = t.GetFloat32(start + flatbuffers.UOffsetT(4*j))
	}
	return out
}

// tables returns vector-of-tables field i.
func (t table) tables(i int) []table {
	start, n := t.vector(i, 4)
	out := make([]table, n)
	for j := range out {
		at := start + flatbuffers.UOffsetT(4*j)
		out[j] = table{flatbuffers.Table{Bytes: t.Bytes, Pos: t.Indirect(at)}}
	}
	return out
}

// sub returns table field i, and whether it is present.
func (t table) sub(i int) (table, bool) {
	o := t.field(i)
	if o == 0 {
		return table{}, false
	}
	return table{flatbuffers.Table{Bytes: t.Bytes, Pos: t.Indirect(t.Pos + o)}}, true
}

// Model (schema: version, operator_codes, subgraphs, description, buffers,
// metadata_buffer, metadata, signature_defs).
type model struct{ table }

func rootModel(data []byte) model {
	return model{table{flatbuffers.Table{Bytes: data, Pos: flatbuffers.GetUOffsetT(data)}}}
}

func (m model) version() uint32 { return m.uint32(0, 0) }
func (m model) operatorCodes() []operatorCode {
	return each(m.tables(1), func(t table) operatorCode { return operatorCode{t} })
}
func (m model) subgraphs() []subGraph {
	return each(m.tables(2), func(t table) subGraph { return subGraph{t} })
}
func (m model) description() string { return m.string(3) }
func (m model) buffers() []buffer {
	return each(m.tables(4), func(t table) buffer { return buffer{t} })
}
func (m model) metadata() []metadata {
	return each(m.tables(6), func(t table) metadata { return metadata{t} })
}

func each[T any](ts []table, wrap func(table) T) []T {
	out := make([]T, len(ts))
	for i, t := range ts {
		out[i] = wrap(t)
	}
	return out
}

// OperatorCode (deprecated_builtin_code: byte, custom_code, version,
// builtin_code: int32).
type operatorCode struct{ table }

// builtin is the operator's code: the larger of the two fields, as TFLite
// reads it (old files fill only the byte, new ones both or only the int).
func (c operatorCode) builtin() int32 {
	return max(int32(c.int8(0, 0)), c.int32(3, 0))
}
func (c operatorCode) customCode() string { return c.string(1) }

// SubGraph (tensors, inputs, outputs, operators, name).
type subGraph struct{ table }

func (s subGraph) tensors() []tensorDef {
	return each(s.tables(0), func(t table) tensorDef { return tensorDef{t} })
}
func (s subGraph) inputs() []int32  { return s.ints(1) }
func (s subGraph) outputs() []int32 { return s.ints(2) }
func (s subGraph) operators() []operator {
	return each(s.tables(3), func(t table) operator { return operator{t} })
}
func (s subGraph) name() string { return s.string(4) }

// Tensor (shape, type, buffer, name, quantization, is_variable, sparsity,
// shape_signature).
type tensorDef struct{ table }

func (t tensorDef) shape() []int32 { return t.ints(0) }
func (t tensorDef) typ() int8      { return t.int8(1, 0) }
func (t tensorDef) buffer() uint32 { return t.uint32(2, 0) }
func (t tensorDef) name() string   { return t.string(3) }
func (t tensorDef) quantization() (quantization, bool) {
	q, ok := t.sub(4)
	return quantization{q}, ok
}
func (t tensorDef) sparse() bool { return t.field(6) != 0 }

// QuantizationParameters (min, max, scale, zero_point, details (a union:
// two slots), quantized_dimension).
type quantization struct{ table }

func (q quantization) scale() []float32        { return q.floats(2) }
func (q quantization) zeroPoint() []int64      { return q.int64s(3) }
func (q quantization) hasDetails() bool        { return q.field(4) != 0 && q.GetByteSlot(slot(4), 0) != 0 }
func (q quantization) quantizedDimension() int { return int(q.int32(6, 0)) }

// Buffer (data, offset, size: data kept outside the FlatBuffer in files
// over 2 GB).
type buffer struct{ table }

func (b buffer) data() []byte   { return b.bytes(0) }
func (b buffer) offset() uint64 { return b.uint64(1) }
func (b buffer) size() uint64   { return b.uint64(2) }

// Operator (opcode_index, inputs, outputs, builtin_options_type,
// builtin_options, custom_options, ...).
type operator struct{ table }

func (o operator) opcodeIndex() uint32 { return o.uint32(0, 0) }
func (o operator) inputs() []int32     { return o.ints(1) }
func (o operator) outputs() []int32    { return o.ints(2) }
func (o operator) optionsType() uint8  { return o.GetUint8Slot(slot(3), 0) }

// options returns the builtin options table when its union type is want
// (the BuiltinOptions index of the table the operator takes); an absent
// table reads as one whose fields all have their defaults.
func (o operator) options(want uint8, opName string) table {
	t, ok := o.sub(4)
	if !ok {
		return table{flatbuffers.Table{Bytes: emptyTable, Pos: 8}}
	}
	if got := o.optionsType(); got != want {
		fail("operator %s carries options of type %d where %d was expected", opName, got, want)
	}
	return t
}

// emptyTable is a table with no fields: root offset, then a vtable of 4
// bytes, then the table pointing back to it.
var emptyTable = []byte{0, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0}

// Metadata (name, buffer).
type metadata struct{ table }

func (m metadata) name() string   { return m.string(0) }
func (m metadata) buffer() uint32 { return m.uint32(1, 0) }

// BuiltinOptions union indices of the options tables read here.
const (
	optConv2D        = 1
	optDepthwiseConv = 2
	optPool2D        = 5
	optFullyConn     = 8
	optSoftmax       = 9
	optConcat        = 10
	optAdd           = 11
	optMul           = 21
	optReducer       = 27
	optSub           = 28
)
