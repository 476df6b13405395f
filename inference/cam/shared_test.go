package cam

import (
	"testing"

	"camscope/inference"
	"camscope/inference/internal/shareddata"
	"camscope/inference/tensor"
)

var (
	sharedPath      = shareddata.Path
	readNpy         = shareddata.Npy
	referenceModels = shareddata.ReferenceModels
	sharedModels    shareddata.Cache[*inference.Model]
)

// sharedModel returns the model dir/name.onnx of the shared data (dir is
// "reference" or "models"), loaded once per test binary.
func sharedModel(t testing.TB, dir, name string) *inference.Model {
	t.Helper()
	return sharedModels.Get(t, dir+"/"+name, func() (*inference.Model, error) {
		return inference.Load(sharedPath(t, dir, name+".onnx"), inference.Options{})
	})
}

// loadRef returns the reference models' metadata and their common input.
func loadRef(t testing.TB) (map[string]shareddata.Meta, *tensor.Tensor) {
	t.Helper()
	return shareddata.ReferenceMeta(t), readNpy(t, "reference", "input.npy")
}
