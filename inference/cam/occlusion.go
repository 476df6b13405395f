package cam

import (
	"context"
	"fmt"
	"image"

	"camscope/inference"
	"camscope/inference/tensor"
)

// OcclusionOptions choose the occlusion-sensitivity map's square.
type OcclusionOptions struct {
	// Window is the side of the grey square in input pixels; 0 is a
	// seventh of the input's shorter side (32 for 224).
	Window int
	// Stride is the largest step between squares (evened out so that
	// the last square sits at the far edge); 0 is half the window.
	Stride int
	// Progress, when set, is called after each batch of forward passes
	// with the number done and the number to do.
	Progress func(done, total int)
}

// occlusionBatch is how many occluded inputs go to runInputs at once.
const occlusionBatch = 8

// Sensitivity is what the occlusion-sensitivity map of any class of one
// input needs: the class probabilities of the input as given and of the
// input with each square greyed out.
//
// Occlusion sensitivity (Zeiler & Fergus 2014, "Visualizing and
// understanding convolutional networks", section 4.2): a grey square of
// side Window slides over the input with steps of at most Stride, its
// top-left corner from 0 to H - Window (W - Window) along each axis so
// that the squares reach the far edge, the steps as equal as whole pixels
// allow (positions): Stride itself where it divides H - Window, as for
// the default square. Square j sets every
// channel of its pixels to 0 in the tensor the model receives: the mean
// pixel for a model whose preprocessing subtracts the mean (black for one
// that only scales to [0,1]). The drop of class k for square j is
// d_j = p_k(x) - p_k(x with square j grey), p the softmax over the classes,
// and the map at input pixel (y,x) is the mean drop of the squares that
// cover it: M_k(y,x) = mean_{j : (y,x) in S_j} d_j. It is at the input's
// resolution (H x W), raw and signed: negative where hiding the pixels
// raises the class.
type Sensitivity struct {
	H, W, Window, Stride int
	ys, xs               []int       // the squares' top-left rows and columns
	base                 []float64   // p(x)
	probs                [][]float64 // p(x with square j grey), j = row-major over ys x xs
	// Passes is the number of forward passes run.
	Passes int
}

// OcclusionWindow is the default square and step for an h x w input: a
// seventh of the shorter side, and half of that.
func OcclusionWindow(h, w int) (window, stride int) {
	window = max(1, (min(h, w)+3)/7)
	return window, max(1, window/2)
}

// Occlusion runs the forward passes of the occlusion-sensitivity map of x
// (preprocessed, as given to Forward; [1,H,W,C] when nhwc), whose class
// probabilities are probs (Pass.Probs): one per square, in batches of
// occlusionBatch through runInputs. It stops, with ctx's error, when ctx is
// cancelled.
func (e *Explainer) Occlusion(ctx context.Context, x *tensor.Tensor, probs []float64, nhwc bool, opt OcclusionOptions) (*Sensitivity, error) {
	h, w, err := inputSize(x, nhwc)
	if err != nil {
		return nil, err
	}
	win, stride := OcclusionWindow(h, w)
	if opt.Window != 0 {
		win, stride = opt.Window, max(1, opt.Window/2)
	}
	if opt.Stride != 0 {
		stride = opt.Stride
	}
	if win < 1 || win > min(h, w) || stride < 1 || stride > win {
		return nil, fmt.Errorf("the occlusion square must be 1 to %d pixels and its step 1 to the square's side (so that every pixel is covered), not %d and %d", min(h, w), win, stride)
	}
	s := &Sensitivity{H: h, W: w, Window: win, Stride: stride, ys: positions(h, win, stride), xs: positions(w, win, stride), base: probs}
	total := len(s.ys) * len(s.xs)
	squares := make([]image.Rectangle, 0, total)
	for _, y := range s.ys {
		for _, x := range s.xs {
			squares = append(squares, image.Rect(x, y, x+win, y+win))
		}
	}
	s.probs = make([][]float64, total)
	err = inBatches(ctx, total, occlusionBatch, opt.Progress, func(start, n int) error {
		inputs := make([]*tensor.Tensor, n)
		for i, r := range squares[start : start+n] {
			inputs[i] = Occlude(x, nhwc, r)
		}
		logits, err := e.runInputs(ctx, inputs)
		if err != nil {
			return err
		}
		for i, l := range logits {
			s.probs[start+i] = Softmax(l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Passes = total
	return s, nil
}

// runInputs runs the model on inputs (each a whole input of the model's
// one input) as one batch (Model.RunBatch: each item bit for bit its
// single run) and returns each one's logits.
func (e *Explainer) runInputs(ctx context.Context, inputs []*tensor.Tensor) ([][]float32, error) {
	x, err := inference.Stack(inputs...)
	if err != nil {
		return nil, err
	}
	n := len(inputs)
	res, err := e.Model.RunBatch(ctx, n, map[string]*tensor.Tensor{e.Model.Inputs[0].Name: x}, e.Head.Logits)
	if err != nil {
		return nil, err
	}
	logits := res[e.Head.Logits]
	c := e.Head.NumClasses
	if logits == nil || len(logits.F) != n*c {
		return nil, fmt.Errorf("the run did not produce the %d logits", c)
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = logits.F[i*c : (i+1)*c]
	}
	return out, nil
}

// positions are the first coordinates of squares of side win along n
// pixels, from 0 to n - win (the far edge) in m = ceil((n - win) / stride)
// steps as equal as whole pixels allow: round(i (n - win) / m). Steps of
// exactly stride, with n - win last, would put the last square a few
// pixels past the one before it (160 and 164 for 60 by 40 on 224): the
// far edge's last few pixels, covered by it alone, and the band its near
// twin covers with it, made a seam unlike the near edge.
func positions(n, win, stride int) []int {
	span := n - win
	m := (span + stride - 1) / stride
	if m == 0 {
		return []int{0}
	}
	out := make([]int, m+1)
	for i := range out {
		out[i] = (i*span + m/2) / m
	}
	return out
}

// inputSize is the height and width of an image input [1,C,H,W] (or
// [1,H,W,C] when nhwc).
func inputSize(x *tensor.Tensor, nhwc bool) (h, w int, err error) {
	if x == nil || len(x.Shape) != 4 || x.Shape[0] != 1 || x.DType != tensor.Float32 {
		return 0, 0, fmt.Errorf("occlusion greys out squares of an image input [1,C,H,W]; this model's input is %s", x)
	}
	if nhwc {
		return x.Shape[1], x.Shape[2], nil
	}
	return x.Shape[2], x.Shape[3], nil
}

// Occlude returns a copy of the image input x ([1,C,H,W], or [1,H,W,C]
// when nhwc) with every channel of the pixels of r (in input pixels,
// clipped to the input) set to 0: the grey of the mean after
// normalisation.
func Occlude(x *tensor.Tensor, nhwc bool, r image.Rectangle) *tensor.Tensor {
	out := x.Clone()
	h, w, err := inputSize(x, nhwc)
	if err != nil {
		return out
	}
	r = r.Intersect(image.Rect(0, 0, w, h))
	if r.Empty() {
		return out
	}
	if nhwc {
		c := x.Shape[3]
		for y := r.Min.Y; y < r.Max.Y; y++ {
			clear(out.F[(y*w+r.Min.X)*c : (y*w+r.Max.X)*c])
		}
		return out
	}
	for plane := 0; plane < len(out.F); plane += h * w {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			clear(out.F[plane+y*w+r.Min.X : plane+y*w+r.Max.X])
		}
	}
	return out
}

// Map is the occlusion-sensitivity map of class k (see Sensitivity).
func (s *Sensitivity) Map(k int) (Map, error) {
	if k < 0 || k >= len(s.base) {
		return Map{}, fmt.Errorf("class %d does not exist", k)
	}
	sum := make([]float64, s.H*s.W)
	count := make([]int, s.H*s.W)
	j := 0
	for _, y0 := range s.ys {
		for _, x0 := range s.xs {
			d := s.base[k] - s.probs[j][k]
			j++
			for y := y0; y < y0+s.Window; y++ {
				for x := x0; x < x0+s.Window; x++ {
					sum[y*s.W+x] += d
					count[y*s.W+x]++
				}
			}
		}
	}
	for i, n := range count {
		sum[i] /= float64(n)
	}
	return toMap(sum, s.H, s.W), nil
}
