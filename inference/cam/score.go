package cam

import (
	"context"
	"fmt"
	"math"

	"camscope/inference"
	"camscope/inference/tensor"
)

// ScoreBatch is how many masked inputs Score-CAM runs at once
// (Model.RunBatch), fewer when the model's memory limit allows fewer.
const ScoreBatch = 16

// ScoreOptions choose a variant of Score-CAM.
type ScoreOptions struct {
	// Channels, between 1 and the number of channels that are not
	// constant minus one, runs the masked inputs of only that many
	// channels: the fast variant. A channel's score depends only on its
	// mask, so channels whose masks look alike score alike. Each channel's
	// mask at the layer's grid, scaled to [0,1] like Score-CAM's, is a
	// point m_c, weighed by e_c = sum A_c^2. In a first stage, half the
	// budget (rounded up) runs the representatives: the heaviest half of
	// them by e_c, the rest the medoids of weighted k-medoids on the masks,
	// started from a weighted farthest-point choice. From their scores
	// every other channel's score is estimated: the inverse-distance
	// weighted mean of the scores of the three run channels nearest to its
	// mask. The second stage spends the other half where that estimated map
	// is most in doubt for the classes of Classes: one by one, the channel
	// of largest w_c |A_c| min_r |m_c - m_r|, w_c its largest estimated
	// softmax weight over those classes and r over the channels run or
	// chosen. Every channel that did not run then takes the interpolated
	// score from all the run channels (a constant channel the blank
	// input's), and the softmax runs over all channels. In that last
	// interpolation the distance between masks weighs the cells of the
	// grid by how much the class's score depends on them, learned from
	// the run channels by ridge regression (cellWeights): the score of a
	// masked input hangs on the part of the image it keeps. With 32
	// channels, for the top class, against the exact map (Pearson): over
	// the four MobileNets of ../shared/models and the 16 photos of
	// ../shared/images (64 cases) the median is 0.994, all 64 reach 0.95
	// and the lowest is 0.957 (MobileNet V1 0.75, dog_segmentation.png);
	// the six reference CNNs 0.999 to 1.000. Without the weighed cells the
	// median was 0.995, 63 reached 0.95 and the lowest was 0.929
	// (MobileNet V1 0.75, missvickie_potato_chips.png: a nearly flat map
	// whose weight spreads over some 70 channels); learning them already
	// from the first stage's 16 runs, for the second stage's choice, made
	// the lowest 0.871. The single stage of 32 representatives, each
	// channel copying its representative's score, gave median 0.987, 60
	// of 64, lowest 0.867; the 32 channels of highest mean activation,
	// the others weighted 0, -0.24, 0.45 and 0.88 on vgg_small,
	// efficientnet_b0 and googlenet.
	// 0 (or the channel count or more) runs every channel.
	Channels int
	// Classes are the classes whose maps the fast variant's second stage
	// refines (their indices in the logits); the fast variant needs at
	// least one, and Forward gives it the pass's top class when none is
	// named. Any class's map can be asked afterwards, from all the passes,
	// but the second stage aimed at these.
	Classes []int
	// Baseline gives the paper's weights instead of the softmax over the
	// channels: the class probability of the masked input minus that of a
	// blank (all-zero) input, p_k(x ∘ M_c) - p_k(0).
	Baseline bool
	// Progress, when set, is called after each batch of forward passes
	// with the number done and the number to do.
	Progress func(done, total int)
}

// Scores are Score-CAM's forward passes on the masked inputs of one input:
// the logits of every class, so the weights of any class follow without
// another pass.
//
// Score-CAM (Wang et al. 2020), as pytorch-grad-cam computes it: each
// channel A_c of the layer is upsampled to the input's size, bilinearly
// with corners aligned (align_corners=True), and scaled to [0,1] by its own
// minimum and maximum, M_c = (up(A_c) - min) / (max - min + 1e-8) (the
// extremes of the upsampled channel: with corners aligned the inner cells
// of the grid fall between pixels, so a peak inside is not reached); the
// input x masked by it, x ∘ M_c (every input channel), goes through the
// model, and s_c is the class-k logit of the result. The channel weights
// are the softmax of s over the channels, w = softmax_c(s_c), and the map
// is sum_c w_c A_c. The paper's variant (ScoreOptions.Baseline) weighs by
// p_k(x ∘ M_c) - p_k(0), p the softmax over the classes. A constant
// channel's mask is all zero, so its masked input is the blank input: that
// pass runs once and serves every such channel. (pytorch-grad-cam gets
// that zero mask for a channel that is zero everywhere, the usual constant
// channel after a ReLU; for another constant a, its float32 a*(1-f) + a*f
// may differ from a in the last bit, and those differences divided by
// themselves plus 1e-8 make a mask of noise.)
type Scores struct {
	feature *tensor.Tensor
	runs    [][]float32 // the logits of each masked input run
	blank   int         // the blank input's run, -1 when it did not run
	// reps are the channels whose masked inputs ran, in the order they
	// ran, from run first on.
	reps  []int
	first int
	// masks and live are channelMasks' for the feature.
	masks [][]float32
	live  []int
	// from gives each channel the runs its scores come from, counted from
	// first, when every channel that is not constant ran (nil in the fast
	// variant, whose shares depend on the class: see shares).
	from     [][]share
	baseline bool
	// Passes is the number of forward passes run.
	Passes int
}

// maskEps is what pytorch-grad-cam adds to a channel's range before
// dividing by it; it makes a constant channel's mask zero.
const maskEps = 1e-8

// ScoreCAM runs Score-CAM's forward passes for input x (preprocessed, as
// given to Forward), whose activations at the explainer's layer are
// feature ([1,C,h,w], Pass.Feature): one forward pass per channel whose
// activations are not constant (per chosen channel in the fast variant,
// see ScoreOptions.Channels), and one for the blank input if any channel
// is constant or the options ask for the paper's baseline, run in batches
// of ScoreBatch masked inputs (each bit for bit its single pass).
// It stops, with ctx's error, when ctx is cancelled.
func (e *Explainer) ScoreCAM(ctx context.Context, x, feature *tensor.Tensor, opt ScoreOptions) (*Scores, error) {
	if len(e.Model.Inputs) != 1 {
		return nil, fmt.Errorf("the model has %d inputs; CAMscope explains models with one image input", len(e.Model.Inputs))
	}
	if err := e.checkFeature(feature); err != nil {
		return nil, err
	}
	if x == nil || len(x.Shape) != 4 || x.Shape[0] != 1 || x.DType != tensor.Float32 {
		return nil, fmt.Errorf("Score-CAM masks an image input [1,C,H,W]; this model's input is %s", x)
	}
	for _, k := range opt.Classes {
		if k < 0 || k >= e.Head.NumClasses {
			return nil, fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, e.Head.NumClasses-1)
		}
	}
	live, masks, energy := channelMasks(feature)
	fast := opt.Channels > 0 && opt.Channels < len(live)
	if fast && len(opt.Classes) == 0 {
		return nil, fmt.Errorf("the fast variant of Score-CAM spends half its passes on the classes it explains: name at least one")
	}
	// The first half of the fast variant's budget: the representatives.
	n := opt.Channels
	if fast {
		n -= opt.Channels / 2
	}
	reps, _ := representatives(feature, n)
	s := &Scores{feature: feature, blank: -1, baseline: opt.Baseline}
	needBlank := opt.Baseline || len(live) < feature.Shape[1]
	// The masked inputs go through the model in batches: each is one item
	// of a stacked input (the blank input, -1, first when it runs).
	var jobs []int
	if needBlank {
		jobs = append(jobs, -1)
		s.blank = 0
	}
	jobs = append(jobs, reps...)
	total := len(jobs)
	if fast {
		total += opt.Channels / 2
	}
	offset := 0 // the passes of the earlier stage
	progress := func(done, _ int) {
		if opt.Progress != nil {
			opt.Progress(offset+done, total)
		}
	}
	s.runs = make([][]float32, 0, total)
	if err := e.scorePasses(ctx, x, feature, jobs, s, progress); err != nil {
		return nil, err
	}
	if fast {
		// The second half: where the map estimated from the first is most
		// in doubt, for the classes asked.
		from := interpolation(masks, live, reps, nil)
		first := len(jobs) - len(reps)
		weight := make([]float64, len(masks))
		for _, k := range opt.Classes {
			scores := make([]float32, len(masks))
			for ch := range scores {
				scores[ch] = s.scoreOf(from[ch], first, k)
			}
			for ch, w := range Softmax(scores) {
				weight[ch] = math.Max(weight[ch], w)
			}
		}
		more := refine(masks, energy, weight, live, reps, opt.Channels/2)
		offset = len(jobs)
		if err := e.scorePasses(ctx, x, feature, more, s, progress); err != nil {
			return nil, err
		}
		jobs = append(jobs, more...)
		reps = append(reps, more...)
	}
	s.reps = reps
	s.Passes = len(jobs)
	s.first = len(jobs) - len(reps)
	s.masks, s.live = masks, live
	if !fast {
		s.from = interpolation(masks, live, reps, nil)
	}
	return s, nil
}

// shares gives each channel the runs (counted from s.first) whose class-k
// scores make its score: in the fast variant the interpolation of
// ScoreOptions.Channels, with the distance between masks weighed by the
// grid's cells for class k (cellWeights); nil for a constant channel.
func (s *Scores) shares(k int) [][]share {
	if s.from != nil {
		return s.from
	}
	y := make([]float64, len(s.reps))
	for i := range s.reps {
		y[i] = float64(s.runs[s.first+i][k])
	}
	return interpolation(s.masks, s.live, s.reps, cellWeights(s.masks, s.reps, y))
}

// scoreOf is the class-k score of a channel of shares from (runs counted
// from first), the blank input's without shares.
func (s *Scores) scoreOf(from []share, first, k int) float32 {
	if from == nil {
		return s.runs[s.blank][k]
	}
	var v float64
	for _, f := range from {
		v += f.w * float64(s.runs[first+f.run][k])
	}
	return float32(v)
}

// scorePasses runs the masked inputs of the channels jobs (-1 for the
// blank input) and appends their logits to s.runs.
func (e *Explainer) scorePasses(ctx context.Context, x, feature *tensor.Tensor, jobs []int, s *Scores, progress func(done, total int)) error {
	h, w := feature.Shape[2], feature.Shape[3]
	hw := h * w
	H, W := x.Shape[2], x.Shape[3]
	ys, xs := alignCorners(h, H), alignCorners(w, W)
	batch := min(len(jobs), ScoreBatch, e.Model.MaxBatch())
	input := e.Model.Inputs[0].Name
	rows := make([]float32, h*W) // the channel upsampled along x only
	mask := make([]float32, H*W)
	stack := make([]float32, batch*x.Len())
	return inBatches(ctx, len(jobs), batch, progress, func(first, n int) error {
		masked := tensor.FromFloat32(append([]int{n}, x.Shape[1:]...), stack[:n*x.Len()])
		for i, ch := range jobs[first : first+n] {
			item := masked.F[i*x.Len() : (i+1)*x.Len()]
			if ch < 0 {
				clear(item)
				continue
			}
			a := feature.F[ch*hw : (ch+1)*hw]
			for y := range h {
				for X := range W {
					rows[y*W+X] = a[y*w+xs.i0[X]]*(1-xs.f[X]) + a[y*w+xs.i1[X]]*xs.f[X]
				}
			}
			for Y := range H {
				r0, r1, f := rows[ys.i0[Y]*W:][:W], rows[ys.i1[Y]*W:][:W], ys.f[Y]
				for X := range W {
					mask[Y*W+X] = r0[X]*(1-f) + r1[X]*f
				}
			}
			lo, hi := minMax(mask)
			scale := 1 / (hi - lo + maskEps)
			for j, v := range mask {
				mask[j] = (v - lo) * scale
			}
			for plane := 0; plane < len(x.F); plane += H * W {
				xp, mp := x.F[plane:plane+H*W], item[plane:plane+H*W]
				for j, m := range mask {
					mp[j] = xp[j] * m
				}
			}
		}
		out, err := e.Model.RunBatch(ctx, n, map[string]*tensor.Tensor{input: masked}, e.Head.Logits)
		if err != nil {
			return err
		}
		for i := range n {
			s.runs = append(s.runs, append([]float32(nil), inference.Item(out[e.Head.Logits], n, i).F...))
		}
		return nil
	})
}

// ChannelWeights returns the weight of each channel in the map of class k:
// the softmax over the channels of their class-k scores (or, with the
// baseline, p_k(x ∘ M_c) - p_k(0)); in the fast variant a channel that did
// not run takes the interpolation of the run channels' scores (of their
// p_k(x ∘ M_r) - p_k(0) with the baseline) described at
// ScoreOptions.Channels.
func (s *Scores) ChannelWeights(k int) ([]float32, error) {
	if len(s.runs) == 0 || k < 0 || k >= len(s.runs[0]) {
		return nil, fmt.Errorf("class %d does not exist", k)
	}
	shares := s.shares(k)
	weights := make([]float32, len(shares))
	if s.baseline {
		// A constant channel's masked input is the blank one: weight 0.
		blank := Softmax(s.runs[s.blank])[k]
		p := make([]float64, len(s.reps))
		for i := range p {
			p[i] = Softmax(s.runs[s.first+i])[k] - blank
		}
		for ch, from := range shares {
			var v float64
			for _, f := range from {
				v += f.w * p[f.run]
			}
			weights[ch] = float32(v)
		}
		return weights, nil
	}
	scores := make([]float32, len(shares))
	for ch, from := range shares {
		scores[ch] = s.scoreOf(from, s.first, k)
	}
	for ch, p := range Softmax(scores) {
		weights[ch] = float32(p)
	}
	return weights, nil
}

// checkFeature checks that feature has the shape of the explainer's layer
// in grid form.
func (e *Explainer) checkFeature(feature *tensor.Tensor) error {
	l := e.layouts[0]
	sh := []int{1, l.c, l.h, l.w}
	if feature == nil || feature.DType != tensor.Float32 || !tensor.EqualShape(feature.Shape, sh) {
		return fmt.Errorf("the feature map must be the activations of layer %q in grid form, float32%s", e.Layer, tensor.ShapeString(sh))
	}
	return nil
}

// minMax returns the smallest and largest of v.
func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// axisWeights is linear interpolation along one axis: destination i is
// source i0[i] times 1-f[i] plus source i1[i] times f[i].
type axisWeights struct {
	i0, i1 []int
	f      []float32
}

// alignCorners interpolates n source samples onto dst, with the first and
// last samples of both on each other (PyTorch's align_corners=True):
// destination i sits at source position i*(n-1)/(dst-1).
func alignCorners(n, dst int) axisWeights {
	a := axisWeights{i0: make([]int, dst), i1: make([]int, dst), f: make([]float32, dst)}
	for i := range dst {
		var pos float64
		if dst > 1 {
			pos = float64(i) * float64(n-1) / float64(dst-1)
		}
		i0 := min(int(pos), n-1)
		a.i0[i], a.i1[i], a.f[i] = i0, min(i0+1, n-1), float32(pos-float64(i0))
	}
	return a
}
