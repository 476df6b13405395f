package inference

import (
	"testing"

	"camscope/inference/internal/shareddata"
)

// logitsName is the tensor every model of the shared data computes its
// pre-softmax scores in.
const logitsName = "logits"

var (
	sharedPath        = shareddata.Path
	sharedNpy         = shareddata.Npy
	readReferenceMeta = shareddata.ReferenceMeta
	referenceModels   = shareddata.ReferenceModels
	transformerMeta   = shareddata.TransformerMeta
	sharedModels      shareddata.Cache[*Model]
)

// sharedModel returns the model dir/name.onnx of the shared data (dir is
// "reference" or "models"), loaded once per test binary.
func sharedModel(t testing.TB, dir, name string) *Model {
	t.Helper()
	return sharedModels.Get(t, dir+"/"+name, func() (*Model, error) {
		return Load(sharedPath(t, dir, name+".onnx"), Options{})
	})
}
