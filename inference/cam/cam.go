// Package cam computes class activation maps: CAM (Zhou et al. 2016) from
// the weights of a global-average-pooling linear head, and Grad-CAM
// (Selvaraju et al. 2017) from the gradient of a class logit, for any
// classifier the engine runs, at the feature map and logits that
// DiscoverHead finds through the model's read-only view of its graph
// (inference.Model.Nodes). Maps are raw float32 grids at the feature map's
// resolution, signed, without ReLU or normalisation: how they are shown is
// the renderer's business.
package cam

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"camscope/inference"
	"camscope/inference/tensor"
)

// Method selects how a map is computed.
type Method string

const (
	// CAM weights the feature channels by the linear head's weights:
	// M_k(y,x) = sum_c W[k,c] f_c(y,x). The bias is left out: it shifts
	// the map's mean by a constant. It needs a GAP + linear head and the
	// feature map that feeds it.
	CAM Method = "cam"
	// GradCAM weights the channels by the spatial mean of d logit_k /
	// d f_c, at any 4-D layer: M_k = sum_c mean_yx(grad_c) f_c. For a GAP
	// + linear head that is CAM divided by h*w.
	GradCAM Method = "gradcam"
)

// Methods lists the methods in the order a menu shows them.
func Methods() []Method { return []Method{CAM, GradCAM} }

// aliases are other spellings ParseMethod accepts.
var aliases = map[string]Method{"grad-cam": GradCAM}

// ParseMethod accepts a method's name ("cam", "gradcam") or an alias
// ("grad-cam"), in any case.
func ParseMethod(s string) (Method, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if m, ok := aliases[name]; ok {
		return m, nil
	}
	var names []string
	for _, m := range Methods() {
		if name == string(m) {
			return m, nil
		}
		names = append(names, string(m))
	}
	return "", fmt.Errorf("unknown method %q: use %s", s, strings.Join(names, " or "))
}

// ErrNoCAMHead is returned for CAM on a model or layer where it does not
// apply.
var ErrNoCAMHead = errors.New("CAM does not apply")

// Explainer computes maps for one model at one layer. It is immutable and
// safe for concurrent use.
type Explainer struct {
	Model  *inference.Model
	Head   *Head
	Layer  string // the feature tensor the maps are computed on
	Labels []string
}

// New prepares an explainer. layer "" means the discovered feature map;
// otherwise it must be a 4-D tensor of the graph. labels may be nil (then
// classes are named by index).
func New(m *inference.Model, labels []string, layer string) (*Explainer, error) {
	h, err := DiscoverHead(m)
	if err != nil {
		return nil, err
	}
	if labels != nil && len(labels) != h.NumClasses {
		return nil, fmt.Errorf("the labels list %d classes but the model has %d; give the labels file that belongs to this model", len(labels), h.NumClasses)
	}
	e := &Explainer{Model: m, Head: h, Layer: h.Feature, Labels: labels}
	if layer != "" && layer != h.Feature {
		sh, ok := m.Shape(layer)
		if !ok {
			return nil, fmt.Errorf("the model has no tensor named %q (list them with 'camscope run --model %s --list')", layer, m.Name)
		}
		if len(sh) != 4 || sh[0] != 1 || m.Const(layer) != nil {
			return nil, fmt.Errorf("layer %q has shape %s; a map needs a 4-D feature map [1,C,H,W] computed from the input", layer, tensor.ShapeString(sh))
		}
		e.Layer = layer
	}
	return e, nil
}

// SupportsCAM reports whether plain CAM applies at the explainer's layer,
// and if not, why.
func (e *Explainer) SupportsCAM() (bool, string) {
	if e.Head.Weights == nil {
		return false, "the model has no global-average-pooling linear head: " + e.Head.NoCAM
	}
	if e.Layer != e.Head.Feature {
		return false, fmt.Sprintf("CAM needs the layer that feeds the pooling (%s); use Grad-CAM at other layers", e.Head.Feature)
	}
	return true, ""
}

// Label names class k: its label, or "class k" without labels.
func (e *Explainer) Label(k int) string {
	if k >= 0 && k < len(e.Labels) && e.Labels[k] != "" {
		return e.Labels[k]
	}
	return "class " + strconv.Itoa(k)
}

// Class is one prediction.
type Class struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Logit float32 `json:"logit"`
	Prob  float64 `json:"prob"`
}

// Pass is the result of one forward pass on one input: the logits and the
// feature map, from which maps for any number of classes are computed.
type Pass struct {
	e       *Explainer
	Logits  []float32
	Probs   []float64
	Feature *tensor.Tensor // [1,C,h,w] at the explainer's layer
	tape    *inference.Tape
}

// Forward runs the model on x (already preprocessed). With GradCAM it also
// records what the backward passes need.
func (e *Explainer) Forward(ctx context.Context, x *tensor.Tensor, method Method) (*Pass, error) {
	if len(e.Model.Inputs) != 1 {
		return nil, fmt.Errorf("the model has %d inputs; CAMscope explains models with one image input", len(e.Model.Inputs))
	}
	inputs := map[string]*tensor.Tensor{e.Model.Inputs[0].Name: x}
	p := &Pass{e: e}
	var out map[string]*tensor.Tensor
	var err error
	switch method {
	case CAM:
		if ok, why := e.SupportsCAM(); !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoCAMHead, why)
		}
		out, err = e.Model.Run(ctx, inputs, e.Head.Logits, e.Layer)
	case GradCAM:
		p.tape, out, err = e.Model.Forward(ctx, inputs, e.Layer, e.Head.Logits)
	default:
		return nil, fmt.Errorf("unknown method %q", method)
	}
	if err != nil {
		return nil, err
	}
	p.Logits = out[e.Head.Logits].F
	p.Feature = out[e.Layer]
	if p.Feature == nil || len(p.Logits) != e.Head.NumClasses {
		return nil, fmt.Errorf("the run did not produce the logits and the feature map")
	}
	p.Probs = Softmax(p.Logits)
	return p, nil
}

// Top returns the k most probable classes, most probable first.
func (p *Pass) Top(k int) []Class {
	idx := make([]int, len(p.Logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.Logits[idx[a]] > p.Logits[idx[b]] })
	k = min(max(k, 0), len(idx))
	out := make([]Class, k)
	for i := range out {
		out[i] = p.Class(idx[i])
	}
	return out
}

// Class describes class k of this pass.
func (p *Pass) Class(k int) Class {
	return Class{Index: k, Label: p.e.Label(k), Logit: p.Logits[k], Prob: p.Probs[k]}
}

// Map is a class activation map on the feature grid: H rows of W values.
type Map struct {
	W, H int
	Data []float32
}

// Map computes the map of class k with the pass's method.
func (p *Pass) Map(k int) (Map, error) {
	weights, err := p.ChannelWeights(k)
	if err != nil {
		return Map{}, err
	}
	return weightedSum(p.Feature.F, weights, p.Feature.Shape[2], p.Feature.Shape[3]), nil
}

// ChannelWeights returns the weight of each feature channel in the map of
// class k: the head's weights W[k,:] for CAM, the spatial means of the
// logit's gradient for Grad-CAM.
func (p *Pass) ChannelWeights(k int) ([]float32, error) {
	if k < 0 || k >= len(p.Logits) {
		return nil, fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, len(p.Logits)-1)
	}
	c, hw := p.Feature.Shape[1], p.Feature.Shape[2]*p.Feature.Shape[3]
	weights := make([]float32, c)
	if p.tape == nil {
		copy(weights, p.e.Head.Weights.F[k*c:(k+1)*c])
		return weights, nil
	}
	g, err := p.tape.GradOfLogit(k)
	if err != nil {
		return nil, err
	}
	for ch := range weights {
		var s float64
		for _, v := range g.F[ch*hw : (ch+1)*hw] {
			s += float64(v)
		}
		weights[ch] = float32(s / float64(hw))
	}
	return weights, nil
}

// weightedSum returns sum_c weights[c] * feat[c] over an h x w grid,
// accumulated in float64 so that large channel counts do not lose the
// small differences between classes.
func weightedSum(feat, weights []float32, h, w int) Map {
	hw := h * w
	acc := make([]float64, hw)
	for c, wc := range weights {
		if wc == 0 {
			continue
		}
		f := feat[c*hw : (c+1)*hw]
		for i, v := range f {
			acc[i] += float64(wc) * float64(v)
		}
	}
	m := Map{W: w, H: h, Data: make([]float32, hw)}
	for i, v := range acc {
		m.Data[i] = float32(v)
	}
	return m
}

// Softmax returns the probabilities of logits, computed stably in float64.
func Softmax(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// FindClasses resolves a class the user names: a number is a class index;
// anything else matches labels containing it, case-insensitively, best
// first (whole-word and prefix matches before inner ones).
func FindClasses(labels []string, numClasses int, query string) ([]int, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, fmt.Errorf("name a class by its index or part of its label")
	}
	if k, err := strconv.Atoi(q); err == nil {
		if k < 0 || k >= numClasses {
			return nil, fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, numClasses-1)
		}
		return []int{k}, nil
	}
	type hit struct{ k, rank int }
	var hits []hit
	for k, l := range labels {
		l = strings.ToLower(l)
		i := strings.Index(l, q)
		if i < 0 {
			continue
		}
		rank := 2
		if i == 0 || !isLetter(l[i-1]) {
			rank = 1
			if i+len(q) == len(l) || !isLetter(l[i+len(q)]) {
				rank = 0
			}
		}
		hits = append(hits, hit{k, rank})
	}
	if len(hits) == 0 {
		if labels == nil {
			return nil, fmt.Errorf("the model has no labels: name the class by its index (0 to %d)", numClasses-1)
		}
		return nil, fmt.Errorf("no class label contains %q", query)
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].rank < hits[b].rank })
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.k
	}
	return out, nil
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
