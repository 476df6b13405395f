package trainer

import (
	"fmt"
	"testing"

	"camscope/assets"
	"camscope/inference/onnxpb"
)

func shippedModel(t *testing.T) *Params {
	t.Helper()
	m, err := onnxpb.Unmarshal(assets.ShapesModel, onnxpb.Values)
	if err != nil {
		t.Fatal(err)
	}
	p, err := importParams(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(assets.ShapesModel) > 2<<20 {
		t.Errorf("the built-in model is %d bytes, over 2 MB", len(assets.ShapesModel))
	}
	return p
}

// TestShippedModelExport runs the committed model through the independent
// reader and the engine.
func TestShippedModelExport(t *testing.T) {
	p := shippedModel(t)
	checkExport(t, p, assets.ShapesModel, 2)
	checkEngine(t, p, assets.ShapesModel, 5)
}

// importParams reads weights back from a model written by Export.
func importParams(m *onnxpb.Model) (*Params, error) {
	g := &m.Graph
	if len(g.Inputs) != 1 || len(g.Inputs[0].Dims) != 4 {
		return nil, fmt.Errorf("trainer: model input is not [1,3,S,S]")
	}
	p := &Params{}
	p.Arch.Size = int(g.Inputs[0].Dims[2])
	in := 3
	for i := 1; ; i++ {
		id := fmt.Sprintf("conv%d", i)
		w, b := initializer(g, id+".weight"), initializer(g, id+".bias")
		if w == nil || b == nil {
			break
		}
		if len(w.Dims) != 4 || int(w.Dims[1]) != in || w.Dims[2] != w.Dims[3] || (w.Dims[2] != 1 && w.Dims[2] != 3) {
			return nil, fmt.Errorf("trainer: %s weight has dims %v", id, w.Dims)
		}
		pool := false
		for _, n := range g.Nodes {
			if n.OpType == "MaxPool" && len(n.Inputs) == 1 && (n.Inputs[0] == fmt.Sprintf("relu%d", i) || n.Inputs[0] == FeaturesName) && n.Name == fmt.Sprintf("pool%d", i) {
				pool = true
			}
		}
		out, k := int(w.Dims[0]), int(w.Dims[2])
		p.Convs = append(p.Convs, Conv{Out: out, In: in, Kernel: k, Pool: pool, W: w.Data, B: b.Data})
		p.Arch.Convs = append(p.Arch.Convs, ConvSpec{Out: out, Kernel: k, Pool: pool})
		in = out
	}
	fw, fb := initializer(g, "fc.weight"), initializer(g, "fc.bias")
	if len(p.Convs) == 0 || fw == nil || fb == nil || len(fw.Dims) != 2 || int(fw.Dims[1]) != in {
		return nil, fmt.Errorf("trainer: model is not a CAMscope shapes network")
	}
	p.Arch.Classes = int(fw.Dims[0])
	p.FCW, p.FCB = fw.Data, fb.Data
	return p, nil
}

// initializer returns the graph's initializer called name, or nil.
func initializer(g *onnxpb.Graph, name string) *onnxpb.Tensor {
	for i := range g.Initializers {
		if g.Initializers[i].Name == name {
			return &g.Initializers[i]
		}
	}
	return nil
}
