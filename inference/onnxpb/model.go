// Package onnxpb reads and writes ONNX files: the ModelProto of onnx.proto
// in the protobuf wire format, walked with protowire, so it depends on no
// generated ONNX code. It knows the subset of ONNX that CAMscope needs:
// the whole structure of a model (opsets, metadata, nodes, inputs, outputs
// and shapes, which the engine's loader reads from any ONNX file), and the
// values that CAMscope's own models hold (float32 tensors, int, ints and
// float attributes), which it writes and reads back.
package onnxpb

// Defaults written when the Model leaves them zero.
const (
	DefaultIRVersion = 8  // ONNX 1.10 and later; opset 13 needs at least 7
	DefaultOpset     = 13 // default domain ("ai.onnx")
)

// ElemFloat is ONNX's element type of float32 tensors
// (TensorProto.DataType FLOAT).
const ElemFloat = 1

// Model is an ONNX model with one graph.
type Model struct {
	IRVersion       int64 // DefaultIRVersion if zero
	Opset           int64 // of the default domain; DefaultOpset if zero, and 0 when read from a file that imports none
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
	// Metadata becomes metadata_props, in this order.
	Metadata []KeyValue
}

// KeyValue is one metadata_props entry.
type KeyValue struct{ Key, Value string }

// Graph is a computation graph: nodes in topological order, constant
// weights, and typed inputs and outputs.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	ValueInfo    []ValueInfo // shapes of inner tensors, as some exporters record them
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Domain  string // "" (or "ai.onnx") for the standard operators
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// AttrType is ONNX's AttributeProto.AttributeType, for the kinds written.
type AttrType int32

const (
	AttrFloat AttrType = 1
	AttrInt   AttrType = 2
	AttrInts  AttrType = 7
)

// Attr is a node attribute; Type says which value field is meant.
type Attr struct {
	Name  string
	Type  AttrType
	Float float32
	Int   int64
	Ints  []int64
}

// Int returns an int attribute.
func Int(name string, v int64) Attr { return Attr{Name: name, Type: AttrInt, Int: v} }

// Ints returns an ints attribute.
func Ints(name string, v ...int64) Attr { return Attr{Name: name, Type: AttrInts, Ints: v} }

// Float returns a float attribute.
func Float(name string, v float32) Attr { return Attr{Name: name, Type: AttrFloat, Float: v} }

// Tensor is a float32 initializer, stored as little-endian raw_data.
type Tensor struct {
	Name string
	Dims []int64
	Data []float32
	// External is read (never written): the file says the values are in
	// a separate file (data_location EXTERNAL).
	External bool
}

// ValueInfo is a graph input or output, or an inner tensor's shape. A
// negative dimension is symbolic: written as Params[i] (e.g. a batch "N"),
// and read as -1 with its name, if any, in Params[i].
type ValueInfo struct {
	Name     string
	ElemType int32 // TensorProto.DataType; 0 is written as ElemFloat
	Dims     []int64
	Params   []string // optional, per dimension; used where Dims[i] < 0
}
