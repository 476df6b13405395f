// Package onnxwrite encodes the subset of ONNX that CAMscope's own models
// need (float32 tensors, plain nodes with int, ints and float attributes,
// metadata) as a ModelProto, and reads that subset back. It speaks the
// protobuf wire format directly through protowire, so it depends on no
// generated ONNX code.
package onnxwrite

import "errors"

// Defaults written when the Model leaves them zero.
const (
	DefaultIRVersion = 8  // ONNX 1.10 and later; opset 13 needs at least 7
	DefaultOpset     = 13 // default domain ("ai.onnx")
)

// ErrFormat marks bytes that are not a model this package can read.
var ErrFormat = errors.New("onnxwrite: malformed or unsupported model")

// Model is an ONNX model with one graph over the default domain.
type Model struct {
	IRVersion       int64 // DefaultIRVersion if zero
	Opset           int64 // DefaultOpset if zero
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
	// Metadata becomes metadata_props, in this order.
	Metadata []KeyValue
}

// KeyValue is one metadata_props entry.
type KeyValue struct{ Key, Value string }

// Meta returns the metadata value for key and whether it is present.
func (m *Model) Meta(key string) (string, bool) {
	for _, kv := range m.Metadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Graph is a computation graph: nodes in topological order, constant
// weights, and typed inputs and outputs.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Initializer returns the initializer called name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for i := range g.Initializers {
		if g.Initializers[i].Name == name {
			return &g.Initializers[i]
		}
	}
	return nil
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attr {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
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
}

// ValueInfo is a float32 graph input or output. A negative dimension is
// written as the symbolic dimension Params[i] (e.g. a batch "N").
type ValueInfo struct {
	Name   string
	Dims   []int64
	Params []string // optional, per dimension; used where Dims[i] < 0
}
