// Package decode turns the bytes of an ONNX file into the engine's graph
// (package tflite makes the same graph of a TensorFlow Lite file):
// it reads the file's structure with package onnxpb, checks it against what
// the engine runs (opsets, domains, declared sizes), reads the weights
// straight from the file into arrays of their size (initializers.go),
// decodes the nodes and attributes with onnx-go's decoder, and returns the nodes in an order where
// each comes after the nodes it reads from. Rewriting the graph, building
// its operators and running it are package inference's work.
package decode

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"

	onnx "github.com/owulveryck/onnx-go"

	"camscope/inference/onnxpb"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Opset range this engine implements for the default ONNX domain.
const (
	MinOpset = 7
	MaxOpset = 21
)

// Errors that Read wraps, for callers that branch on the kind of failure.
var (
	ErrNotONNX  = errors.New("not an ONNX model")
	ErrTooLarge = ops.ErrTooLarge
	// ErrOpset: the model's opset is outside MinOpset to MaxOpset.
	ErrOpset = errors.New("opset outside the engine's range")
)

// opsetError is the sentence on an opset outside the engine's range; it
// is ErrOpset.
type opsetError string

func (e opsetError) Error() string        { return string(e) }
func (e opsetError) Is(target error) bool { return target == ErrOpset }

// Options tune Read.
type Options struct {
	// MaxMemory caps the bytes of any tensor the file declares.
	MaxMemory int64
}

// Graph is a decoded ONNX graph.
type Graph struct {
	IRVersion int64
	Opset     int
	Producer  string
	Name      string
	Metadata  map[string]string
	Inputs    []Input  // the inputs fed at run time (not initializers)
	Outputs   []string // the graph outputs
	Consts    map[string]*tensor.Tensor
	Nodes     []*Node // each after the nodes it reads from
	// Labels is the labels file the model carries inside it (a TFLite
	// file's metadata), nil when it carries none.
	Labels *EmbeddedFile
	// Declared are shapes the file declares for inner tensors (a TFLite
	// file's, in the graph's layout), which the loader checks against the
	// shapes it computes: the graph was built from them.
	Declared map[string][]int
}

// EmbeddedFile is a file a model carries inside it.
type EmbeddedFile struct {
	Name string
	Data []byte
}

// Input is a graph input, with a dynamic batch dimension fixed to 1.
type Input struct {
	Name  string
	Shape []int
	DType tensor.DType
}

// Node is one operator node as the file lists it.
type Node struct {
	Name    string // the node's name, or its first output when it has none
	OpType  string
	Inputs  []string // "" for a missing optional input
	Outputs []string
	Attrs   ops.Attrs
}

// Read decodes the bytes of an ONNX file.
func Read(data []byte, opt Options) (*Graph, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotONNX)
	}
	info, err := onnxpb.Unmarshal(data, onnxpb.Structure)
	if err != nil {
		return nil, fmt.Errorf("%w: the file cannot be read as an ONNX protobuf (%v); is it complete and really a .onnx file?", ErrNotONNX, err)
	}
	g := &info.Graph
	if len(g.Nodes) == 0 {
		return nil, fmt.Errorf("%w: its graph has no nodes", ErrNotONNX)
	}
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("%w: its graph declares no outputs", ErrNotONNX)
	}
	opset := info.Opset
	if opset == 0 {
		return nil, fmt.Errorf("%w: it imports no opset of the default ONNX domain", ErrNotONNX)
	}
	if opset > MaxOpset {
		return nil, opsetError(fmt.Sprintf("the model uses ONNX opset %d, newer than CAMscope runs (opsets %d to %d). Re-export it at opset %d or lower (for PyTorch: torch.onnx.export(..., opset_version=%d))", opset, MinOpset, MaxOpset, MaxOpset, MaxOpset))
	}
	if opset < MinOpset {
		return nil, opsetError(fmt.Sprintf("the model uses ONNX opset %d; CAMscope runs opsets %d to %d. Re-export the model with an opset in that range (for PyTorch: torch.onnx.export(..., opset_version=13))", opset, MinOpset, MaxOpset))
	}
	for _, n := range g.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return nil, fmt.Errorf("%w %q of domain %q (node %q): CAMscope runs only the standard ONNX operators", ops.ErrUnsupported, n.OpType, n.Domain, nodeName(&n))
		}
	}
	for _, t := range g.Initializers {
		if t.External {
			return nil, fmt.Errorf("the model keeps its weights in a separate file (external data, from initializer %q on), which CAMscope does not open; save it as one file, e.g. in Python: onnx.save(model, path, save_as_external_data=False)", t.Name)
		}
	}
	for _, group := range [][]onnxpb.ValueInfo{g.Inputs, g.Outputs, g.ValueInfo} {
		for _, vi := range group {
			if b := declaredBytes(vi.Dims); b > opt.MaxMemory {
				return nil, fmt.Errorf("%w: tensor %q is declared with shape %v (%s), over the limit of %s", ErrTooLarge, vi.Name, vi.Dims, tensor.FormatBytes(b), tensor.FormatBytes(opt.MaxMemory))
			}
		}
	}

	data, err = readable(data)
	if err != nil {
		return nil, fmt.Errorf("CAMscope cannot read a value in the model: %w", err)
	}
	consts, structure, err := splitInitializers(data, opt.MaxMemory)
	if err != nil {
		return nil, err
	}
	dec := newDecoded()
	if err := decode(dec, structure); err != nil {
		return nil, err
	}
	if len(dec.ops) != len(g.Nodes) {
		return nil, fmt.Errorf("%w: the decoder found %d nodes where the file lists %d", ErrNotONNX, len(dec.ops), len(g.Nodes))
	}

	out := &Graph{
		IRVersion: info.IRVersion,
		Opset:     int(opset),
		Producer:  info.ProducerName,
		Name:      g.Name,
		Metadata:  map[string]string{},
		Consts:    consts,
	}
	for _, kv := range info.Metadata {
		out.Metadata[kv.Key] = kv.Value
	}
	for _, vi := range g.Inputs {
		if _, isConst := out.Consts[vi.Name]; isConst {
			continue
		}
		shape, dt, err := resolveInput(vi)
		if err != nil {
			return nil, err
		}
		out.Inputs = append(out.Inputs, Input{Name: vi.Name, Shape: shape, DType: dt})
	}

	nodes := make([]*Node, len(dec.ops))
	for i, ap := range dec.ops {
		pn := &g.Nodes[i]
		if ap.op.Name != pn.OpType {
			return nil, fmt.Errorf("%w: node %d is %s in the decoder and %s in the file", ErrNotONNX, i, ap.op.Name, pn.OpType)
		}
		if len(pn.Outputs) == 0 || len(ap.outputs) == 0 {
			return nil, fmt.Errorf("%w: node %q (%s) has no outputs", ErrNotONNX, nodeName(pn), pn.OpType)
		}
		a, err := convertAttrs(ap.op.Attributes)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", nodeName(pn), pn.OpType, err)
		}
		nodes[i] = &Node{Name: nodeName(pn), OpType: pn.OpType, Inputs: pn.Inputs, Outputs: pn.Outputs, Attrs: a}
		if len(pn.Inputs) > 0 {
			if got := dec.inputsOf(ap.outputs[0]); !slices.Equal(got, pn.Inputs) {
				return nil, fmt.Errorf("%w: node %q has inputs %q in the decoder and %q in the file", ErrNotONNX, nodeName(pn), got, pn.Inputs)
			}
		}
	}
	for _, o := range g.Outputs {
		out.Outputs = append(out.Outputs, o.Name)
	}
	if out.Nodes, err = out.sorted(nodes); err != nil {
		return nil, err
	}
	return out, nil
}

// decode runs onnx-go's decoder. It is third-party code fed with untrusted
// bytes, so a panic inside it is turned into an error here.
func decode(dec *decoded, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the ONNX decoder failed on it (%v); the file is damaged or not a model", ErrNotONNX, r)
		}
	}()
	if err := onnx.NewModel(dec).UnmarshalBinary(data); err != nil {
		return fmt.Errorf("%w: %v", ErrNotONNX, err)
	}
	return nil
}

func nodeName(n *onnxpb.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 {
		return n.Outputs[0]
	}
	return n.OpType
}

// sorted returns the nodes in an order where every node comes after the
// nodes it reads from. ONNX files are meant to be sorted already; this
// keeps their order where it is valid and repairs it where it is not.
func (g *Graph) sorted(nodes []*Node) ([]*Node, error) {
	avail := map[string]bool{"": true}
	for name := range g.Consts {
		avail[name] = true
	}
	for _, in := range g.Inputs {
		avail[in.Name] = true
	}
	produced := map[string]bool{}
	for _, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if produced[o] || avail[o] && o != "" {
				return nil, fmt.Errorf("%w: tensor %q is computed twice (node %q)", ErrNotONNX, o, n.Name)
			}
			produced[o] = true
		}
	}
	// Kahn's algorithm, taking among the ready nodes the one the file lists
	// first: a sorted file keeps its order, and the work is linear in the
	// nodes and their inputs (times the log of the ready nodes) whatever
	// the order.
	waiting := make([]int, len(nodes)) // inputs not yet available, per node
	readers := map[string][]int{}      // nodes waiting for a tensor
	ready := &readyNodes{}
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if !avail[in] {
				waiting[i]++
				readers[in] = append(readers[in], i)
			}
		}
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]*Node, 0, len(nodes))
	for ready.Len() > 0 {
		n := nodes[heap.Pop(ready).(int)]
		order = append(order, n)
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			for _, r := range readers[o] {
				if waiting[r]--; waiting[r] == 0 {
					heap.Push(ready, r)
				}
			}
			delete(readers, o)
		}
	}
	if len(order) < len(nodes) {
		for i, n := range nodes {
			if waiting[i] == 0 {
				continue
			}
			for _, in := range n.Inputs {
				if !avail[in] && !produced[in] {
					return nil, fmt.Errorf("%w: node %q (%s) reads tensor %q, which is not an input, an initializer or any node's output", ErrNotONNX, n.Name, n.OpType, in)
				}
			}
		}
		return nil, fmt.Errorf("%w: the graph has a cycle", ErrNotONNX)
	}
	return order, nil
}

// readyNodes is a min-heap of node indices.
type readyNodes []int

func (h readyNodes) Len() int           { return len(h) }
func (h readyNodes) Less(i, j int) bool { return h[i] < h[j] }
func (h readyNodes) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyNodes) Push(x any)        { *h = append(*h, x.(int)) }
func (h *readyNodes) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// resolveInput returns the shape and element type an input is fed with.
func resolveInput(vi onnxpb.ValueInfo) ([]int, tensor.DType, error) {
	var dt tensor.DType
	switch vi.ElemType {
	case 0, 1, 11: // undefined (taken as float), float, double
		dt = tensor.Float32
	case 2, 3, 4, 5, 6, 7, 9, 12, 13: // the integer types and bool
		dt = tensor.Int64
	default:
		return nil, 0, fmt.Errorf("input %q has ONNX element type %d, which CAMscope cannot feed (it feeds float and integer tensors)", vi.Name, vi.ElemType)
	}
	shape := make([]int, len(vi.Dims))
	for i, d := range vi.Dims {
		switch {
		case d >= 0:
			shape[i] = int(d)
		case i == 0:
			shape[i] = 1 // a dynamic batch dimension runs one image
		default:
			return nil, 0, fmt.Errorf("input %q has a dynamic dimension %d (%q) besides the batch; CAMscope needs a fixed input size: re-export the model with a fixed size", vi.Name, i, vi.Params[i])
		}
	}
	return shape, dt, nil
}

func declaredBytes(dims []int64) int64 {
	b := int64(4)
	for _, d := range dims {
		if d > 0 {
			b *= d
			if b > 1<<50 {
				return b
			}
		}
	}
	return b
}
