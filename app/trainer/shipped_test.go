package trainer

import (
	"testing"

	"camscope/app/shapes"
	"camscope/assets"
	"camscope/inference/onnxwrite"
)

func shippedModel(t *testing.T) *Params {
	t.Helper()
	m, err := onnxwrite.Unmarshal(assets.ShapesModel)
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

// TestShippedModelAccuracy is a quick check of the committed model on 200
// held-out scenes; 'camscope eval-loc' reports the full 2000-scene figures.
func TestShippedModelAccuracy(t *testing.T) {
	p := shippedModel(t)
	mixed := p.Evaluate(EvalSeed+2, 200, shapes.Options{})
	single := p.Evaluate(EvalSeed, 200, shapes.Options{MaxShapes: 1})
	t.Logf("200 mixed scenes: accuracy %.1f%%; 200 single-shape scenes: accuracy %.1f%%, localisation %.1f%%",
		100*mixed.Accuracy(), 100*single.Accuracy(), 100*single.LocAccuracy())
	// A regression guard for the committed model, a few points under what it
	// measured (70% and 39% on 2000 scenes). It does NOT meet issue 4's
	// targets (95% accuracy, 80% single-shape localisation); raise these
	// floors when a model that does is committed.
	if mixed.Accuracy() < 0.60 {
		t.Errorf("accuracy %.1f%% on 200 held-out scenes, want at least 60%%", 100*mixed.Accuracy())
	}
	if single.LocAccuracy() < 0.28 {
		t.Errorf("localisation %.1f%% on 200 single-shape scenes, want at least 28%%", 100*single.LocAccuracy())
	}
}
