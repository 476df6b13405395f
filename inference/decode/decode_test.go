package decode

import (
	"errors"
	"strings"
	"testing"

	"camscope/inference/onnxpb"
)

// graphOf writes a float model [1,2] -> nodes -> "y" and returns its bytes.
func graphOf(t *testing.T, nodes ...onnxpb.Node) []byte {
	t.Helper()
	m := &onnxpb.Model{Graph: onnxpb.Graph{
		Name:    "g",
		Nodes:   nodes,
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 2}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y", Dims: []int64{1, 2}}},
	}}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func relu(in, out string) onnxpb.Node {
	return onnxpb.Node{Name: out, OpType: "Relu", Inputs: []string{in}, Outputs: []string{out}}
}

// TestOrder checks that Read puts a node after the nodes it reads from,
// keeping the file's order where it is valid.
func TestOrder(t *testing.T) {
	g, err := Read(graphOf(t, relu("b", "y"), relu("x", "a"), relu("a", "b")), Options{MaxMemory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " "); got != "a b y" {
		t.Errorf("order %s, want a b y", got)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || len(g.Outputs) != 1 || g.Outputs[0] != "y" || g.Opset != onnxpb.DefaultOpset {
		t.Errorf("graph %+v", g)
	}
}

// TestGraphErrors checks the sentences for graphs that cannot be ordered.
func TestGraphErrors(t *testing.T) {
	cases := map[string]struct {
		nodes []onnxpb.Node
		says  string
	}{
		"computed twice": {[]onnxpb.Node{relu("y", "x"), relu("x", "y")}, `tensor "x" is computed twice`},
		"unknown input":  {[]onnxpb.Node{relu("nope", "y")}, `reads tensor "nope", which is not an input, an initializer or any node's output`},
		"cycle":          {[]onnxpb.Node{relu("b", "a"), relu("a", "b"), relu("x", "y")}, "the graph has a cycle"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(graphOf(t, c.nodes...), Options{MaxMemory: 1 << 20})
			if !errors.Is(err, ErrNotONNX) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want ErrNotONNX saying %q", err, c.says)
			}
		})
	}
}
