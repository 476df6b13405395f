package inference

import (
	"context"
	"testing"

	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// TestDropoutMaskOnlyWhenRead: a Dropout's mask output is dropped at load
// when nothing reads it, and kept (all ones) when a node, the graph's
// outputs or a tensor kept at load (Options.Keep) read it.
func TestDropoutMaskOnlyWhenRead(t *testing.T) {
	model := func(maskOut bool) *onnxpb.Model {
		g := onnxpb.Graph{
			Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{2, 3}}},
			Outputs: []onnxpb.ValueInfo{{Name: "y"}},
			Nodes: []onnxpb.Node{
				{OpType: "Dropout", Inputs: []string{"x"}, Outputs: []string{"d", "mask"}},
				{OpType: "Relu", Inputs: []string{"d"}, Outputs: []string{"y"}},
			},
		}
		if maskOut {
			g.Outputs = append(g.Outputs, onnxpb.ValueInfo{Name: "mask"})
		}
		return &onnxpb.Model{Graph: g}
	}
	x := tensor.New(2, 3)
	for i := range x.F {
		x.F[i] = float32(i) - 2
	}
	for _, c := range []struct {
		name    string
		maskOut bool
		keep    []string
		outputs int
	}{
		{"unread", false, nil, 1},
		{"graph output", true, nil, 2},
		{"kept", false, []string{"mask"}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := LoadBytes("dropout.onnx", marshal(t, model(c.maskOut)), Options{Keep: c.keep})
			if err != nil {
				t.Fatal(err)
			}
			var drop Node
			for _, n := range m.Nodes() {
				if n.OpType == "Dropout" {
					drop = n
				}
			}
			if len(drop.Outputs) != c.outputs {
				t.Errorf("Dropout has outputs %q, want %d", drop.Outputs, c.outputs)
			}
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"x": x}, c.keep...)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out["y"].F {
				if want := max(x.F[i], 0); v != want {
					t.Errorf("y[%d] = %g, want %g", i, v, want)
				}
			}
			if c.outputs == 2 {
				mask := out["mask"]
				if mask == nil || mask.Len() != 6 {
					t.Fatalf("mask = %v, want 6 ones", mask)
				}
				for i := range 6 {
					if mask.Int64s()[i] != 1 {
						t.Errorf("mask[%d] = %d, want 1", i, mask.Int64s()[i])
					}
				}
			}
		})
	}
}
