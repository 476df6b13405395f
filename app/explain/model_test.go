package explain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLoadModelCancelled loads with a context already done: the load gives
// up with the context's error.
func TestLoadModelCancelled(t *testing.T) {
	path := filepath.Join(shared, "reference", "vgg_small.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the reference data should be in ../shared next to the repository (CI has it): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := LoadModel(ctx, path, ModelOptions{}); !errors.Is(err, context.Canceled) || m != nil {
		t.Fatalf("LoadModel with a cancelled context: %v, %v; want context.Canceled", m, err)
	}
	if _, err := LoadModel(context.Background(), path, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadModelLayers: several layers load into one explainer, whose maps
// are on the finest grid; a layer and layers together are refused.
func TestLoadModelLayers(t *testing.T) {
	path := filepath.Join(shared, "reference", "resnet18.onnx")
	layers := []string{"/layer4/layer4.0/relu_1/Relu_output_0", "/layer3/layer3.1/relu_1/Relu_output_0"}
	m, err := LoadModel(context.Background(), path, ModelOptions{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	if w, h, ok := m.MapSize(); !slices.Equal(m.Layers(), layers) || m.Layer() != layers[0] || w != 14 || h != 14 || !ok {
		t.Errorf("layers %q (first %q), map %dx%d (%v)", m.Layers(), m.Layer(), w, h, ok)
	}
	if _, err := LoadModel(context.Background(), path, ModelOptions{Layer: layers[0], Layers: layers}); err == nil {
		t.Error("a layer and layers together are accepted")
	}
}
