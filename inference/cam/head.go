package cam

import (
	"errors"
	"fmt"
	"slices"

	"camscope/inference"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Head describes the classifier end of a CNN or a vision transformer as
// class activation maps need it: the feature map, the pre-softmax logits,
// and, when the model ends in global average pooling and one linear layer,
// that layer's weights.
type Head struct {
	Logits string // pre-softmax logits tensor, shape [1,K] (or [1,K,1,1])
	Probs  string // the graph's softmax output of the logits, if any
	// Feature is the feature map the head starts from: for a CNN the last
	// 4-D map; for Swin the final norm, channels last, before pooling; for
	// ViT and DeiT (whose head reads the class token) the output of the
	// last block's first LayerNorm, the tokens the last attention reads.
	Feature      string
	FeatureShape []int // [1,C,h,w], the grid form (see layout)
	NumClasses   int
	layout       layout

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

	// Attention are a ViT's or DeiT's attention probabilities, one per
	// block in the blocks' order, for Rollout; NoRollout says why there
	// are none.
	Attention  []string
	NoRollout  string
	attnLayout layout // the tokens on the patch grid (channels unused)
}

// ErrNoClassifier is returned by DiscoverHead for graphs that are not image
// classifiers (no [1,K] output reached from a 4-D feature map).
var ErrNoClassifier = errors.New("not an image classifier")

// transparent ops change neither values nor their order along the class or
// channel axis.
var transparent = map[string]bool{"Identity": true, "Dropout": true, "Flatten": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true}

// graph is what discovery reads of a model: its read-only view.
type graph struct {
	m         *inference.Model
	nodes     []inference.Node
	producers map[string]int // node index by output, made on first use
}

// producer returns the node computing tensor name, or nil for inputs and
// constants.
func (g *graph) producer(name string) *inference.Node {
	if g.producers == nil {
		g.producers = map[string]int{}
		for i := range g.nodes {
			for _, o := range g.nodes[i].Outputs {
				g.producers[o] = i
			}
		}
	}
	if i, ok := g.producers[name]; ok {
		return &g.nodes[i]
	}
	return nil
}

// shape returns the shape of tensor name, or nil.
func (g *graph) shape(name string) []int {
	s, _ := g.m.Shape(name)
	return s
}

// skipBack follows transparent ops from name toward the input.
func (g *graph) skipBack(name string) (string, *inference.Node) {
	for {
		s := g.producer(name)
		if s == nil || !transparent[s.OpType] {
			return name, s
		}
		name = s.Inputs[0]
	}
}

// DiscoverHead finds the classifier head of m. For a classifier without a
// global-average-pooling linear head it still returns the feature map and
// logits (for gradient methods), with NoCAM set.
func DiscoverHead(m *inference.Model) (*Head, error) {
	g := &graph{m: m, nodes: m.Nodes()}
	var h *Head
	var firstErr error
	for _, o := range m.Outputs {
		got, err := g.discoverFrom(o.Name)
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
	g.attention(h)
	return h, nil
}

func (g *graph) discoverFrom(output string) (*Head, error) {
	h := &Head{Logits: output}
	_, s := g.skipBack(output)
	if s != nil && (s.OpType == "Softmax" || s.OpType == "LogSoftmax") {
		h.Probs, h.Logits = output, s.Inputs[0]
		_, s = g.skipBack(s.Inputs[0])
	}
	shape := g.shape(h.Logits)
	k := tensor.Size(shape)
	if len(shape) < 2 || shape[0] != 1 || shape[1] != k || k < 2 {
		return nil, fmt.Errorf("output %q has shape %v, not [1, classes]", output, shape)
	}
	h.NumClasses = k
	if s == nil {
		return nil, fmt.Errorf("output %q is not computed from the input", output)
	}

	pooled, err := g.linearLayer(s, h)
	if err == nil {
		if g.poolInput(pooled, h) {
			return h, nil
		}
		err = fmt.Errorf("the linear layer's input %q does not come from global average pooling", pooled)
	}
	// SqueezeNet style: pooling of class maps made by a 1x1 conv.
	if s.OpType == "GlobalAveragePool" || s.OpType == "ReduceMean" || s.OpType == "AveragePool" {
		if g.classifierFirst(s, h) {
			return h, nil
		}
	}
	h.Weights, h.Bias, h.PoolOp, h.ClassifierFirst = nil, nil, "", false
	h.NoCAM = fmt.Sprintf("no global-average-pooling linear head (%v); use Grad-CAM", err)
	feat, ok := g.lastAttentionInput(h.Logits)
	if ok {
		h.NoCAM = "the head reads the class token, not pooled patches; use Grad-CAM"
	} else if feat, ok = g.lastFeatureMap(h.Logits); !ok {
		return nil, fmt.Errorf("no 4-D feature map feeds output %q", output)
	}
	return h, g.setFeature(h, feat)
}

// setFeature records feat as the head's feature map.
func (g *graph) setFeature(h *Head, feat string) error {
	l, err := g.layoutOf(feat)
	if err != nil {
		return err
	}
	h.Feature, h.layout, h.FeatureShape = feat, l, []int{1, l.c, l.h, l.w}
	return nil
}

// lastAttentionInput finds a vision transformer's default layer: the
// tokens [1,T,C] that the last block's first LayerNorm makes (the input of
// its attention, whose Softmax has T x T scores), which the class token
// reads the patches from. The last block's output is no use: only its
// class token reaches the head, so the gradient at its patch tokens is 0.
func (g *graph) lastAttentionInput(logits string) (string, bool) {
	var attn *inference.Node
	var head map[string]bool
	for i := range g.nodes {
		n := &g.nodes[i]
		if sh := g.shape(n.Outputs[0]); n.OpType != "Softmax" || len(sh) < 3 || sh[len(sh)-1] != sh[len(sh)-2] {
			continue
		}
		if head == nil {
			head = g.upstream(logits)
		}
		if head[n.Outputs[0]] {
			attn = n
		}
	}
	if attn == nil {
		return "", false
	}
	before := g.upstream(attn.Outputs[0])
	t := g.shape(attn.Outputs[0])
	tokens := t[len(t)-1]
	feat := ""
	for i := range g.nodes {
		n := &g.nodes[i]
		out := n.Outputs[0]
		if !before[out] || !g.isLayerNorm(n) {
			continue
		}
		if sh := g.shape(out); len(sh) == 3 && sh[0] == 1 && sh[1] == tokens {
			if _, _, ok := g.patchGrid(tokens); ok {
				feat = out
			}
		}
	}
	return feat, feat != ""
}

// isLayerNorm recognises LayerNormalization, and its spelled-out form of
// opsets before 17: Add(Mul(Div(Sub(x, mean), Sqrt(var + eps)), scale),
// bias).
func (g *graph) isLayerNorm(n *inference.Node) bool {
	if n.OpType == "LayerNormalization" {
		return true
	}
	follow := func(n *inference.Node, op string) *inference.Node {
		if n == nil || len(n.Inputs) != 2 {
			return nil
		}
		for _, in := range n.Inputs {
			if p := g.producer(in); p != nil && p.OpType == op {
				return p
			}
		}
		return nil
	}
	if n.OpType != "Add" {
		return false
	}
	div := follow(follow(n, "Mul"), "Div")
	return follow(div, "Sub") != nil && follow(div, "Sqrt") != nil
}

// upstream returns the tensors name is computed from, itself included.
func (g *graph) upstream(name string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{name}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[t] || t == "" {
			continue
		}
		seen[t] = true
		if p := g.producer(t); p != nil {
			stack = append(stack, p.Inputs...)
		}
	}
	return seen
}

// linearLayer recognises Gemm, MatMul(+Add) or a 1x1 Conv with constant
// weights as the last layer, fills h.Weights ([K,C]) and h.Bias, and returns
// the layer's data input.
func (g *graph) linearLayer(s *inference.Node, h *Head) (string, error) {
	k := h.NumClasses
	switch s.OpType {
	case "Gemm":
		b := g.m.Const(s.Inputs[1])
		if b == nil || b.Rank() != 2 {
			return "", fmt.Errorf("Gemm %q has no constant 2-D weights", s.Name)
		}
		attrs := gemmOf(s)
		if attrs.transA {
			return "", fmt.Errorf("Gemm %q transposes its input", s.Name)
		}
		w := b
		if !attrs.transB {
			w = transpose2D(b)
		}
		if w.Shape[0] != k {
			return "", fmt.Errorf("Gemm %q makes %d outputs, not %d", s.Name, w.Shape[0], k)
		}
		h.Weights = scaled(w, attrs.alpha)
		if len(s.Inputs) > 2 && s.Inputs[2] != "" {
			c := g.m.Const(s.Inputs[2])
			if c == nil || c.Len() != k && c.Len() != 1 {
				return "", fmt.Errorf("Gemm %q has no constant per-class bias", s.Name)
			}
			h.Bias = broadcastBias(c, k, attrs.beta)
		}
		return s.Inputs[0], nil
	case "Add":
		x, bias := s.Inputs[0], g.m.Const(s.Inputs[1])
		if bias == nil {
			x, bias = s.Inputs[1], g.m.Const(s.Inputs[0])
		}
		if bias == nil || bias.Len() != k {
			return "", fmt.Errorf("Add %q is not a per-class bias", s.Name)
		}
		_, mm := g.skipBack(x)
		if mm == nil || mm.OpType != "MatMul" {
			return "", fmt.Errorf("Add %q does not follow a MatMul", s.Name)
		}
		in, err := g.linearLayer(mm, h)
		if err != nil {
			return "", err
		}
		h.Bias = broadcastBias(bias, k, 1)
		return in, nil
	case "MatMul":
		w := g.m.Const(s.Inputs[1])
		if w == nil || w.Rank() != 2 || w.Shape[1] != k {
			return "", fmt.Errorf("MatMul %q has no constant [C,%d] weights", s.Name, k)
		}
		if s.Attrs[ops.FusedActivation] != nil {
			return "", fmt.Errorf("MatMul %q applies an activation", s.Name)
		}
		h.Weights = transpose2D(w)
		if len(s.Inputs) > 2 && s.Attrs[ops.FusedBias] != nil {
			// The bias Add the loader fused into the product.
			h.Bias = broadcastBias(g.m.Const(s.Inputs[2]), k, 1)
		}
		return s.Inputs[0], nil
	case "Conv":
		w, ok := g.conv1x1(s)
		if !ok || w.Shape[0] != k {
			return "", fmt.Errorf("Conv %q is not a 1x1 classifier", s.Name)
		}
		in := s.Inputs[0]
		if sh := g.shape(in); len(sh) != 4 || sh[2] != 1 || sh[3] != 1 {
			return "", fmt.Errorf("Conv %q runs on a spatial map", s.Name)
		}
		h.Weights = w
		if len(s.Inputs) > 2 && s.Inputs[2] != "" {
			h.Bias = broadcastBias(g.m.Const(s.Inputs[2]), k, 1)
		}
		return in, nil
	}
	return "", fmt.Errorf("the last layer is %s, not a linear layer", s.OpType)
}

// conv1x1 returns the [K,C] weights of a plain 1x1 stride-1 convolution
// with constant weights.
func (g *graph) conv1x1(s *inference.Node) (*tensor.Tensor, bool) {
	if len(s.Inputs) < 2 {
		return nil, false
	}
	w := g.m.Const(s.Inputs[1])
	if w == nil || w.Rank() != 4 || w.Shape[2] != 1 || w.Shape[3] != 1 {
		return nil, false
	}
	if g, _ := s.Attrs.Int("group", 1); g != 1 {
		return nil, false
	}
	if st, _ := s.Attrs.Ints("strides", nil); len(st) == 2 && (st[0] != 1 || st[1] != 1) {
		return nil, false
	}
	return w.Reshaped([]int{w.Shape[0], w.Shape[1]}), true
}

// poolInput checks that pooled is a global average of a 4-D feature map
// (through transparent ops) and records the map.
func (g *graph) poolInput(pooled string, h *Head) bool {
	_, s := g.skipBack(pooled)
	if s == nil || !g.isGlobalAverage(s) {
		return false
	}
	feat := s.Inputs[0]
	sh := g.shape(feat)
	if len(sh) != 4 || h.Weights == nil || h.Weights.Shape[1] != sh[1] {
		return false
	}
	// A channels-last map transposed for the pooling (Swin's final norm)
	// is the layer: the transposition changes no value.
	if t := g.producer(feat); t != nil && t.OpType == "Transpose" {
		perm, _ := t.Attrs.Ints("perm", nil)
		if slices.Equal(perm, []int64{0, 3, 1, 2}) {
			if l, err := g.layoutOf(t.Inputs[0]); err == nil && l.nhwc && l.c == sh[1] {
				feat = t.Inputs[0]
			}
		}
	}
	h.PoolOp = s.OpType
	return g.setFeature(h, feat) == nil
}

// classifierFirst recognises pool(act(conv1x1(feature))) heads.
func (g *graph) classifierFirst(pool *inference.Node, h *Head) bool {
	if !g.isGlobalAverage(pool) {
		return false
	}
	x := pool.Inputs[0]
	s := g.producer(x)
	if s != nil && (s.OpType == "Relu" || s.OpType == "Identity") {
		s = g.producer(s.Inputs[0])
	}
	if s == nil || s.OpType != "Conv" {
		return false
	}
	w, ok := g.conv1x1(s)
	if !ok || w.Shape[0] != h.NumClasses {
		return false
	}
	// Dropout and Identity before the classifier change nothing at
	// inference: the map is the tensor they were given.
	feat := s.Inputs[0]
	if len(g.shape(feat)) != 4 {
		return false
	}
	if back, _ := g.skipBack(feat); tensor.EqualShape(g.shape(back), g.shape(feat)) {
		feat = back
	}
	h.Weights = w
	if len(s.Inputs) > 2 && s.Inputs[2] != "" {
		h.Bias = broadcastBias(g.m.Const(s.Inputs[2]), h.NumClasses, 1)
	}
	h.PoolOp, h.ClassifierFirst = pool.OpType, true
	return g.setFeature(h, feat) == nil
}

// isGlobalAverage reports whether s averages a 4-D map over all its
// positions.
func (g *graph) isGlobalAverage(s *inference.Node) bool {
	in := g.shape(s.Inputs[0])
	if len(in) != 4 {
		return false
	}
	out := g.shape(s.Outputs[0])
	switch s.OpType {
	case "GlobalAveragePool":
		return true
	case "ReduceMean", "AveragePool":
		return tensor.Size(out) == in[0]*in[1] && s.OpType == "ReduceMean" ||
			s.OpType == "AveragePool" && len(out) == 4 && out[2] == 1 && out[3] == 1
	}
	return false
}

// lastFeatureMap walks back from the logits to the first 4-D tensor with a
// spatial extent (in its layout: ConvNeXt's head norm, [1,1,1,C] channels
// last, has none); an average pooling right before the flattening belongs
// to the head, so the map is the pooling's input.
func (g *graph) lastFeatureMap(logits string) (string, bool) {
	name := logits
	for range len(g.nodes) + 1 {
		sh := g.shape(name)
		if l, err := g.layoutOf(name); err == nil && len(sh) == 4 && l.h*l.w > 1 {
			if s := g.producer(name); s != nil && (s.OpType == "AveragePool" || s.OpType == "GlobalAveragePool") {
				if in := g.shape(s.Inputs[0]); len(in) == 4 {
					return s.Inputs[0], true
				}
			}
			return name, true
		}
		s := g.producer(name)
		if s == nil {
			return "", false
		}
		next := ""
		for _, in := range s.Inputs {
			if in != "" && g.m.Const(in) == nil {
				next = in
				break
			}
		}
		if next == "" {
			return "", false
		}
		if s.OpType == "GlobalAveragePool" || s.OpType == "AveragePool" || s.OpType == "ReduceMean" {
			if sh := g.shape(next); len(sh) == 4 && sh[2]*sh[3] > 1 {
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

func gemmOf(s *inference.Node) gemmAttrs {
	alpha, _ := s.Attrs.Float("alpha", 1)
	beta, _ := s.Attrs.Float("beta", 1)
	ta, _ := s.Attrs.Int("transA", 0)
	tb, _ := s.Attrs.Int("transB", 0)
	return gemmAttrs{alpha: alpha, beta: beta, transA: ta != 0, transB: tb != 0}
}
