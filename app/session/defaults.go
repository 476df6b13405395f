package session

import (
	"errors"

	"camscope/app/explain"
	"camscope/app/photo"
)

// ErrNoModel says that no model is at hand: none is built in and none has
// been downloaded.
var ErrNoModel = errors.New("no model is installed: open an ONNX classifier or get one from the catalogue")

// DefaultModel returns the model the app starts with: the first model in
// the download folder. (When the built-in model lands in package assets,
// this loads it instead: inference.LoadBytes + explain.FromEngine.)
func DefaultModel() (*explain.Model, error) {
	installed, err := InstalledModels(CacheDir())
	if err != nil || len(installed) == 0 {
		return nil, ErrNoModel
	}
	return explain.LoadModel(installed[0].Path, explain.ModelOptions{})
}

// SamplePhoto returns the photo shown at start when none is given, or nil.
func SamplePhoto() *photo.Photo { return nil }
