// Package cam computes class activation maps for any classifier the engine
// runs: CAM (Zhou et al. 2016) from the weights of a global-average-pooling
// linear head; Grad-CAM, Grad-CAM++, XGrad-CAM, HiResCAM, LayerCAM and
// EigenGrad-CAM from the gradient of a class logit; Eigen-CAM from the
// activations alone. They are computed at the feature map and logits that
// DiscoverHead finds through the model's read-only view of its graph
// (inference.Model.Nodes), or at another 4-D layer, or at several layers
// combined. Maps are raw float32 grids at the feature map's resolution,
// signed, without ReLU or normalisation (but for several layers, whose
// combination scales each: see NewLayers): how they are shown is the
// renderer's business. Options add pytorch-grad-cam's smoothings to any
// method (smooth.go).
package cam

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"camscope/inference"
	"camscope/inference/tensor"
)

// Method selects how a map is computed. In the definitions below, k is
// the class, y_k its logit (before the softmax), A the activations at the
// layer (C channels of h x w), A_c channel c, G = dy_k/dA the gradient of the
// logit with respect to them, and sum_yx a sum over the h x w positions.
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
	// GradCAMPlusPlus (Chattopadhyay et al. 2018, "Grad-CAM++") weights
	// channel c by its positive gradients, each weighted by alpha, in the
	// closed form for an exponential of the logit (eq. 19 of the paper, as
	// pytorch-grad-cam computes it):
	//   alpha_c(y,x) = G_c^2 / (2 G_c^2 + sum_yx(A_c) G_c^3)  (0 where the denominator is 0),
	//   w_c = sum_yx(alpha_c relu(G_c)),  M_k = sum_c w_c A_c.
	// pytorch-grad-cam adds 1e-6 to the denominator; this does not, so the
	// weights do not depend on the logits' scale (with gradients below
	// about 1e-3, pytorch-grad-cam's alpha is mostly that constant's).
	GradCAMPlusPlus Method = "gradcampp"
	// XGradCAM (Fu et al. 2020, "XGrad-CAM") weights channel c by its
	// gradient averaged with the activation as weights:
	//   w_c = sum_yx(G_c A_c) / (sum_yx(A_c) + 1e-7),  M_k = sum_c w_c A_c
	// (the 1e-7 is pytorch-grad-cam's guard against an empty channel).
	XGradCAM Method = "xgradcam"
	// HiResCAM (Draelos & Carin 2020) multiplies gradient and activation
	// position by position instead of averaging the gradient first:
	//   M_k(y,x) = sum_c G_c(y,x) A_c(y,x).
	// For a GAP + linear head it equals Grad-CAM; elsewhere it shows
	// exactly which positions raise the logit.
	HiResCAM Method = "hirescam"
	// LayerCAM (Jiang et al. 2021) keeps only positive gradients, position
	// by position: M_k(y,x) = sum_c relu(G_c(y,x)) A_c(y,x). It is meant
	// for earlier, finer layers as well as the last one.
	LayerCAM Method = "layercam"
	// EigenCAM (Muhammad & Yeasin 2020, "Eigen-CAM") uses no gradient: the
	// h*w positions are points of C dimensions, centred (the mean over
	// positions subtracted from each channel, as pytorch-grad-cam does),
	// and projected on their first principal component v (the first right
	// singular vector of the centred (h*w x C) matrix X):
	//   M(y,x) = (X v)(y,x).
	// It is class-agnostic: every class gets the same map. A singular
	// vector's sign is arbitrary; the map's is chosen so that it correlates
	// positively with the activations summed over channels, sum_c A_c (if
	// they are uncorrelated, to rounding, so that its value of largest
	// magnitude is positive).
	EigenCAM Method = "eigencam"
	// EigenGradCAM (pytorch-grad-cam's "EigenGrad-CAM") is Eigen-CAM on the
	// element-wise product G_c(y,x) A_c(y,x) instead of A, and so depends on
	// the class; its sign makes it correlate positively with
	// sum_c G_c A_c, the HiResCAM map.
	EigenGradCAM Method = "eigengradcam"
	// ScoreCAM (Wang et al. 2020, "Score-CAM") weighs each channel by how
	// much the model's class logit keeps when the input is masked by that
	// channel (upsampled with corners aligned, scaled to [0,1]):
	//   w = softmax_c(y_k(x ∘ M_c)),  M_k = sum_c w_c A_c,
	// one forward pass per channel (see Scores; Options.Score chooses the
	// fast variant and the paper's baseline). No gradient.
	ScoreCAM Method = "scorecam"
	// AblationCAM (Desai & Ramaswamy 2020, "Ablation-CAM") weighs each
	// channel by the relative drop of the class logit when the channel is
	// zeroed: w_c = (y_k - y_k^(c)) / y_k,  M_k = sum_c w_c A_c; from the
	// head alone where the layer feeds a linear GAP head, else one pass
	// from the layer on per channel (see Ablation). No gradient.
	AblationCAM Method = "ablationcam"
	// Occlusion (Zeiler & Fergus 2014, occlusion sensitivity) greys out
	// a square of the input at a time (every channel set to 0, the mean
	// after normalisation) and maps how much the probability of class k
	// drops: M_k(y,x) = mean over the squares S_j covering (y,x) of
	// p_k(x) - p_k(x with S_j grey), at the input's resolution, one
	// forward pass per square (see Sensitivity; Options.Occlusion chooses
	// the square and its step). It reads no layer. No gradient.
	Occlusion Method = "occlusion"
	// Rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in
	// Transformers") follows a vision transformer's class token through
	// the attention of every block, from the attention probabilities
	// alone: block l's heads averaged (Options.HeadsMax: their maximum),
	// the identity added for the residual connection and each row divided
	// by its sum, A_l = norm(fuse(attn_l) + I); the rollout is
	// A_L ... A_2 A_1, and the map its class token's row at the patches
	// (DeiT's distillation token dropped):
	//   M(y,x) = (A_L ... A_1)[cls, patch(y,x)].
	// It applies to ViT and DeiT (see Explainer.SupportsRollout), is
	// class-agnostic (every class gets the same map) and does not depend
	// on the layer: the map is always on the patch grid.
	Rollout Method = "rollout"
)

// Methods lists the methods in the order a menu shows them.
func Methods() []Method {
	return []Method{CAM, GradCAM, GradCAMPlusPlus, XGradCAM, HiResCAM, LayerCAM, EigenCAM, EigenGradCAM, ScoreCAM, AblationCAM, Occlusion, Rollout}
}

// aliases are other spellings ParseMethod accepts, once it has lowered
// the case and removed hyphens, underscores and spaces (so "Grad-CAM" and
// "EigenGrad-CAM", the window's names, need none).
var aliases = map[string]Method{
	"gradcam++":        GradCAMPlusPlus,
	"gradcamplusplus":  GradCAMPlusPlus,
	"attentionrollout": Rollout,
}

// ParseMethod accepts a method's name ("cam", "gradcam", "gradcampp", ...),
// in any case and with or without hyphens, underscores and spaces
// ("Grad-CAM", "eigen_cam"), or an alias ("grad-cam++").
func ParseMethod(s string) (Method, error) {
	name := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
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
	last := len(names) - 1
	return "", fmt.Errorf("unknown method %q: use %s or %s", s, strings.Join(names[:last], ", "), names[last])
}

// needsGradient reports whether the method's maps need the gradient of
// the logit, and so a tape (Model.ForwardAll) rather than a plain Run.
func (m Method) needsGradient() bool {
	return m != CAM && m != EigenCAM && m != ScoreCAM && m != AblationCAM && m != Occlusion && m != Rollout
}

// byPasses reports whether the method runs forward passes of its own
// (Score-CAM and Ablation-CAM to weigh channels, Occlusion to grey out
// squares): many passes for one input, which is why they take one layer
// and no augmentation smoothing.
func (m Method) byPasses() bool { return m == ScoreCAM || m == AblationCAM || m == Occlusion }

// ErrNoCAMHead is returned for CAM on a model or layer where it does not
// apply.
var ErrNoCAMHead = errors.New("CAM does not apply")

// ErrNoAttention is returned for Rollout on a model without a vision
// transformer's attention over a class token.
var ErrNoAttention = errors.New("attention rollout does not apply")

// Explainer computes maps for one model at one layer, or at several
// layers combined. It is immutable and safe for concurrent use.
type Explainer struct {
	Model *inference.Model
	Head  *Head
	Layer string // the feature tensor the maps are computed on (the first of Layers)
	// Layers are the feature tensors whose maps are combined (see
	// NewLayers); one, Layer, for a raw map.
	Layers  []string
	Labels  []string
	layouts []layout // per layer
}

// New prepares an explainer. layer "" means the discovered feature map;
// otherwise it must be a 4-D tensor of the graph. labels may be nil (then
// classes are named by index).
func New(m *inference.Model, labels []string, layer string) (*Explainer, error) {
	return NewLayers(m, labels, []string{layer})
}

// NewLayers prepares an explainer whose maps combine several layers (each
// as New takes it; none means the discovered feature map), as
// pytorch-grad-cam combines its target layers: each layer's map clipped at
// 0 (ReLU) and scaled by its minimum and maximum to [0,1], resized
// bilinearly to the grid of the layer with the most positions (the first
// such), averaged, and the average scaled to [0,1] again (combineLayers).
// A map of several layers is therefore no longer raw: it is in [0,1],
// and the maps of two classes no longer compare in size.
func NewLayers(m *inference.Model, labels []string, layers []string) (*Explainer, error) {
	h, err := DiscoverHead(m)
	if err != nil {
		return nil, err
	}
	if labels != nil && len(labels) != h.NumClasses {
		return nil, fmt.Errorf("the labels list %d classes but the model has %d; give the labels file that belongs to this model", len(labels), h.NumClasses)
	}
	if len(layers) == 0 {
		layers = []string{""}
	}
	e := &Explainer{Model: m, Head: h, Labels: labels}
	g := &graph{m: m, nodes: m.Nodes()}
	for _, layer := range layers {
		if layer == "" {
			layer = h.Feature
		}
		if slices.Contains(e.Layers, layer) {
			return nil, fmt.Errorf("layer %q is named twice", layer)
		}
		l := h.layout
		if layer != h.Feature {
			if _, ok := m.Shape(layer); !ok {
				return nil, fmt.Errorf("the model has no tensor named %q (list them with 'camscope run --model %s --list')", layer, m.Name)
			}
			if l, err = g.layoutOf(layer); err != nil {
				return nil, err
			}
		}
		e.Layers = append(e.Layers, layer)
		e.layouts = append(e.layouts, l)
	}
	e.Layer = e.Layers[0]
	return e, nil
}

// SupportsCAM reports whether plain CAM applies at the explainer's layer,
// and if not, why.
func (e *Explainer) SupportsCAM() (bool, string) {
	if e.Head.Weights == nil {
		if e.Head.NoCAM == "" {
			return false, "no global-average-pooling linear head; use Grad-CAM"
		}
		return false, e.Head.NoCAM
	}
	if len(e.Layers) > 1 || e.Layer != e.Head.Feature {
		return false, fmt.Sprintf("CAM needs the layer that feeds the pooling (%s), alone; use Grad-CAM at other layers", e.Head.Feature)
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

// Pass is the result of the forward passes on one input (one, or six with
// Options.AugSmooth): the logits and the feature maps, from which maps for
// any number of classes are computed.
type Pass struct {
	e       *Explainer
	method  Method
	opt     Options
	Logits  []float32      // of the input as given
	Probs   []float64      // of the input as given
	Feature *tensor.Tensor // [1,C,h,w] at the explainer's Layer (its grid form), of the input as given
	runs    []run          // the input as given first, then the other augmentations

	eigenOnce sync.Once // Eigen-CAM's map, the same for every class
	eigen     Map
	eigenErr  error

	score     *Scores      // Score-CAM's passes
	ablation  *Ablation    // Ablation-CAM's drops
	occlusion *Sensitivity // Occlusion's passes
}

// run is one forward pass, on one augmentation of the input.
type run struct {
	aug   augmentation
	feats []*tensor.Tensor // one per layer of the explainer
	tape  *inference.Tape  // at every layer, for a method that needs the gradient
	attn  []*tensor.Tensor // every block's attention, for Rollout
}

// Forward runs the model on x (already preprocessed). For a method that
// needs the gradient it also records what the backward passes (one per
// class asked for) need.
func (e *Explainer) Forward(ctx context.Context, x *tensor.Tensor, method Method) (*Pass, error) {
	return e.ForwardOptions(ctx, x, method, Options{})
}

// ForwardOptions is Forward with smoothing: with opt.AugSmooth it runs
// the model on six augmentations of x (see Options), keeping each.
func (e *Explainer) ForwardOptions(ctx context.Context, x *tensor.Tensor, method Method, opt Options) (*Pass, error) {
	if len(e.Model.Inputs) != 1 {
		return nil, fmt.Errorf("the model has %d inputs; CAMscope explains models with one image input", len(e.Model.Inputs))
	}
	if !slices.Contains(Methods(), method) {
		return nil, fmt.Errorf("unknown method %q", method)
	}
	if ok, why := e.SupportsCAM(); method == CAM && !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoCAMHead, why)
	}
	if ok, why := e.SupportsRollout(); method == Rollout && !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoAttention, why)
	}
	if err := opt.Check(method); err != nil {
		return nil, err
	}
	if method.byPasses() && len(e.Layers) > 1 {
		return nil, fmt.Errorf("%s runs forward passes of its own for each channel of one layer; give one layer", method)
	}
	p := &Pass{e: e, method: method, opt: opt}
	augs := augmentations[:1]
	if opt.AugSmooth {
		augs = augmentations
	}
	for _, aug := range augs {
		in, err := aug.apply(x, opt.NHWC)
		if err != nil {
			return nil, err
		}
		inputs := map[string]*tensor.Tensor{e.Model.Inputs[0].Name: in}
		r := run{aug: aug}
		var out map[string]*tensor.Tensor
		switch {
		case method.needsGradient():
			r.tape, out, err = e.Model.ForwardAll(ctx, inputs, e.Layers, e.Head.Logits)
		case method == Rollout:
			out, err = e.Model.Run(ctx, inputs, slices.Concat([]string{e.Head.Logits}, e.Layers, e.Head.Attention)...)
		default:
			out, err = e.Model.Run(ctx, inputs, append([]string{e.Head.Logits}, e.Layers...)...)
		}
		if err != nil {
			return nil, err
		}
		if method == Rollout {
			for _, a := range e.Head.Attention {
				if out[a] == nil {
					return nil, fmt.Errorf("the run did not produce the attention %q", a)
				}
				r.attn = append(r.attn, out[a])
			}
		}
		logits := out[e.Head.Logits]
		for i, l := range e.Layers {
			if out[l] == nil || logits == nil || len(logits.F) != e.Head.NumClasses {
				return nil, fmt.Errorf("the run did not produce the logits and the feature map")
			}
			feat, err := e.layouts[i].grid(out[l])
			if err != nil {
				return nil, err
			}
			r.feats = append(r.feats, feat)
		}
		if p.Logits == nil {
			p.Logits = logits.F
		}
		p.runs = append(p.runs, r)
	}
	p.Feature = p.runs[0].feats[0]
	p.Probs = Softmax(p.Logits)
	var err error
	switch method {
	case ScoreCAM:
		so := opt.Score
		if len(so.Classes) == 0 {
			so.Classes = []int{p.Top(1)[0].Index}
		}
		p.score, err = e.ScoreCAM(ctx, x, p.Feature, so)
	case AblationCAM:
		p.ablation, err = e.AblationCAM(ctx, x, p.Feature, p.Logits)
	case Occlusion:
		p.occlusion, err = e.Occlusion(ctx, x, p.Probs, opt.NHWC, opt.Occlusion)
	}
	if err != nil {
		return nil, err
	}
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

// Map computes the map of class k with the pass's method and options.
func (p *Pass) Map(k int) (Map, error) {
	m, _, err := p.MapAndWeights(k)
	return m, err
}

// MapAndWeights is Map with, for a method whose map is a weighted sum of
// the feature channels, the weight of each channel of each layer of the
// explainer in the map of class k, for the input as given, from the same
// backward pass as the map: the head's weights W[k,:] for CAM, and for
// Grad-CAM, Grad-CAM++, XGrad-CAM, Score-CAM and Ablation-CAM the weights
// their definitions give (see the Method constants). The other methods
// (HiResCAM, LayerCAM, Eigen-CAM, EigenGrad-CAM, Rollout) compute their
// map position by position, and Occlusion reads no channel: nil.
func (p *Pass) MapAndWeights(k int) (Map, [][]float32, error) {
	maps, weights, err := p.MapsAndWeights([]int{k})
	if err != nil {
		return Map{}, nil, err
	}
	return maps[0], weights[0], nil
}

// MapsAndWeights is MapAndWeights for the classes ks (result i is class
// ks[i]'s): for a method that needs the gradient, the gradients of all the
// classes of a run come from one call (Tape.GradsOfLogits) and Rollout's
// map is computed once. Ask for all the classes a pass is explained for
// at once; a class out of range fails the call before any work.
func (p *Pass) MapsAndWeights(ks []int) ([]Map, [][][]float32, error) {
	for _, k := range ks {
		if err := p.checkClass(k); err != nil {
			return nil, nil, err
		}
	}
	maps, weights := make([]Map, len(ks)), make([][][]float32, len(ks))
	if len(ks) == 0 {
		return maps, weights, nil
	}
	switch p.method {
	case EigenCAM:
		p.eigenOnce.Do(func() {
			var eigen []Map
			if eigen, _, p.eigenErr = p.smoothed(ks[:1]); p.eigenErr == nil {
				p.eigen = eigen[0]
			}
		})
		if p.eigenErr != nil {
			return nil, nil, p.eigenErr
		}
		for i := range ks {
			maps[i] = Map{W: p.eigen.W, H: p.eigen.H, Data: slices.Clone(p.eigen.Data)}
		}
		return maps, weights, nil
	case Occlusion:
		for i, k := range ks {
			var err error
			if maps[i], err = p.occlusion.Map(k); err != nil {
				return nil, nil, err
			}
		}
		return maps, weights, nil
	}
	return p.smoothed(ks)
}

// grads returns the gradient of each logit of ks at each layer of run r,
// in the layers' grid form, from one backward pass: grads[i][l] is class
// ks[i]'s at layer l.
func (p *Pass) grads(r run, ks []int) ([][]*tensor.Tensor, error) {
	grads, err := r.tape.GradsOfLogits(ks)
	if err != nil {
		return nil, err
	}
	for _, gs := range grads {
		for i, g := range gs {
			if gs[i], err = p.e.layouts[i].grid(g); err != nil {
				return nil, err
			}
			if gs[i] != g {
				// The layer's own form is not needed any more: its array
				// goes back to tensor's pool (one per class and layer).
				tensor.Recycle(g)
			}
		}
	}
	return grads, nil
}

// weights are the channel weights of class k of a channel-weighting
// method at a layer whose activations are feat and gradient grad.
func (p *Pass) weights(feat, grad *tensor.Tensor, k int) ([]float32, error) {
	c, hw := feat.Shape[1], feat.Shape[2]*feat.Shape[3]
	switch p.method {
	case CAM:
		return slices.Clone(p.e.Head.Weights.F[k*c : (k+1)*c]), nil
	case ScoreCAM:
		return p.score.ChannelWeights(k)
	case AblationCAM:
		return p.ablation.ChannelWeights(k)
	}
	return gradWeights(p.method, feat.F, grad.F, c, hw), nil
}

// principal says whether the pass's maps are principal components
// (principalProjection): the Eigen methods, and eigen-smoothing.
func (p *Pass) principal() bool {
	return p.method == EigenCAM || p.method == EigenGradCAM || p.opt.EigenSmooth
}

// layerMap is the map of class k at one layer of one run, and the
// channel weights for a method that has them.
func (p *Pass) layerMap(feat, grad *tensor.Tensor, k int) (Map, []float32, error) {
	c, h, w := feat.Shape[1], feat.Shape[2], feat.Shape[3]
	switch p.method {
	case CAM, GradCAM, GradCAMPlusPlus, XGradCAM, ScoreCAM, AblationCAM:
		weights, err := p.weights(feat, grad, k)
		if err != nil {
			return Map{}, nil, err
		}
		if p.opt.EigenSmooth {
			m, err := principalProjection(weightedPlanes(feat.F, weights, h*w), c, h, w)
			return m, weights, err
		}
		return weightedSum(feat.F, weights, h, w), weights, nil
	case EigenCAM:
		m, err := principalProjection(feat.F, c, h, w)
		return m, nil, err
	case HiResCAM, LayerCAM:
		if p.opt.EigenSmooth {
			m, err := principalProjection(gradProduct(feat.F, grad.F, p.method == LayerCAM), c, h, w)
			return m, nil, err
		}
		return gradTimesFeature(feat.F, grad.F, c, h, w, p.method == LayerCAM), nil, nil
	}
	m, err := principalProjection(gradProduct(feat.F, grad.F, false), c, h, w)
	return m, nil, err
}

func (p *Pass) checkClass(k int) error {
	if k < 0 || k >= len(p.Logits) {
		return fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, len(p.Logits)-1)
	}
	return nil
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
	return toMap(acc, h, w)
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
