package cam

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// Options say how a pass's maps are computed beyond the method: the two
// smoothings pytorch-grad-cam offers every method (its aug_smooth and
// eigen_smooth).
type Options struct {
	// AugSmooth averages the maps of six versions of the input, as
	// pytorch-grad-cam's aug_smooth does with ttach's
	// Compose([HorizontalFlip(), Multiply(factors=[0.9, 1, 1.1])]): with
	// and without a left-right flip, times the input tensor's values
	// multiplied by 0.9, 1 or 1.1 (the tensor the model receives, after
	// normalisation: the intensities are multiplied, the picture is not
	// rescaled). The classes are those of the input as given.
	//
	// The map of a flipped input is flipped back at the layer's
	// resolution: exact only when the layer's grid is its own mirror
	// image (the centres of its cells symmetric about the input's centre).
	// Strided layers usually break that: in ResNet-18 each stride-2 window
	// is centred on input position 2i, so the window of cell i of the 7x7
	// head is centred on input pixel 32i (not 32i+15.5), and a flipped
	// run's cell is averaged with one whose window centre is 31 pixels
	// away (pytorch-grad-cam, which flips back after resizing to the
	// input, has the same offset). What a cell responds to is not its
	// window's centre (learned kernels are not symmetric): on the
	// reference photo the flipped-back Grad-CAM maps of the top classes
	// match the plain ones best unshifted.
	//
	// The six maps are averaged raw, unlike pytorch-grad-cam, which
	// averages maps it has already clipped at 0 and scaled to [0,1] one by
	// one: the average of one layer's maps stays signed and in the units
	// of the plain map (a version whose map is larger weighs more).
	// Several layers' maps are combined in each version first (NewLayers),
	// then averaged, as pytorch-grad-cam does.
	AugSmooth bool
	// EigenSmooth replaces the sum over channels by the first principal
	// component, with Eigen-CAM's centring, projection and sign rule (see
	// EigenCAM): of the weighted activations w_c A_c for the methods that
	// weight channels, of G_c A_c for HiResCAM and of relu(G_c) A_c for
	// LayerCAM, as pytorch-grad-cam's eigen_smooth does. The sign makes the
	// map correlate positively with the plain map (the sum over channels).
	// Eigen-CAM and EigenGrad-CAM are that already: Check refuses it for
	// them.
	EigenSmooth bool
	// NHWC says the input tensor is [1,H,W,C] rather than [1,C,H,W]: the
	// axis AugSmooth flips.
	NHWC bool
	// Score chooses Score-CAM's variant and reports its progress.
	Score ScoreOptions
	// Occlusion chooses Occlusion's square and reports its progress.
	Occlusion OcclusionOptions
	// HeadsMax makes Rollout fuse each block's attention heads by their
	// maximum instead of their mean.
	HeadsMax bool
}

// Check reports a combination that makes no sense or costs too much:
// eigen-smoothing of a method that is a principal component already, and
// augmentation smoothing of a method that runs a pass per channel.
func (o Options) Check(m Method) error {
	if o.EigenSmooth && (m == EigenCAM || m == EigenGradCAM) {
		return fmt.Errorf("%s is a principal component already: eigen-smoothing would change nothing", m)
	}
	if o.EigenSmooth && m == Occlusion {
		return fmt.Errorf("%s weighs no channels: eigen-smoothing does not apply", m)
	}
	if o.AugSmooth && m.byPasses() {
		return fmt.Errorf("%s runs a forward pass per channel or square; augmentation smoothing would run each six times: leave it out", m)
	}
	if o.EigenSmooth && m == Rollout {
		return fmt.Errorf("%s sums no channels: eigen-smoothing does not apply", m)
	}
	if o.HeadsMax && m != Rollout {
		return fmt.Errorf("fusing the attention heads by their maximum is for %s, not %s", Rollout, m)
	}
	return nil
}

// Smoothing names the smoothings o asks for ("aug", "eigen"), for reports;
// empty (not nil) for none.
func (o Options) Smoothing() []string {
	names := []string{}
	if o.AugSmooth {
		names = append(names, "aug")
	}
	if o.EigenSmooth {
		names = append(names, "eigen")
	}
	return names
}

// augmentation is one version of the input for AugSmooth.
type augmentation struct {
	flip   bool
	factor float32
}

// augmentations are ttach's six (see AugSmooth), the input as given first.
var augmentations = []augmentation{{false, 1}, {false, 0.9}, {false, 1.1}, {true, 1}, {true, 0.9}, {true, 1.1}}

// apply returns x flipped left-right (along axis 3, or 2 if nhwc) and
// multiplied by the factor; x itself when a is the identity.
func (a augmentation) apply(x *tensor.Tensor, nhwc bool) (*tensor.Tensor, error) {
	if !a.flip && a.factor == 1 {
		return x, nil
	}
	if x.DType != tensor.Float32 || len(x.Shape) != 4 {
		return nil, fmt.Errorf("augmentation smoothing needs a float32 [1,C,H,W] or [1,H,W,C] input, not %s", tensor.ShapeString(x.Shape))
	}
	out := tensor.New(x.Shape...)
	// The input as rows of w pixels of inner values each.
	w, inner := x.Shape[3], 1
	if nhwc {
		w, inner = x.Shape[2], x.Shape[3]
	}
	row := w * inner
	for r := 0; r < len(x.F); r += row {
		for i := range w {
			src := i
			if a.flip {
				src = w - 1 - i
			}
			for j := range inner {
				out.F[r+i*inner+j] = x.F[r+src*inner+j] * a.factor
			}
		}
	}
	return out, nil
}

// smoothed is the map of each class of ks, averaged over the runs (each
// flipped back), and the channel weights of the input as given (see
// MapAndWeights).
func (p *Pass) smoothed(ks []int) ([]Map, [][][]float32, error) {
	var sums [][]float64
	var out []Map
	var weights [][][]float32
	for i, r := range p.runs {
		maps, ws, err := p.runMaps(r, ks)
		if err != nil {
			return nil, nil, err
		}
		if len(p.runs) == 1 {
			return maps, ws, nil
		}
		if i == 0 {
			out, weights, sums = maps, ws, make([][]float64, len(ks))
		}
		for c, m := range maps {
			if i == 0 {
				sums[c] = make([]float64, len(m.Data))
			}
			for y := range m.H {
				for x := range m.W {
					src := x
					if r.aug.flip {
						src = m.W - 1 - x
					}
					sums[c][y*m.W+x] += float64(m.Data[y*m.W+src])
				}
			}
		}
	}
	for c, sum := range sums {
		for i := range sum {
			sum[i] /= float64(len(p.runs))
		}
		out[c] = toMap(sum, out[c].H, out[c].W)
	}
	return out, weights, nil
}

// runMaps is the map of each class of ks from one run, at its layer or its
// layers combined, and the channel weights of each layer (nil for a method
// without), all from one backward pass.
func (p *Pass) runMaps(r run, ks []int) ([]Map, [][][]float32, error) {
	out, weights := make([]Map, len(ks)), make([][][]float32, len(ks))
	if p.method == Rollout {
		m, err := rollout(r.attn, p.e.Head.attnLayout, p.opt.HeadsMax)
		if err != nil {
			return nil, nil, err
		}
		for c := range out {
			out[c] = Map{W: m.W, H: m.H, Data: slices.Clone(m.Data)}
		}
		return out, weights, nil
	}
	var grads [][]*tensor.Tensor
	if p.method.needsGradient() {
		var err error
		if grads, err = p.grads(r, ks); err != nil {
			return nil, nil, err
		}
	}
	errs := make([]error, len(ks))
	one := func(c int) {
		maps := make([]Map, len(r.feats))
		for l, feat := range r.feats {
			var grad *tensor.Tensor
			if grads != nil {
				grad = grads[c][l]
			}
			m, ws, err := p.layerMap(feat, grad, ks[c])
			if err != nil {
				errs[c] = err
				return
			}
			maps[l] = m
			if ws != nil {
				weights[c] = append(weights[c], ws)
			}
		}
		if len(maps) == 1 {
			out[c] = maps[0]
		} else {
			out[c] = combineLayers(maps)
		}
	}
	if p.method == EigenCAM && len(ks) > 1 {
		// The map does not depend on the class: one decomposition, a copy
		// for each class.
		one(0)
		if errs[0] != nil {
			return nil, nil, errs[0]
		}
		for c := range out[1:] {
			out[c+1] = Map{W: out[0].W, H: out[0].H, Data: slices.Clone(out[0].Data)}
		}
		return out, weights, nil
	}
	if p.principal() && len(ks) > 1 {
		// A principal component per class (a decomposition of the
		// grid's Gram matrix, about 0.8 ms on ResNet-18's 7x7 on one Zen
		// 5 core) is worth the cores: the classes run side by side.
		kernels.ParallelFor(len(ks), runtime.GOMAXPROCS(0), func(c0, c1 int) {
			for c := c0; c < c1; c++ {
				one(c)
			}
		})
	} else {
		for c := range ks {
			one(c)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return out, weights, nil
}

// combineLayers is pytorch-grad-cam's aggregation of several layers' maps
// (see NewLayers): each clipped at 0 and scaled to [0,1] by its minimum
// and maximum, resized bilinearly to the grid of the map with the most
// positions (the first such), averaged, and the average scaled to [0,1].
func combineLayers(maps []Map) Map {
	finest := maps[0]
	for _, m := range maps[1:] {
		if m.W*m.H > finest.W*finest.H {
			finest = m
		}
	}
	sum := make([]float64, finest.W*finest.H)
	for _, m := range maps {
		for i, v := range resizeBilinear(scale01(m), m.W, m.H, finest.W, finest.H) {
			sum[i] += v
		}
	}
	for i := range sum {
		sum[i] /= float64(len(maps))
	}
	return toMap(scaleUnit(sum), finest.H, finest.W)
}

// scale01 returns m's values clipped at 0 and scaled by their minimum and
// maximum to [0,1]; all 0 if they are flat.
func scale01(m Map) []float64 {
	v := make([]float64, len(m.Data))
	for i, x := range m.Data {
		v[i] = math.Max(float64(x), 0)
	}
	return scaleUnit(v)
}

// scaleUnit scales v in place to [0,1] by its minimum and maximum (all 0
// when they are equal) and returns it.
func scaleUnit(v []float64) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	for i, x := range v {
		if hi > lo {
			v[i] = (x - lo) / (hi - lo)
		} else {
			v[i] = 0
		}
	}
	return v
}

// resizeBilinear resizes the inW x inH grid v to w x h as OpenCV's
// INTER_LINEAR does (which pytorch-grad-cam uses): the output pixel centre
// (x+0.5) maps to input coordinate (x+0.5)*inW/w - 0.5, clamped to the
// edge pixels.
func resizeBilinear(v []float64, inW, inH, w, h int) []float64 {
	out := make([]float64, w*h)
	for y := range h {
		y0, y1, fy := sample(y, inH, h)
		for x := range w {
			x0, x1, fx := sample(x, inW, w)
			top := v[y0*inW+x0]*(1-fx) + v[y0*inW+x1]*fx
			bottom := v[y1*inW+x0]*(1-fx) + v[y1*inW+x1]*fx
			out[y*w+x] = top*(1-fy) + bottom*fy
		}
	}
	return out
}

// sample returns the two input indices that output index i of n (from an
// input of size in) falls between, and the weight of the second.
func sample(i, in, n int) (int, int, float64) {
	f := (float64(i)+0.5)*float64(in)/float64(n) - 0.5
	i0 := int(math.Floor(f))
	frac := f - float64(i0)
	if i0 < 0 {
		return 0, 0, 0
	}
	if i0 >= in-1 {
		return in - 1, in - 1, 0
	}
	return i0, i0 + 1, frac
}
