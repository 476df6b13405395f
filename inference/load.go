package inference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	onnx "github.com/owulveryck/onnx-go"

	"camscope/inference/onnxpb"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Opset range this engine implements for the default ONNX domain.
const (
	MinOpset = 7
	MaxOpset = 18
)

// Errors that Load wraps, for callers that branch on the kind of failure.
var (
	ErrNotONNX     = errors.New("not an ONNX model")
	ErrUnsupported = ops.ErrUnsupported
	ErrTooLarge    = errors.New("model needs more memory than allowed")
)

// Load reads and prepares the ONNX model at path.
func Load(path string, opt Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("model file %s does not exist: check the path", path)
		}
		return nil, fmt.Errorf("cannot open model %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not an .onnx model file", path)
	}
	limit := opt.maxMemory()
	if 2*st.Size() > limit {
		return nil, fmt.Errorf("%s: %w: the file is %s and loading it needs about %s, over the limit of %s; raise the limit or use a smaller model",
			path, ErrTooLarge, formatBytes(st.Size()), formatBytes(2*st.Size()), formatBytes(limit))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read model %s: %w", path, err)
	}
	m, err := LoadBytes(filepath.Base(path), data, opt)
	if err != nil {
		return nil, err
	}
	m.Path = path
	return m, nil
}

func (o Options) minOpsetOr(def int64) int64 {
	if o.minOpset > 0 {
		return o.minOpset
	}
	return def
}

func (o Options) maxMemory() int64 {
	if o.MaxMemory > 0 {
		return o.MaxMemory
	}
	return DefaultMaxMemory
}

// LoadBytes prepares a model from the bytes of an ONNX file; name is used in
// messages.
func LoadBytes(name string, data []byte, opt Options) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("load model %s: %w: internal error while reading it (%v); please report this file", name, ErrNotONNX, r)
		}
	}()
	m, err = load(name, data, opt)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", name, err)
	}
	return m, nil
}

func load(name string, data []byte, opt Options) (*Model, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotONNX)
	}
	info, err := onnxpb.Unmarshal(data, onnxpb.Structure)
	if err != nil {
		return nil, fmt.Errorf("%w: the file cannot be read as an ONNX protobuf (%v); is it complete and really a .onnx file?", ErrNotONNX, err)
	}
	g := &info.Graph
	if len(g.Nodes) == 0 {
		return nil, fmt.Errorf("%w: its graph has no nodes", ErrNotONNX)
	}
	if len(g.Outputs) == 0 {
		return nil, fmt.Errorf("%w: its graph declares no outputs", ErrNotONNX)
	}
	opset := info.Opset
	if opset == 0 {
		return nil, fmt.Errorf("%w: it imports no opset of the default ONNX domain", ErrNotONNX)
	}
	if opset < min(MinOpset, opt.minOpsetOr(MinOpset)) || opset > MaxOpset {
		return nil, fmt.Errorf("the model uses ONNX opset %d; CAMscope runs opsets %d to %d. Re-export the model with an opset in that range (for PyTorch: torch.onnx.export(..., opset_version=13))", opset, MinOpset, MaxOpset)
	}
	for _, n := range g.Nodes {
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return nil, fmt.Errorf("%w %q of domain %q (node %q): CAMscope runs only the standard ONNX operators", ErrUnsupported, n.OpType, n.Domain, nodeName(&n))
		}
	}
	limit := opt.maxMemory()
	for _, group := range [][]onnxpb.ValueInfo{g.Inputs, g.Outputs, g.ValueInfo} {
		for _, vi := range group {
			if b := declaredBytes(vi.Dims); b > limit {
				return nil, fmt.Errorf("%w: tensor %q is declared with shape %v (%s), over the limit of %s", ErrTooLarge, vi.Name, vi.Dims, formatBytes(b), formatBytes(limit))
			}
		}
	}

	dec := newDecoded()
	if err := decode(dec, data); err != nil {
		return nil, err
	}
	if len(dec.ops) != len(g.Nodes) {
		return nil, fmt.Errorf("%w: the decoder found %d nodes where the file lists %d", ErrNotONNX, len(dec.ops), len(g.Nodes))
	}

	m := &Model{
		Name:      name,
		IRVersion: info.IRVersion,
		Opset:     int(opset),
		Producer:  info.ProducerName,
		GraphName: g.Name,
		Metadata:  map[string]string{},
		consts:    map[string]*tensor.Tensor{},
		shapes:    map[string][]int{},
		opTypes:   map[string]string{},
		outputs:   map[string]bool{},
	}
	for _, kv := range info.Metadata {
		m.Metadata[kv.Key] = kv.Value
	}
	initializer := map[string]bool{}
	for _, t := range g.Initializers {
		initializer[t.Name] = true
	}
	for _, tn := range dec.order {
		if initializer[tn.name] && tn.value != nil {
			t, err := fromGorgonia(tn.value)
			if err != nil {
				return nil, fmt.Errorf("%w: initializer %q: %v", ErrNotONNX, tn.name, err)
			}
			m.consts[tn.name] = t
		}
	}
	for _, vi := range g.Inputs {
		if _, isConst := m.consts[vi.Name]; isConst {
			continue
		}
		shape, dt, err := resolveInput(vi)
		if err != nil {
			return nil, err
		}
		m.Inputs = append(m.Inputs, ValueInfo{Name: vi.Name, Shape: shape, DType: dt})
	}

	nodes := make([]*step, len(dec.ops))
	for i, ap := range dec.ops {
		pn := &g.Nodes[i]
		if ap.op.Name != pn.OpType {
			return nil, fmt.Errorf("%w: node %d is %s in the decoder and %s in the file", ErrNotONNX, i, ap.op.Name, pn.OpType)
		}
		if len(pn.Outputs) == 0 || len(ap.outputs) == 0 {
			return nil, fmt.Errorf("%w: node %q (%s) has no outputs", ErrNotONNX, nodeName(pn), pn.OpType)
		}
		a, err := convertAttrs(ap.op.Attributes)
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", nodeName(pn), pn.OpType, err)
		}
		nodes[i] = &step{name: nodeName(pn), opType: pn.OpType, inputs: pn.Inputs, outputs: pn.Outputs, attrs: a}
		if len(pn.Inputs) > 0 {
			if got := dec.inputsOf(ap.outputs[0]); !slices.Equal(got, pn.Inputs) {
				return nil, fmt.Errorf("%w: node %q has inputs %q in the decoder and %q in the file", ErrNotONNX, nodeName(pn), got, pn.Inputs)
			}
		}
	}
	for _, o := range g.Outputs {
		m.Outputs = append(m.Outputs, ValueInfo{Name: o.Name})
		m.outputs[o.Name] = true
	}
	if err := m.prepare(nodes, limit, opt.SampleInputs, opt.Keep); err != nil {
		return nil, err
	}
	return m, nil
}

// decode runs onnx-go's decoder. It is third-party code fed with untrusted
// bytes, so a panic inside it is turned into an error here.
func decode(dec *decoded, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the ONNX decoder failed on it (%v); the file is damaged or not a model", ErrNotONNX, r)
		}
	}()
	if err := onnx.NewModel(dec).UnmarshalBinary(data); err != nil {
		return fmt.Errorf("%w: %v", ErrNotONNX, err)
	}
	return nil
}

func nodeName(n *onnxpb.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 {
		return n.Outputs[0]
	}
	return n.OpType
}

// resolveInput returns the shape and element type an input is fed with.
func resolveInput(vi onnxpb.ValueInfo) ([]int, tensor.DType, error) {
	var dt tensor.DType
	switch vi.ElemType {
	case 0, 1, 11: // undefined (taken as float), float, double
		dt = tensor.Float32
	case 2, 3, 4, 5, 6, 7, 9, 12, 13: // the integer types and bool
		dt = tensor.Int64
	default:
		return nil, 0, fmt.Errorf("input %q has ONNX element type %d, which CAMscope cannot feed (it feeds float and integer tensors)", vi.Name, vi.ElemType)
	}
	shape := make([]int, len(vi.Dims))
	for i, d := range vi.Dims {
		switch {
		case d >= 0:
			shape[i] = int(d)
		case i == 0:
			shape[i] = 1 // a dynamic batch dimension runs one image
		default:
			return nil, 0, fmt.Errorf("input %q has a dynamic dimension %d (%q) besides the batch; CAMscope needs a fixed input size: re-export the model with a fixed size", vi.Name, i, vi.Params[i])
		}
	}
	return shape, dt, nil
}

func declaredBytes(dims []int64) int64 {
	b := int64(4)
	for _, d := range dims {
		if d > 0 {
			b *= d
			if b > 1<<50 {
				return b
			}
		}
	}
	return b
}

func formatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", b)
}
