package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// ErrNoModel says that no model is at hand.
var ErrNoModel = errors.New("no model is installed: open an ONNX or TFLite classifier or get one from the catalogue")

// BuiltinName is the built-in shape classifier's display name, and
// ImageNetName the built-in ImageNet classifier's.
const (
	BuiltinName  = "shapes (built-in)"
	ImageNetName = "MobileNetV2 (built-in)"
)

// The built-in models' names where a model file's path is asked for (the
// command line's --model).
const (
	ImageNetPath = "builtin:mobilenet-v2"
	ShapesPath   = "builtin:shapes"
)

// loadModel loads the model at path, or the built-in model path names.
func loadModel(ctx context.Context, path string) (*explain.Model, error) {
	switch path {
	case ImageNetPath:
		return PhotoModel()
	case ShapesPath:
		return DefaultModel()
	}
	return explain.LoadModel(ctx, path, explain.ModelOptions{})
}

// PhotoModel is the model for a photo opened with no model chosen: the
// built-in ImageNet classifier (ImageNetModel), loaded once per process.
func PhotoModel() (*explain.Model, error) {
	photoModel.once.Do(func() { photoModel.m, photoModel.err = ImageNetModel("", preprocess.Options{}) })
	return photoModel.m, photoModel.err
}

var photoModel struct {
	once sync.Once
	m    *explain.Model
	err  error
}

// ImageNetModel returns the built-in ImageNet classifier: Google's
// quantized MobileNetV2 as a TensorFlow Lite file, with the labels and
// preprocessing it carries (assets/mobilenet/NOTICE). It needs no file and
// no network: photos of the real world get real classes offline. layer
// and pre override its feature layer and preprocessing.
func ImageNetModel(layer string, pre preprocess.Options) (*explain.Model, error) {
	m, err := explain.LoadModelBytes(context.Background(), ImageNetName, assets.MobileNetV2, explain.ModelOptions{Layer: layer, Preprocess: pre})
	if err != nil {
		return nil, fmt.Errorf("the built-in ImageNet model: %w", err)
	}
	return m, nil
}

// DefaultModel returns the model the app starts with: the built-in shape
// classifier, which needs no file and no network.
func DefaultModel() (*explain.Model, error) {
	engine, err := inference.LoadBytes("shapes", assets.ShapesModel, inference.Options{})
	if err != nil {
		return nil, fmt.Errorf("the built-in model: %w", err)
	}
	head, err := cam.DiscoverHead(engine)
	if err != nil {
		return nil, fmt.Errorf("the built-in model: %w", err)
	}
	spec, _, err := preprocess.Resolve(engine.Inputs[0].Shape, head.NumClasses, engine.Metadata, "", preprocess.Options{})
	if err != nil {
		return nil, fmt.Errorf("the built-in model: %w", err)
	}
	labels := strings.Fields(assets.ShapesLabels)
	if len(labels) != head.NumClasses {
		labels = nil
	}
	return explain.FromEngine(engine, BuiltinName, labels, spec, "")
}

// SamplePhoto returns the photo shown at start when none is given: one of
// the built-in model's sample scenes, or nil.
func SamplePhoto() *photo.Photo {
	names, err := fs.Glob(assets.ShapesSamples, "shapes/sample_*.png")
	if err != nil || len(names) == 0 {
		return nil
	}
	pick := names[0]
	for _, n := range names {
		if strings.Contains(n, "heart") {
			pick = n
		}
	}
	data, err := assets.ShapesSamples.ReadFile(pick)
	if err != nil {
		return nil
	}
	p, err := photo.Decode(data, pick[strings.LastIndex(pick, "/")+1:])
	if err != nil {
		return nil
	}
	return p
}
