package inference

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"camscope/inference/decode"
	"camscope/inference/ops"
	"camscope/inference/tensor"
	"camscope/inference/tflite"
)

// Opset range this engine implements for the default ONNX domain.
const (
	MinOpset = decode.MinOpset
	MaxOpset = decode.MaxOpset
)

// Errors that Load wraps, for callers that branch on the kind of failure.
var (
	ErrNotONNX     = decode.ErrNotONNX
	ErrUnsupported = ops.ErrUnsupported
	ErrTooLarge    = decode.ErrTooLarge
	ErrNotTFLite   = tflite.ErrNotTFLite
	ErrOpset       = decode.ErrOpset
)

// EmbeddedFile is a file a model carries inside it: the labels of a
// TFLite file's metadata.
type EmbeddedFile = decode.EmbeddedFile

// Load reads and prepares the model at path: an ONNX file, or a
// TensorFlow Lite one (told apart by its content, not its name).
func Load(path string, opt Options) (*Model, error) {
	return LoadContext(context.Background(), path, opt)
}

// LoadContext is Load that stops, with ctx's error, when ctx is cancelled:
// before and after decoding the file, and at every operator while it
// builds, folds and checks them.
func LoadContext(ctx context.Context, path string, opt Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("model file %s does not exist: check the path", path)
		}
		return nil, fmt.Errorf("cannot open model %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a model file (.onnx or .tflite)", path)
	}
	limit := opt.maxMemory()
	if 2*st.Size() > limit {
		return nil, fmt.Errorf("%s: %w: the file is %s and loading it needs about %s, over the limit of %s; raise the limit or use a smaller model",
			path, ErrTooLarge, tensor.FormatBytes(st.Size()), tensor.FormatBytes(2*st.Size()), tensor.FormatBytes(limit))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read model %s: %w", path, err)
	}
	m, err := LoadBytesContext(ctx, filepath.Base(path), data, opt)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

func (o Options) maxMemory() int64 {
	if o.MaxMemory > 0 {
		return o.MaxMemory
	}
	return DefaultMaxMemory
}

// LoadBytes prepares a model from the bytes of an ONNX or TFLite file; name
// is used in messages.
func LoadBytes(name string, data []byte, opt Options) (*Model, error) {
	return LoadBytesContext(context.Background(), name, data, opt)
}

// LoadBytesContext is LoadBytes that stops when ctx is cancelled, as
// LoadContext does.
func LoadBytesContext(ctx context.Context, name string, data []byte, opt Options) (m *Model, err error) {
	// The deferred function does not hold data: the decoder's copy of the
	// weights is all the load needs once it has read the file, and the
	// file's bytes can be collected while it builds the operators.
	kind := ErrNotONNX
	if tflite.Is(data) {
		kind = ErrNotTFLite
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("load model %s: %w: internal error while reading it (%v); please report this file", name, kind, r)
		}
	}()
	m, err = load(ctx, name, data, opt)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", name, err)
	}
	return m, nil
}

// load decodes the file into the model's description and its nodes, then
// prepares them to run.
func load(ctx context.Context, name string, data []byte, opt Options) (*Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := opt.maxMemory()
	var g *decode.Graph
	var err error
	if tflite.Is(data) || strings.EqualFold(filepath.Ext(name), ".tflite") {
		g, err = tflite.Read(data, tflite.Options{MaxMemory: limit})
	} else {
		g, err = decode.Read(data, decode.Options{MaxMemory: limit})
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &Model{
		Name:      name,
		IRVersion: g.IRVersion,
		Opset:     g.Opset,
		Producer:  g.Producer,
		GraphName: g.Name,
		Metadata:  g.Metadata,
		Labels:    g.Labels,
		consts:    g.Consts,
		shapes:    map[string][]int{},
		opTypes:   map[string]string{},
		outputs:   map[string]bool{},
	}
	for _, in := range g.Inputs {
		m.Inputs = append(m.Inputs, ValueInfo{Name: in.Name, Shape: in.Shape, DType: in.DType})
	}
	for _, o := range g.Outputs {
		m.Outputs = append(m.Outputs, ValueInfo{Name: o})
		m.outputs[o] = true
	}
	nodes := make([]*step, len(g.Nodes))
	for i, n := range g.Nodes {
		nodes[i] = &step{name: n.Name, opType: n.OpType, inputs: n.Inputs, outputs: n.Outputs, attrs: n.Attrs}
	}
	if err := m.prepare(ctx, nodes, limit, opt.SampleInputs, opt.Keep); err != nil {
		return nil, err
	}
	for name, want := range g.Declared {
		if got, ok := m.shapes[name]; ok && !tensor.EqualShape(got, want) {
			return nil, fmt.Errorf("%w: tensor %q is computed with shape %v where the file declares %v", ErrNotTFLite, name, got, want)
		}
	}
	// The load leaves garbage of the size of the model or more (the file's
	// bytes, and the check run's activations, all alive at its end:
	// DenseNet-121's take 108 MB). Collected now, its memory serves the
	// runs; left to the collector's pace, the runs' first allocations come
	// on top of it, and the process's peak resident memory with them
	// (DenseNet-121's bench 253-287 MB). A collection costs a few ms of
	// CPU against a load of hundreds.
	runtime.GC()
	return m, nil
}
