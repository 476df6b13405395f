// Package shareddata gives the tests of the inference packages the shared
// test data (../shared beside the repository root: the PyTorch reference
// models and tensors, the MobileNets, the photos). A missing file fails the
// test with a sentence saying where it belongs, since CI always has it.
// Only tests import this package.
package shareddata

import (
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"camscope/inference/npy"
	"camscope/inference/tensor"
)

// ReferenceModels are the six PyTorch-exported CNNs of shared/reference.
var ReferenceModels = []string{"resnet18", "squeezenet1_1", "efficientnet_b0", "googlenet", "densenet121", "vgg_small"}

// TransformerModels are the two vision transformers of shared/reference
// (opset 17), described in meta_transformers.json.
var TransformerModels = []string{"vit_tiny", "swin_tiny"}

// Path returns the path of a file of the shared data, and fails the test,
// saying where the data belongs, when it is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("shared test data: cannot find the repository root (go.mod) above the test's folder: %v", err)
	}
	p := filepath.Join(append([]string{filepath.Dir(root), "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing: %s should be at %s (the folder shared beside the repository root, as in CI): %v", filepath.Join(elem...), p, err)
	}
	return p
}

// repoRoot is the nearest folder at or above the working directory (a
// test's package folder) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}

// Npy reads an .npy file of the shared data.
func Npy(t testing.TB, elem ...string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// PNG decodes a PNG photo of the shared data.
func PNG(t testing.TB, elem ...string) image.Image {
	t.Helper()
	f, err := os.Open(Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Meta is what shared/reference/meta.json records of a reference model.
type Meta struct {
	FeatShape  []int   `json:"feat_shape"`
	GradK      int     `json:"grad_k"`
	LogitsMax  float64 `json:"logits_absmax"`
	FeatMax    float64 `json:"feat_absmax"`
	GradMax    float64 `json:"grad_absmax"`
	FeatTensor struct {
		Tensor string `json:"tensor"`
	} `json:"plain_op13_feature_tensor"`
}

// ReferenceMeta reads shared/reference/meta.json, by model name.
func ReferenceMeta(t testing.TB) map[string]Meta {
	t.Helper()
	return readMeta(t, "meta.json")
}

// TransformerMeta reads shared/reference/meta_transformers.json, by model
// name (it names no feature tensor: FeatTensor is empty).
func TransformerMeta(t testing.TB) map[string]Meta {
	t.Helper()
	return readMeta(t, "meta_transformers.json")
}

func readMeta(t testing.TB, file string) map[string]Meta {
	t.Helper()
	b, err := os.ReadFile(Path(t, "reference", file))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]Meta
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

// Cache keeps what a test binary loads once (models are immutable once
// loaded, so tests may share them), by key.
type Cache[T any] struct {
	mu     sync.Mutex
	loaded map[string]T
}

// Get returns the value for key, calling load the first time.
func (c *Cache[T]) Get(t testing.TB, key string, load func() (T, error)) T {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.loaded[key]; ok {
		return v
	}
	v, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if c.loaded == nil {
		c.loaded = map[string]T{}
	}
	c.loaded[key] = v
	return v
}
