package decode

import (
	"fmt"
	"sort"

	onnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	gtensor "gorgonia.org/tensor"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// decoded is the backend that onnx-go's decoder fills: a directed graph in
// which every tensor (input, initializer, node output) is a node, every
// operator is applied to its output nodes, and an edge from an output to
// each input carries the input's position as its weight. Unlike gonum's
// simple graphs it keeps parallel edges, because an operator may take the
// same tensor twice (Mul(x, x)).
type decoded struct {
	nodes map[int64]*tensorNode
	order []*tensorNode
	edges map[int64][]*edge // from -> edges, in insertion order
	ops   []appliedOp
}

// tensorNode is a tensor of the graph, by name. It is not an
// onnx.DataCarrier, so the decoder reads no tensor's values for it
// (splitInitializers reads the weights).
type tensorNode struct {
	id   int64
	name string
}

func (n *tensorNode) ID() int64        { return n.id }
func (n *tensorNode) SetName(s string) { n.name = s }
func (n *tensorNode) GetName() string  { return n.name }

type edge struct {
	from, to *tensorNode
	w        float64
}

func (e *edge) From() graph.Node         { return e.from }
func (e *edge) To() graph.Node           { return e.to }
func (e *edge) ReversedEdge() graph.Edge { return &edge{from: e.to, to: e.from, w: e.w} }
func (e *edge) Weight() float64          { return e.w }

type appliedOp struct {
	op      onnx.Operation
	outputs []*tensorNode
}

var (
	_ onnx.Backend = (*decoded)(nil)
	_ onnx.Namer   = (*tensorNode)(nil)
)

func newDecoded() *decoded {
	return &decoded{nodes: map[int64]*tensorNode{}, edges: map[int64][]*edge{}}
}

func (d *decoded) NewNode() graph.Node { return &tensorNode{id: int64(len(d.order))} }

func (d *decoded) AddNode(n graph.Node) {
	tn, ok := n.(*tensorNode)
	if !ok {
		panic(fmt.Sprintf("decode: foreign node type %T", n))
	}
	if _, dup := d.nodes[tn.id]; dup {
		panic(fmt.Sprintf("decode: node %d added twice", tn.id))
	}
	d.nodes[tn.id] = tn
	d.order = append(d.order, tn)
}

func (d *decoded) NewWeightedEdge(from, to graph.Node, w float64) graph.WeightedEdge {
	return &edge{from: from.(*tensorNode), to: to.(*tensorNode), w: w}
}

func (d *decoded) SetWeightedEdge(e graph.WeightedEdge) {
	ed := e.(*edge)
	d.edges[ed.from.id] = append(d.edges[ed.from.id], ed)
}

func (d *decoded) ApplyOperation(op onnx.Operation, outputs ...graph.Node) error {
	outs := make([]*tensorNode, len(outputs))
	for i, o := range outputs {
		outs[i] = o.(*tensorNode)
	}
	d.ops = append(d.ops, appliedOp{op: op, outputs: outs})
	return nil
}

// inputsOf returns the names of the inputs of the operator whose first
// output is out, in position order. Each output of a multi-output operator
// carries the same edges, so the first output is enough.
func (d *decoded) inputsOf(out *tensorNode) []string {
	es := append([]*edge(nil), d.edges[out.id]...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].w < es[j].w })
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.to.name
	}
	return names
}

// The rest of graph.Directed, which the decoder's interface asks for.

func (d *decoded) Node(id int64) graph.Node {
	if n, ok := d.nodes[id]; ok {
		return n
	}
	return nil
}

func (d *decoded) Nodes() graph.Nodes {
	ns := make([]graph.Node, len(d.order))
	for i, n := range d.order {
		ns[i] = n
	}
	return iterator.NewOrderedNodes(ns)
}

func (d *decoded) From(id int64) graph.Nodes {
	var ns []graph.Node
	for _, e := range d.edges[id] {
		ns = append(ns, e.to)
	}
	return iterator.NewOrderedNodes(ns)
}

func (d *decoded) To(id int64) graph.Nodes {
	var ns []graph.Node
	for _, es := range d.edges {
		for _, e := range es {
			if e.to.id == id {
				ns = append(ns, e.from)
			}
		}
	}
	return iterator.NewOrderedNodes(ns)
}

func (d *decoded) HasEdgeBetween(x, y int64) bool {
	return d.HasEdgeFromTo(x, y) || d.HasEdgeFromTo(y, x)
}

func (d *decoded) HasEdgeFromTo(u, v int64) bool {
	for _, e := range d.edges[u] {
		if e.to.id == v {
			return true
		}
	}
	return false
}

func (d *decoded) Edge(u, v int64) graph.Edge {
	for _, e := range d.edges[u] {
		if e.to.id == v {
			return e
		}
	}
	return nil
}

// fromGorgonia converts a decoded tensor to the engine's own type, without
// copying float32 and int64 data.
func fromGorgonia(t gtensor.Tensor) (*tensor.Tensor, error) {
	shape := []int(t.Shape())
	if t.IsScalar() {
		shape = nil
	}
	data := t.Data()
	out := &tensor.Tensor{Shape: append([]int(nil), shape...)}
	switch v := data.(type) {
	case []float32:
		out.F = v
	case float32:
		out.F = []float32{v}
	case []float64:
		out.F = make([]float32, len(v))
		for i, x := range v {
			out.F[i] = float32(x)
		}
	case float64:
		out.F = []float32{float32(v)}
	case []int64:
		out.DType, out.I = tensor.Int64, v
	case int64:
		out.DType, out.I = tensor.Int64, []int64{v}
	case []int32:
		out.DType, out.I = tensor.Int64, make([]int64, len(v))
		for i, x := range v {
			out.I[i] = int64(x)
		}
	case int32:
		out.DType, out.I = tensor.Int64, []int64{int64(v)}
	case []bool:
		out.DType, out.I = tensor.Int64, make([]int64, len(v))
		for i, x := range v {
			if x {
				out.I[i] = 1
			}
		}
	case bool:
		out.DType = tensor.Int64
		out.I = []int64{0}
		if v {
			out.I[0] = 1
		}
	default:
		return nil, fmt.Errorf("tensors of type %T are not supported", data)
	}
	n := len(out.F)
	if out.DType == tensor.Int64 {
		n = len(out.I)
	}
	if n != tensor.Size(out.Shape) {
		return nil, fmt.Errorf("tensor of shape %v holds %d values", out.Shape, n)
	}
	return out, nil
}

// convertAttrs turns onnx-go's attribute values into ops.Attrs.
func convertAttrs(in map[string]any) (ops.Attrs, error) {
	out := make(ops.Attrs, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case gtensor.Tensor:
			t, err := fromGorgonia(x)
			if err != nil {
				return nil, fmt.Errorf("attribute %s: %w", k, err)
			}
			out[k] = t
		case struct{}:
			// An UNDEFINED attribute carries nothing.
		default:
			out[k] = v
		}
	}
	return out, nil
}
