package explain

import (
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"camscope/inference/cam"
	"camscope/inference/preprocess"
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

// TestLoadTFLiteModel: a TFLite MobileNet with nothing beside it gets its
// labels from inside the file and its preprocessing from its input (the
// whole photo stretched, (p - 128) / 128, NHWC), and names a dog breed
// first on pets.png.
func TestLoadTFLiteModel(t *testing.T) {
	path := filepath.Join(shared, "models", "tflite", "mobilenet_v1_0.5_160_quant.tflite")
	m, err := LoadModel(context.Background(), path, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Labels) != 1001 || m.Labels[0] != "background" || m.LabelsOrigin != preprocess.FromMetadata ||
		m.LabelsPath != "imagenet_labels.txt inside mobilenet_v1_0.5_160_quant.tflite" {
		t.Errorf("labels: %d from %q (%s); want ImageNet's 1001 from inside the file", len(m.Labels), m.LabelsPath, m.LabelsOrigin)
	}
	if s := m.Spec; s.Width != 160 || s.Layout != preprocess.NHWC || s.Resize != preprocess.Stretch || math.Abs(s.Std[0]-128.0/255) > 1e-9 {
		t.Errorf("preprocessing %s, want 160x160 stretch, (p - 128) / 128, NHWC", s)
	}
	if m.Name != "mobilenet_v1_0.5_160_quant" {
		t.Errorf("name %q", m.Name)
	}
	f, err := os.Open(filepath.Join(shared, "images", "pets.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := preprocess.Prepare(img, m.Spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Explainer.Forward(context.Background(), x, cam.CAM)
	if err != nil {
		t.Fatal(err)
	}
	if top := p.Top(1)[0]; top.Index < 152 || top.Index > 269 || top.Label != "kelpie" {
		t.Errorf("top-1 on pets.png: %d %q, want kelpie (228), a dog breed", top.Index, top.Label)
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
