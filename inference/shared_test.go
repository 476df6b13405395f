package inference

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"camscope/inference/npy"
	"camscope/inference/tensor"
)

// sharedDir is the shared test data, ../shared beside the repository root,
// as seen from this package.
const sharedDir = "../../shared"

// logitsName is the tensor every model of the shared data computes its
// pre-softmax scores in.
const logitsName = "logits"

// sharedPath returns the path of a file of the shared test data, and fails
// the test, saying where the data belongs, when it is missing.
func sharedPath(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{sharedDir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		abs, _ := filepath.Abs(p)
		t.Fatalf("shared test data missing: %s should be at %s (the folder shared beside the repository root, as in CI): %v", filepath.Join(elem...), abs, err)
	}
	return p
}

var sharedModels struct {
	sync.Mutex
	loaded map[string]*Model
}

// sharedModel returns the model dir/name.onnx of the shared data (dir is
// "reference" or "models"), loaded once per test binary: a Model is
// immutable, so the tests share it.
func sharedModel(t testing.TB, dir, name string) *Model {
	t.Helper()
	key := dir + "/" + name
	sharedModels.Lock()
	defer sharedModels.Unlock()
	if m := sharedModels.loaded[key]; m != nil {
		return m
	}
	m, err := Load(sharedPath(t, dir, name+".onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sharedModels.loaded == nil {
		sharedModels.loaded = map[string]*Model{}
	}
	sharedModels.loaded[key] = m
	return m
}

type referenceMeta struct {
	FeatShape  []int   `json:"feat_shape"`
	GradK      int     `json:"grad_k"`
	LogitsMax  float64 `json:"logits_absmax"`
	FeatMax    float64 `json:"feat_absmax"`
	GradMax    float64 `json:"grad_absmax"`
	FeatTensor struct {
		Tensor string `json:"tensor"`
	} `json:"plain_op13_feature_tensor"`
}

// referenceModels are the six PyTorch-exported CNNs of shared/reference.
var referenceModels = []string{"resnet18", "squeezenet1_1", "efficientnet_b0", "googlenet", "densenet121", "vgg_small"}

func readReferenceMeta(t testing.TB) map[string]referenceMeta {
	t.Helper()
	b, err := os.ReadFile(sharedPath(t, "reference", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]referenceMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

// sharedNpy reads an .npy file of the shared data.
func sharedNpy(t testing.TB, elem ...string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(sharedPath(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	return x
}
