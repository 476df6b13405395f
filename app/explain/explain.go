package explain

import (
	"context"
	"fmt"
	"image"
	"time"

	"camscope/app/faithfulness"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// Request says what to explain.
type Request struct {
	Method Method // one of cam.Methods
	TopK   int    // how many of the most probable classes, 1 to MaxTopK
	// Classes are explained in addition to the top k (by index), e.g. ones
	// the user searched for.
	Classes []int
	// AugSmooth and EigenSmooth are pytorch-grad-cam's smoothings (see
	// cam.Options).
	AugSmooth, EigenSmooth bool
	// ScoreChannels, when above 0, makes Score-CAM keep only that many
	// channels (the fast variant), and ScoreBaseline weigh by the paper's
	// probability over a blank input (see cam.ScoreOptions).
	ScoreChannels int
	ScoreBaseline bool
	// OcclusionWindow and OcclusionStride are Occlusion's square and step
	// in input pixels; 0 takes cam.OcclusionWindow's defaults.
	OcclusionWindow, OcclusionStride int
	// HeadsMax makes attention rollout fuse the heads by their maximum
	// instead of their mean (see cam.Options).
	HeadsMax bool
	// Progress, when set, hears how many of a slow method's forward passes
	// are done (Score-CAM's: one per channel; Occlusion's: one per square).
	Progress func(done, total int)
	// Layer is the feature tensor the maps are computed on; "" is the
	// model's discovered one (see Model.ExplainerAt).
	Layer string
}

// MaxTopK bounds TopK.
const MaxTopK = 20

// DefaultTopK is the number of classes shown unless asked otherwise.
const DefaultTopK = 5

// Validate reports a request that cannot be served.
func (r Request) Validate(numClasses int) error {
	if r.TopK < 0 || r.TopK > MaxTopK {
		return fmt.Errorf("top-k must be between 1 and %d, not %d", MaxTopK, r.TopK)
	}
	if r.TopK == 0 && len(r.Classes) == 0 {
		return fmt.Errorf("ask for at least one class: top-k is 0 and no class is named")
	}
	for _, k := range r.Classes {
		if k < 0 || k >= numClasses {
			return fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, numClasses-1)
		}
	}
	m, err := cam.ParseMethod(string(r.Method))
	if err != nil {
		return err
	}
	return r.options(false).Check(m)
}

// options are the request's smoothings for an input in NHWC or not.
func (r Request) options(nhwc bool) cam.Options {
	return cam.Options{AugSmooth: r.AugSmooth, EigenSmooth: r.EigenSmooth, NHWC: nhwc, HeadsMax: r.HeadsMax,
		Score:     cam.ScoreOptions{Channels: r.ScoreChannels, Baseline: r.ScoreBaseline, Progress: r.Progress},
		Occlusion: cam.OcclusionOptions{Window: r.OcclusionWindow, Stride: r.OcclusionStride, Progress: r.Progress}}
}

// Explained is one class with its map.
type Explained struct {
	cam.Class
	Rank int     // 1 for the most probable class; 0 for an added class outside the top k
	Map  cam.Map // raw map on the feature grid (in [0,1] for several layers: see cam.NewLayers)
	// Weights are the channel weights of each layer (Model.Layers), for
	// the photo as given, for a method that weights channels; nil for the
	// others (see cam.Pass.MapAndWeights).
	Weights [][]float32
	// Scores are the map's faithfulness scores with this class as the
	// target, once someone measured them (Result.Measure); nil before.
	Scores *faithfulness.Scores
}

// Timings of one explanation.
type Timings struct {
	Preprocess time.Duration `json:"preprocess_ns"`
	Forward    time.Duration `json:"forward_ns"`
	Maps       time.Duration `json:"maps_ns"`
}

// Result is the explanation of one photo by one model.
type Result struct {
	Model    *Model
	Request  Request
	Photo    *image.RGBA         // the photo the maps are placed on
	Geometry preprocess.Geometry // where the model's input lies in the photo
	Classes  []Explained         // top k by rank, then the added classes
	Input    *tensor.Tensor      // the model's input the maps were computed from
	Timings  Timings
}

// Layer is the feature tensor the result's maps were computed on.
func (r *Result) Layer() string {
	if r.Request.Layer != "" {
		return r.Request.Layer
	}
	return r.Model.Layer()
}

// Layers are the feature tensors the maps were computed on: the layer
// the request chose, or the model's one or several.
func (r *Result) Layers() []string {
	if r.Request.Layer != "" {
		return []string{r.Request.Layer}
	}
	return r.Model.Layers()
}

// Photo explains a photo (8-bit RGB, upright).
func Photo(ctx context.Context, m *Model, photo *image.RGBA, req Request) (*Result, error) {
	if err := req.Validate(m.NumClasses()); err != nil {
		return nil, err
	}
	t0 := time.Now()
	x, geo, err := preprocess.Prepare(photo, m.Spec)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Request: req, Photo: photo, Geometry: geo}
	res.Timings.Preprocess = time.Since(t0)
	if err := res.run(ctx, x); err != nil {
		return nil, err
	}
	return res, nil
}

// Tensor explains an already preprocessed input tensor; the maps then stay
// on the tensor's grid (Photo is nil and Geometry covers the tensor).
func Tensor(ctx context.Context, m *Model, x *tensor.Tensor, req Request) (*Result, error) {
	if err := req.Validate(m.NumClasses()); err != nil {
		return nil, err
	}
	w, h := m.Spec.Width, m.Spec.Height
	res := &Result{Model: m, Request: req, Geometry: preprocess.Geometry{
		PhotoWidth: w, PhotoHeight: h, Width: w, Height: h,
		Crop: preprocess.Rect{X1: float64(w), Y1: float64(h)}, Region: image.Rect(0, 0, w, h), ResizedWidth: w, ResizedHeight: h,
	}}
	if err := res.run(ctx, x); err != nil {
		return nil, err
	}
	return res, nil
}

func (r *Result) run(ctx context.Context, x *tensor.Tensor) error {
	r.Input = x
	ex, err := r.Model.ExplainerAt(r.Request.Layer)
	if err != nil {
		return err
	}
	t0 := time.Now()
	pass, err := ex.ForwardOptions(ctx, x, r.Request.Method, r.Request.options(r.Model.Spec.Layout == preprocess.NHWC))
	if err != nil {
		return err
	}
	r.Timings.Forward = time.Since(t0)
	t1 := time.Now()
	top := pass.Top(r.Request.TopK)
	seen := map[int]bool{}
	for i, c := range top {
		seen[c.Index] = true
		r.Classes = append(r.Classes, Explained{Class: c, Rank: i + 1})
	}
	for _, k := range r.Request.Classes {
		if !seen[k] {
			seen[k] = true
			r.Classes = append(r.Classes, Explained{Class: pass.Class(k)})
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ks := make([]int, len(r.Classes))
	for i, c := range r.Classes {
		ks[i] = c.Index
	}
	maps, weights, err := pass.MapsAndWeights(ks)
	if err != nil {
		return err
	}
	for i := range r.Classes {
		r.Classes[i].Map, r.Classes[i].Weights = maps[i], weights[i]
	}
	r.Timings.Maps = time.Since(t1)
	return nil
}

// Measure computes the faithfulness scores of every class's map (each
// class its own target) on the result's input, through score; it sets
// each Explained.Scores.
func (r *Result) Measure(ctx context.Context, score faithfulness.Scorer, opt faithfulness.Options) error {
	w, h := r.Model.InputSize()
	for i := range r.Classes {
		c := &r.Classes[i]
		p, err := faithfulness.NewPhoto(ctx, score, r.Input, r.Model.Spec.Layout == preprocess.NHWC, c.Index)
		if err != nil {
			return err
		}
		s, err := faithfulness.Place(c.Map, w, h)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Label, err)
		}
		sc, err := p.Evaluate(ctx, s, opt)
		if err != nil {
			return err
		}
		c.Scores = &sc
	}
	return nil
}

// Method is how maps are computed (see cam.Method).
type Method = cam.Method

// Class is one prediction (see cam.Class).
type Class = cam.Class

// The methods, in cam.Methods' order.
const (
	CAM             = cam.CAM
	GradCAM         = cam.GradCAM
	GradCAMPlusPlus = cam.GradCAMPlusPlus
	XGradCAM        = cam.XGradCAM
	HiResCAM        = cam.HiResCAM
	LayerCAM        = cam.LayerCAM
	EigenCAM        = cam.EigenCAM
	EigenGradCAM    = cam.EigenGradCAM
	ScoreCAM        = cam.ScoreCAM
	AblationCAM     = cam.AblationCAM
	Occlusion       = cam.Occlusion
	Rollout         = cam.Rollout
)

// LayerMaps computes the map of class k of a photo at each of layers (""
// is the discovered one) with method, raw on each layer's grid, from one
// forward pass and, for a gradient method, one backward pass that reaches
// every layer (cam.Pass.LayerMaps). The method must take several layers:
// not CAM, Score-CAM, Ablation-CAM or Occlusion.
func LayerMaps(ctx context.Context, m *Model, photo *image.RGBA, method Method, layers []string, k int) ([]cam.Map, error) {
	x, _, err := preprocess.Prepare(photo, m.Spec)
	if err != nil {
		return nil, err
	}
	ex, err := cam.NewLayers(m.Engine, m.Labels, layers)
	if err != nil {
		return nil, err
	}
	pass, err := ex.ForwardOptions(ctx, x, method, cam.Options{NHWC: m.Spec.Layout == preprocess.NHWC})
	if err != nil {
		return nil, err
	}
	return pass.LayerMaps(k)
}
