package session

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// ErrNoModel says that no model is at hand.
var ErrNoModel = errors.New("no model is installed: open an ONNX or TFLite classifier or get one from the catalogue")

// BuiltinName is the built-in model's display name.
const BuiltinName = "shapes (built-in)"

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
