// Package explain is CAMscope's way from a photo and a model to class
// activation maps: it loads a model with its preprocessing and labels, runs
// it, picks classes and computes their maps, and says where the model's
// input lies on the photo. Showing and exporting the maps is package
// display's. The CLI's explain command and the desktop app both use it; it
// has no user interface of its own.
package explain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// ModelOptions say how to load a model; zero values mean "find out".
type ModelOptions struct {
	Labels     string             // labels file; "" looks next to the model
	Layer      string             // feature tensor; "" is the discovered one
	Preprocess preprocess.Options // explicit preprocessing choices
	MaxMemory  int64              // 0: inference.DefaultMaxMemory
}

// Model is a loaded model ready to explain photos, with everything needed
// to say what was done: where its preprocessing and labels came from.
type Model struct {
	Name         string // display name: the file name without .onnx
	Path         string
	Engine       *inference.Model
	Explainer    *cam.Explainer
	Spec         preprocess.Spec
	SpecSource   preprocess.Source
	Labels       []string // nil when the model has none
	LabelsPath   string
	LabelsOrigin preprocess.Origin
	LoadTime     time.Duration
}

// LoadModel loads the ONNX model at path for explaining. It gives up with
// ctx's error when ctx is done (the engine notices it between operators).
func LoadModel(ctx context.Context, path string, opt ModelOptions) (*Model, error) {
	start := time.Now()
	engine, err := inference.LoadContext(ctx, path, inference.Options{MaxMemory: opt.MaxMemory, Keep: keepLayer(opt.Layer)})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sidecar := preprocess.SidecarPath(path)
	labelsPath, origin, err := preprocess.FindLabels(path, sidecar, opt.Labels)
	if err != nil {
		return nil, err
	}
	m, err := newModel(engine, path, sidecar, labelsPath, opt)
	if err != nil {
		return nil, err
	}
	m.LabelsOrigin = origin
	m.LoadTime = time.Since(start)
	return m, nil
}

// FromEngine wraps an already loaded engine model (the built-in one) with
// the given labels file contents and preprocessing.
func FromEngine(engine *inference.Model, name string, labels []string, spec preprocess.Spec, layer string) (*Model, error) {
	ex, err := cam.New(engine, labels, layer)
	if err != nil {
		return nil, err
	}
	return &Model{Name: name, Engine: engine, Explainer: ex, Spec: spec, Labels: labels,
		SpecSource: preprocess.Source{Convention: "built-in"}, LabelsOrigin: preprocess.FromDefault}, nil
}

func keepLayer(layer string) []string {
	if layer == "" {
		return nil
	}
	return []string{layer}
}

func newModel(engine *inference.Model, path, sidecar, labelsPath string, opt ModelOptions) (*Model, error) {
	head, err := cam.DiscoverHead(engine)
	if err != nil {
		return nil, err
	}
	if len(engine.Inputs) != 1 {
		return nil, fmt.Errorf("%s has %d inputs; CAMscope explains models with one image input", engine.Name, len(engine.Inputs))
	}
	if _, err := os.Stat(sidecar); err != nil {
		sidecar = ""
	}
	spec, src, err := preprocess.Resolve(engine.Inputs[0].Shape, head.NumClasses, engine.Metadata, sidecar, opt.Preprocess)
	if err != nil {
		return nil, fmt.Errorf("preprocessing for %s: %w", engine.Name, err)
	}
	var labels []string
	if labelsPath != "" {
		if labels, err = preprocess.ReadLabels(labelsPath, head.NumClasses); err != nil {
			return nil, err
		}
	}
	ex, err := cam.New(engine, labels, opt.Layer)
	if err != nil {
		return nil, err
	}
	return &Model{
		Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path,
		Engine: engine, Explainer: ex, Spec: spec, SpecSource: src, Labels: labels, LabelsPath: labelsPath,
	}, nil
}

// NumClasses is the number of classes the model tells apart.
func (m *Model) NumClasses() int { return m.Explainer.Head.NumClasses }

// Layer is the feature tensor the maps are computed on.
func (m *Model) Layer() string { return m.Explainer.Layer }

// InputSize is the model's input width and height.
func (m *Model) InputSize() (w, h int) { return m.Spec.Width, m.Spec.Height }

// ExplainerAt is the model's explainer at layer: the one it was loaded with
// for "" or that layer, otherwise a new one sharing the loaded engine (the
// model file is not read again).
func (m *Model) ExplainerAt(layer string) (*cam.Explainer, error) {
	if layer == "" || layer == m.Explainer.Layer {
		return m.Explainer, nil
	}
	return cam.New(m.Engine, m.Labels, layer)
}

// Layers lists the layers maps can be computed on (see cam.Layers).
func (m *Model) Layers() []cam.LayerInfo { return cam.Layers(m.Engine) }

// MapSize is the width and height of the feature grid the maps are
// computed on; ok is false when the layer's shape is not known.
func (m *Model) MapSize() (w, h int, ok bool) { return m.MapSizeAt(m.Layer()) }

// MapSizeAt is MapSize at another layer.
func (m *Model) MapSizeAt(layer string) (w, h int, ok bool) {
	if sh, found := m.Engine.Shape(layer); found && len(sh) == 4 {
		return sh[3], sh[2], true
	}
	return 0, 0, false
}
