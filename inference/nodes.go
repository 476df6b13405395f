package inference

import (
	"maps"
	"slices"

	"camscope/inference/ops"
)

// Node is one operator node of a loaded model as it runs, after constant
// folding and fusion: a Conv may carry the Relu or Clip fused into it, and
// nodes computed at load are gone. It is a copy: changing it changes
// nothing in the model. With Shape, Const and Outputs it is the read-only
// view of the graph that code inspecting its structure (CAM head discovery)
// works through.
type Node struct {
	Name    string // the node's name, or its first output when it has none
	OpType  string
	Inputs  []string // "" for a missing optional input
	Outputs []string
	Attrs   ops.Attrs
	// FusedWith names the Relu or Clip node folded into this one, whose
	// outputs are then this node's outputs; "" when none is.
	FusedWith string
}

// Nodes returns the operator nodes in execution order.
func (m *Model) Nodes() []Node {
	nodes := make([]Node, len(m.steps))
	for i, s := range m.steps {
		nodes[i] = Node{Name: s.name, OpType: s.opType, Inputs: slices.Clone(s.inputs), Outputs: slices.Clone(s.outputs),
			Attrs: maps.Clone(s.attrs), FusedWith: s.fusedWith}
	}
	return nodes
}
