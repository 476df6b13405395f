// Package ops implements the ONNX operators the engine runs. An operator is
// built once per graph node, from its attributes, the opset in force and the
// inputs that are constant (initializers), so that weights can be prepared
// ahead; Run then maps input tensors to output tensors and never modifies
// its inputs or itself, so one built graph can serve concurrent runs.
package ops

import (
	"errors"
	"fmt"
	"sort"

	"camscope/inference/tensor"
)

// Attrs are a node's attributes. Values are int64, float32, string, []int64,
// []float32, []string or *tensor.Tensor.
type Attrs map[string]any

// Op is a built operator.
type Op interface {
	// Run computes the outputs. A missing optional input is nil.
	Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// Node is what a builder gets to know about a graph node.
type Node struct {
	OpType string
	Opset  int // the default-domain opset the model imports
	Attrs  Attrs
	// Consts has one entry per input: the value when the input is an
	// initializer or otherwise known at load time, else nil.
	Consts []*tensor.Tensor
	// NumOutputs is how many outputs the node declares.
	NumOutputs int
}

// Builder builds an operator for a node.
type Builder func(n *Node) (Op, error)

// traits are what an operator's registration declares about it.
type traits uint8

const (
	// noGradient: the built operator has no VJP (its results are integers
	// or shapes, or piecewise constant, or Grad-CAM does not go back
	// through it).
	noGradient traits = 0
	// differentiable: the built operator implements Differentiable, and
	// TestVJPFiniteDifferences has a case for it.
	differentiable traits = 1 << iota
	// noConformanceData: ONNX's node test data has no case for the
	// operator that the engine can run (the engine's own operators).
	noConformanceData
)

type registration struct {
	build  Builder
	traits traits
}

var registry = map[string]registration{}

// register is called from init functions in this package.
func register(opType string, b Builder, t traits) {
	if _, dup := registry[opType]; dup {
		panic("ops: operator registered twice: " + opType)
	}
	registry[opType] = registration{b, t}
}

// ErrUnsupported is wrapped by Build's error for an operator this engine
// does not implement.
var ErrUnsupported = errors.New("unsupported operator")

// Build returns the operator for n.
func Build(n *Node) (Op, error) {
	r, ok := registry[n.OpType]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnsupported, n.OpType)
	}
	return r.build(n)
}

// Supported lists the operator types Build accepts, sorted.
func Supported() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Int returns integer attribute name, or def when it is absent.
func (a Attrs) Int(name string, def int64) (int64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	i, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("attribute %s: want an integer, got %T", name, v)
	}
	return i, nil
}

// Float returns float attribute name, or def when it is absent.
func (a Attrs) Float(name string, def float32) (float32, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	f, ok := v.(float32)
	if !ok {
		return 0, fmt.Errorf("attribute %s: want a float, got %T", name, v)
	}
	return f, nil
}

// String returns string attribute name, or def when it is absent.
func (a Attrs) String(name string, def string) (string, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("attribute %s: want a string, got %T", name, v)
	}
	return s, nil
}

// Ints returns integer-list attribute name, or def when it is absent.
func (a Attrs) Ints(name string, def []int64) ([]int64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.([]int64)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a list of integers, got %T", name, v)
	}
	return s, nil
}

// Floats returns float-list attribute name, or def when it is absent.
func (a Attrs) Floats(name string, def []float32) ([]float32, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.([]float32)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a list of floats, got %T", name, v)
	}
	return s, nil
}

// Tensor returns tensor attribute name, or nil when it is absent.
func (a Attrs) Tensor(name string) (*tensor.Tensor, error) {
	v, ok := a[name]
	if !ok {
		return nil, nil
	}
	t, ok := v.(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a tensor, got %T", name, v)
	}
	return t, nil
}
