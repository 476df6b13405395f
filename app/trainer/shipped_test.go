package trainer

import (
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
	p, err := Import(m)
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
