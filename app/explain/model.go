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
	Layers     []string           // several feature tensors, combined (cam.NewLayers); Layer must then be ""
	Preprocess preprocess.Options // explicit preprocessing choices
	MaxMemory  int64              // 0: inference.DefaultMaxMemory
}

// Model is a loaded model ready to explain photos, with everything needed
// to say what was done: where its preprocessing and labels came from.
type Model struct {
	Name       string // display name: the file name without .onnx or .tflite
	Path       string
	Engine     *inference.Model
	Explainer  *cam.Explainer
	Spec       preprocess.Spec
	SpecSource preprocess.Source
	Labels     []string // nil when the model has none
	// LabelsPath is the labels file read, or for the labels a model
	// carries inside it, "NAME inside MODEL".
	LabelsPath   string
	LabelsOrigin preprocess.Origin
	LoadTime     time.Duration
}

// LoadModel loads the model at path (ONNX or TensorFlow Lite) for
// explaining. Without a labels file (given, named by the sidecar or next
// to the model) it takes the labels the model carries inside it, if any.
// It gives up with ctx's error when ctx is done (the engine notices it
// between operators).
func LoadModel(ctx context.Context, path string, opt ModelOptions) (*Model, error) {
	start := time.Now()
	if opt.Layer != "" && len(opt.Layers) > 0 {
		return nil, fmt.Errorf("give the layer or the layers, not both")
	}
	engine, err := inference.LoadContext(ctx, path, inference.Options{MaxMemory: opt.MaxMemory, Keep: opt.layers()})
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
	if m.LabelsOrigin == "" {
		m.LabelsOrigin = origin
	}
	m.LoadTime = time.Since(start)
	return m, nil
}

// LoadModelBytes loads a model (ONNX or TensorFlow Lite) held in memory
// under the given name (the built-in one), with the labels and
// preprocessing it carries inside it; opt.Preprocess overrides the latter.
func LoadModelBytes(ctx context.Context, name string, data []byte, opt ModelOptions) (*Model, error) {
	start := time.Now()
	engine, err := inference.LoadBytesContext(ctx, name, data, inference.Options{MaxMemory: opt.MaxMemory, Keep: opt.layers()})
	if err != nil {
		return nil, err
	}
	m, err := newModel(engine, name, "", "", opt)
	if err != nil {
		return nil, err
	}
	m.Name, m.Path = name, ""
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

// layers are the feature tensors asked for; none for the discovered one.
func (opt ModelOptions) layers() []string {
	if opt.Layer == "" {
		return opt.Layers
	}
	return []string{opt.Layer}
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
	var inside preprocess.Origin
	switch {
	case labelsPath != "":
		if labels, err = preprocess.ReadLabels(labelsPath, head.NumClasses); err != nil {
			return nil, err
		}
	case engine.Labels != nil:
		labelsPath = fmt.Sprintf("%s inside %s", engine.Labels.Name, filepath.Base(path))
		if labels, err = preprocess.ParseLabels(labelsPath, engine.Labels.Data, head.NumClasses); err != nil {
			return nil, err
		}
		inside = preprocess.FromMetadata
	}
	ex, err := cam.NewLayers(engine, labels, opt.layers())
	if err != nil {
		return nil, err
	}
	return &Model{
		Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path,
		Engine: engine, Explainer: ex, Spec: spec, SpecSource: src, Labels: labels, LabelsPath: labelsPath, LabelsOrigin: inside,
	}, nil
}

// WithLabels is m naming its classes with labels (one per class), read
// from the file or list named from; the loaded model is shared.
func (m *Model) WithLabels(labels []string, from string) (*Model, error) {
	if len(labels) != m.NumClasses() {
		return nil, fmt.Errorf("%s has %d labels but %s has %d classes; use the labels file that came with the model", from, len(labels), m.Name, m.NumClasses())
	}
	ex := *m.Explainer
	ex.Labels = labels
	c := *m
	c.Explainer, c.Labels, c.LabelsPath, c.LabelsOrigin = &ex, labels, from, preprocess.FromOptions
	return &c, nil
}

// NumClasses is the number of classes the model tells apart.
func (m *Model) NumClasses() int { return m.Explainer.Head.NumClasses }

// Layer is the feature tensor the maps are computed on (the first of
// Layers).
func (m *Model) Layer() string { return m.Explainer.Layer }

// Layers are the feature tensors the maps are computed on: one, or several
// combined.
func (m *Model) Layers() []string { return m.Explainer.Layers }

// InputSize is the model's input width and height.
func (m *Model) InputSize() (w, h int) { return m.Spec.Width, m.Spec.Height }

// ExplainerAt is the model's explainer at layer: the one it was loaded with
// for "" or that layer, otherwise a new one sharing the loaded engine (the
// model file is not read again).
func (m *Model) ExplainerAt(layer string) (*cam.Explainer, error) {
	if layer == "" || layer == m.Explainer.Layer && len(m.Explainer.Layers) <= 1 {
		return m.Explainer, nil
	}
	return cam.New(m.Engine, m.Labels, layer)
}

// LayerChoices lists the layers maps can be computed on (see cam.Layers).
func (m *Model) LayerChoices() []cam.LayerInfo { return cam.Layers(m.Engine) }

// MapSizeAt is the width and height of layer's feature grid (see
// cam.Grid); ok is false when no map can be computed on it.
func (m *Model) MapSizeAt(layer string) (w, h int, ok bool) {
	return cam.Grid(m.Engine, layer)
}

// MapSize is the width and height of the grid the maps are computed on
// (of several layers, the one with the most positions, the first such);
// ok is false when there is no layer or a layer's shape is not known.
func (m *Model) MapSize() (w, h int, ok bool) {
	for _, l := range m.Layers() {
		lw, lh, found := cam.Grid(m.Engine, l)
		if !found {
			return 0, 0, false
		}
		if lw*lh > w*h {
			w, h = lw, lh
		}
	}
	return w, h, len(m.Layers()) > 0
}
