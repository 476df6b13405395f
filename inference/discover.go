package inference

import (
	"errors"
	"fmt"

	"camscope/inference/tensor"
)

// Head describes the classifier end of a CNN as class activation maps need
// it: the last 4-D feature map, the pre-softmax logits, and, when the model
// ends in global average pooling and one linear layer, that layer's weights.
type Head struct {
	Logits       string // pre-softmax logits tensor, shape [1,K] (or [1,K,1,1])
	Probs        string // the graph's softmax output of the logits, if any
	Feature      string // the 4-D feature map the head starts from
	FeatureShape []int  // [1,C,h,w]
	NumClasses   int

	// The linear GAP head, when there is one (Weights != nil): logits =
	// Weights · mean_yx(feature) + Bias, or for a classifier convolution
	// before the pooling (SqueezeNet), logits = mean_yx(act(Weights · feature
	// + Bias)). Weights is [K,C].
	Weights         *tensor.Tensor
	Bias            []float32
	ClassifierFirst bool   // the 1x1 classifier conv runs before the pooling
	PoolOp          string // GlobalAveragePool, ReduceMean or AveragePool
	// NoCAM says why plain CAM does not apply, when Weights is nil.
	NoCAM string
}

// ErrNoClassifier is returned by DiscoverHead for graphs that are not image
// classifiers (no [1,K] output reached from a 4-D feature map).
var ErrNoClassifier = errors.New("not an image classifier")

// transparent ops change neither values nor their order along the class or
// channel axis.
var transparent = map[string]bool{"Identity": true, "Dropout": true, "Flatten": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true}

// producer returns the step computing tensor name, or nil for inputs and
// constants.
func (m *Model) producer(name string) *step {
	for _, s := range m.steps {
		for _, o := range s.outputs {
			if o == name {
				return s
			}
		}
	}
	return nil
}

// NodeOf returns the name of the node that computes tensor name ("" for
// inputs and constants).
func (m *Model) NodeOf(name string) string {
	s := m.producer(name)
	switch {
	case s == nil:
		return ""
	case s.fusedWith != "":
		return s.fusedWith
	}
	return s.name
}

// skipBack follows transparent ops from name toward the input.
func (m *Model) skipBack(name string) (string, *step) {
	for {
		s := m.producer(name)
		if s == nil || !transparent[s.opType] {
			return name, s
		}
		name = s.inputs[0]
	}
}

// DiscoverHead finds the classifier head. For a classifier without a
// global-average-pooling linear head it still returns the feature map and
// logits (for gradient methods), with NoCAM set.
func (m *Model) DiscoverHead() (*Head, error) {
	var h *Head
	var firstErr error
	for _, o := range m.Outputs {
		got, err := m.discoverFrom(o.Name)
		if err == nil {
			h = got
			break
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if h == nil {
		return nil, fmt.Errorf("%s: %w: %v", m.Name, ErrNoClassifier, firstErr)
	}
	return h, nil
}

func (m *Model) discoverFrom(output string) (*Head, error) {
	h := &Head{Logits: output}
	_, s := m.skipBack(output)
	if s != nil && (s.opType == "Softmax" || s.opType == "LogSoftmax") {
		h.Probs, h.Logits = output, s.inputs[0]
		_, s = m.skipBack(s.inputs[0])
	}
	shape := m.shapes[h.Logits]
	k := tensor.Size(shape)
	if len(shape) < 2 || shape[0] != 1 || shape[1] != k || k < 2 {
		return nil, fmt.Errorf("output %q has shape %v, not [1, classes]", output, shape)
	}
	h.NumClasses = k
	if s == nil {
		return nil, fmt.Errorf("output %q is not computed from the input", output)
	}

	pooled, err := m.linearLayer(s, h)
	if err == nil {
		if m.poolInput(pooled, h) {
			return h, nil
		}
		err = fmt.Errorf("the linear layer's input %q does not come from global average pooling", pooled)
	}
	// SqueezeNet style: pooling of class maps made by a 1x1 conv.
	if s.opType == "GlobalAveragePool" || s.opType == "ReduceMean" || s.opType == "AveragePool" {
		if m.classifierFirst(s, h) {
			return h, nil
		}
	}
	h.Weights, h.Bias, h.PoolOp, h.ClassifierFirst = nil, nil, "", false
	h.NoCAM = fmt.Sprintf("no global-average-pooling linear head (%v); use Grad-CAM", err)
	feat, ok := m.lastFeatureMap(h.Logits)
	if !ok {
		return nil, fmt.Errorf("no 4-D feature map feeds output %q", output)
	}
	h.Feature, h.FeatureShape = feat, m.shapes[feat]
	return h, nil
}

// linearLayer recognises Gemm, MatMul(+Add) or a 1x1 Conv with constant
// weights as the last layer, fills h.Weights ([K,C]) and h.Bias, and returns
// the layer's data input.
func (m *Model) linearLayer(s *step, h *Head) (string, error) {
	k := h.NumClasses
	switch s.opType {
	case "Gemm":
		b := m.consts[s.inputs[1]]
		if b == nil || b.Rank() != 2 {
			return "", fmt.Errorf("Gemm %q has no constant 2-D weights", s.name)
		}
		attrs := m.gemmAttrs(s)
		if attrs.transA {
			return "", fmt.Errorf("Gemm %q transposes its input", s.name)
		}
		w := b
		if !attrs.transB {
			w = transpose2D(b)
		}
		if w.Shape[0] != k {
			return "", fmt.Errorf("Gemm %q makes %d outputs, not %d", s.name, w.Shape[0], k)
		}
		h.Weights = scaled(w, attrs.alpha)
		if len(s.inputs) > 2 && s.inputs[2] != "" {
			c := m.consts[s.inputs[2]]
			if c == nil || c.Len() != k && c.Len() != 1 {
				return "", fmt.Errorf("Gemm %q has no constant per-class bias", s.name)
			}
			h.Bias = broadcastBias(c, k, attrs.beta)
		}
		return s.inputs[0], nil
	case "Add":
		x, bias := s.inputs[0], m.consts[s.inputs[1]]
		if bias == nil {
			x, bias = s.inputs[1], m.consts[s.inputs[0]]
		}
		if bias == nil || bias.Len() != k {
			return "", fmt.Errorf("Add %q is not a per-class bias", s.name)
		}
		_, mm := m.skipBack(x)
		if mm == nil || mm.opType != "MatMul" {
			return "", fmt.Errorf("Add %q does not follow a MatMul", s.name)
		}
		in, err := m.linearLayer(mm, h)
		if err != nil {
			return "", err
		}
		h.Bias = broadcastBias(bias, k, 1)
		return in, nil
	case "MatMul":
		w := m.consts[s.inputs[1]]
		if w == nil || w.Rank() != 2 || w.Shape[1] != k {
			return "", fmt.Errorf("MatMul %q has no constant [C,%d] weights", s.name, k)
		}
		h.Weights = transpose2D(w)
		return s.inputs[0], nil
	case "Conv":
		w, ok := m.conv1x1(s)
		if !ok || w.Shape[0] != k {
			return "", fmt.Errorf("Conv %q is not a 1x1 classifier", s.name)
		}
		in := s.inputs[0]
		if sh := m.shapes[in]; len(sh) != 4 || sh[2] != 1 || sh[3] != 1 {
			return "", fmt.Errorf("Conv %q runs on a spatial map", s.name)
		}
		h.Weights = w
		if len(s.inputs) > 2 && s.inputs[2] != "" {
			h.Bias = broadcastBias(m.consts[s.inputs[2]], k, 1)
		}
		return in, nil
	}
	return "", fmt.Errorf("the last layer is %s, not a linear layer", s.opType)
}

// conv1x1 returns the [K,C] weights of a plain 1x1 stride-1 convolution
// with constant weights.
func (m *Model) conv1x1(s *step) (*tensor.Tensor, bool) {
	if len(s.inputs) < 2 {
		return nil, false
	}
	w := m.consts[s.inputs[1]]
	if w == nil || w.Rank() != 4 || w.Shape[2] != 1 || w.Shape[3] != 1 {
		return nil, false
	}
	if g, _ := s.attrs.Int("group", 1); g != 1 {
		return nil, false
	}
	if st, _ := s.attrs.Ints("strides", nil); len(st) == 2 && (st[0] != 1 || st[1] != 1) {
		return nil, false
	}
	return w.Reshaped([]int{w.Shape[0], w.Shape[1]}), true
}

// poolInput checks that pooled is a global average of a 4-D feature map
// (through transparent ops) and records the map.
func (m *Model) poolInput(pooled string, h *Head) bool {
	_, s := m.skipBack(pooled)
	if s == nil || !m.isGlobalAverage(s) {
		return false
	}
	feat := s.inputs[0]
	sh := m.shapes[feat]
	if len(sh) != 4 || h.Weights == nil || h.Weights.Shape[1] != sh[1] {
		return false
	}
	h.Feature, h.FeatureShape, h.PoolOp = feat, sh, s.opType
	return true
}

// classifierFirst recognises pool(act(conv1x1(feature))) heads.
func (m *Model) classifierFirst(pool *step, h *Head) bool {
	if !m.isGlobalAverage(pool) {
		return false
	}
	x := pool.inputs[0]
	s := m.producer(x)
	if s != nil && (s.opType == "Relu" || s.opType == "Identity") {
		s = m.producer(s.inputs[0])
	}
	if s == nil || s.opType != "Conv" {
		return false
	}
	w, ok := m.conv1x1(s)
	if !ok || w.Shape[0] != h.NumClasses {
		return false
	}
	// Dropout and Identity before the classifier change nothing at
	// inference: the map is the tensor they were given.
	feat := s.inputs[0]
	if len(m.shapes[feat]) != 4 {
		return false
	}
	if back, _ := m.skipBack(feat); tensor.EqualShape(m.shapes[back], m.shapes[feat]) {
		feat = back
	}
	h.Weights = w
	if len(s.inputs) > 2 && s.inputs[2] != "" {
		h.Bias = broadcastBias(m.consts[s.inputs[2]], h.NumClasses, 1)
	}
	h.Feature, h.FeatureShape, h.PoolOp, h.ClassifierFirst = feat, m.shapes[feat], pool.opType, true
	return true
}

// isGlobalAverage reports whether s averages a 4-D map over all its
// positions.
func (m *Model) isGlobalAverage(s *step) bool {
	in := m.shapes[s.inputs[0]]
	if len(in) != 4 {
		return false
	}
	out := m.shapes[s.outputs[0]]
	switch s.opType {
	case "GlobalAveragePool":
		return true
	case "ReduceMean", "AveragePool":
		return tensor.Size(out) == in[0]*in[1] && s.opType == "ReduceMean" ||
			s.opType == "AveragePool" && len(out) == 4 && out[2] == 1 && out[3] == 1
	}
	return false
}

// lastFeatureMap walks back from the logits to the first 4-D tensor with a
// spatial extent; an average pooling right before the flattening belongs to
// the head, so the map is the pooling's input.
func (m *Model) lastFeatureMap(logits string) (string, bool) {
	name := logits
	for range len(m.steps) + 1 {
		sh := m.shapes[name]
		if len(sh) == 4 && sh[2]*sh[3] > 1 {
			if s := m.producer(name); s != nil && (s.opType == "AveragePool" || s.opType == "GlobalAveragePool") {
				if in := m.shapes[s.inputs[0]]; len(in) == 4 {
					return s.inputs[0], true
				}
			}
			return name, true
		}
		s := m.producer(name)
		if s == nil {
			return "", false
		}
		next := ""
		for _, in := range s.inputs {
			if in != "" && m.consts[in] == nil {
				next = in
				break
			}
		}
		if next == "" {
			return "", false
		}
		if s.opType == "GlobalAveragePool" || s.opType == "AveragePool" || s.opType == "ReduceMean" {
			if sh := m.shapes[next]; len(sh) == 4 && sh[2]*sh[3] > 1 {
				return next, true
			}
		}
		name = next
	}
	return "", false
}

func transpose2D(t *tensor.Tensor) *tensor.Tensor {
	r, c := t.Shape[0], t.Shape[1]
	out := tensor.New(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.F[j*r+i] = t.F[i*c+j]
		}
	}
	return out
}

func scaled(t *tensor.Tensor, a float32) *tensor.Tensor {
	if a == 1 {
		return t
	}
	out := t.Clone()
	for i := range out.F {
		out.F[i] *= a
	}
	return out
}

func broadcastBias(c *tensor.Tensor, k int, beta float32) []float32 {
	if c == nil {
		return nil
	}
	b := make([]float32, k)
	for i := range b {
		if c.Len() == 1 {
			b[i] = beta * c.F[0]
		} else {
			b[i] = beta * c.F[i]
		}
	}
	return b
}

type gemmAttrs struct {
	alpha, beta    float32
	transA, transB bool
}

func (m *Model) gemmAttrs(s *step) gemmAttrs {
	alpha, _ := s.attrs.Float("alpha", 1)
	beta, _ := s.attrs.Float("beta", 1)
	ta, _ := s.attrs.Int("transA", 0)
	tb, _ := s.attrs.Int("transB", 0)
	return gemmAttrs{alpha: alpha, beta: beta, transA: ta != 0, transB: tb != 0}
}
