// Package inference is a loaded model and running it: Load takes the graph
// that package decode reads from an ONNX file (or package tflite from a
// TensorFlow Lite one), fuses nodes (fuse.go),
// builds their operators from package ops and folds constants (prepare.go);
// Run executes it (run.go), and ForwardAll records a run that BackwardAll
// differentiates (grad.go). Nodes gives a read-only view of the graph,
// which package cam reads to find a classifier's head.
package inference

import (
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// DefaultMaxMemory is the memory a model may use (weights plus the largest
// set of live activations of one run) unless Options say otherwise.
const DefaultMaxMemory = 4 << 30

// Options tune Load.
type Options struct {
	// MaxMemory caps the bytes a model may use; 0 means DefaultMaxMemory.
	MaxMemory int64
	// SampleInputs, when set, feed the check run at load instead of zero
	// tensors: for graphs whose inputs are not images but shapes or indices
	// that zeros would make invalid (ONNX's conformance cases).
	SampleInputs map[string]*tensor.Tensor
	// Keep names inner tensors that must stay readable after a run. The
	// loader fuses a Conv with the Relu or Clip after it, and the Conv's
	// own output then never exists; naming it here prevents that.
	Keep []string
}

// ValueInfo names a graph input or output and its shape, with a dynamic
// batch dimension fixed to 1.
type ValueInfo struct {
	Name  string
	Shape []int
	DType tensor.DType
}

// Model is a loaded ONNX graph, ready to run. It is immutable: Run may be
// called from several goroutines at once.
type Model struct {
	Path      string
	Name      string // the file's base name, or the name given to LoadBytes
	IRVersion int64
	Opset     int
	Producer  string
	GraphName string
	Metadata  map[string]string
	Inputs    []ValueInfo
	Outputs   []ValueInfo
	// Labels is the labels file the model carries inside it (a TFLite
	// file's metadata), nil when it carries none.
	Labels *EmbeddedFile

	consts map[string]*tensor.Tensor // initializers and folded values
	// constArrays are the arrays behind constants: never recycled, even
	// when an operator returns a view of one.
	constArrays map[uintptr]bool
	steps       []*step           // in execution order
	shapes      map[string][]int  // every tensor's shape, from the check run at load
	int64s      map[string]bool   // inputs and inner tensors of int64 values, from the check run
	opTypes     map[string]string // tensor name -> op type of its producer
	lastUse     map[string]int    // tensor name -> index of the last step that reads it
	bands       *bandChain
	outputs     map[string]bool
	// batchModes says how each step runs in a batch (batch.go), unless
	// batchNote says why the graph runs batches item by item.
	batchModes []batchMode
	batchNote  string
	// groups are the sizes of the arrays that a run of one input writes
	// the inputs of Concats into, side by side (place.go).
	groups []int
	// largestItem is the bytes of the largest tensor one input computes.
	largestItem int64
	// The steps from lateStep on (len(steps) if none) run a batch LatePass
	// items a pass; lateItem is the bytes of their largest output an item,
	// lateBytes those a pass may hold, cutBytes those of the tensors they
	// read from earlier steps (batch.go).
	lateStep  int
	lateItem  int64
	lateBytes int64
	cutBytes  int64
	maxMemory int64 // the limit the model was loaded with

	WeightBytes int64 // bytes held by constants
	PeakBytes   int64 // largest total of live activations during one run
}

type step struct {
	name    string // the node's name, or its first output when it has none
	opType  string
	inputs  []string // "" for a missing optional input
	outputs []string
	attrs   ops.Attrs
	op      ops.Op
	// fusedWith names the Relu or Clip node folded into this one; its
	// outputs are that node's outputs.
	fusedWith string
	fusedOp   string // its op type
	// place, when set, is where the step writes its output in a run of
	// one input (place.go).
	place *placement
	// beside, when set, says that in a run of one input the step runs at
	// once with the next one, first or then (beside.go).
	beside uint8
}

// Shape returns the shape of any tensor of the graph (input, constant, inner
// or output), as found when the model was loaded, and whether it exists.
func (m *Model) Shape(name string) ([]int, bool) {
	if s, ok := m.shapes[name]; ok {
		return append([]int(nil), s...), true
	}
	return nil, false
}

// Const returns the value of a constant tensor (an initializer or a value
// folded at load), or nil.
func (m *Model) Const(name string) *tensor.Tensor { return m.consts[name] }

// ProducerOp returns the op type of the node that computes tensor name
// ("Conv+Relu" for a convolution with its activation fused into it), or ""
// for graph inputs and constants.
func (m *Model) ProducerOp(name string) string { return m.opTypes[name] }

// NumNodes is the number of operator nodes left to run after folding.
func (m *Model) NumNodes() int { return len(m.steps) }
