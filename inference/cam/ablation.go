package cam

import (
	"context"
	"fmt"

	"camscope/inference"
	"camscope/inference/tensor"
)

// Ablation holds what Ablation-CAM needs for the maps of any class of one
// input: the logits with each channel of the layer zeroed, or, where the
// layer feeds a global-average-pooling linear head, the channel means that
// give the same drops without a pass.
//
// Ablation-CAM (Desai & Ramaswamy 2020): the weight of channel c in the map
// of class k is the relative drop of the class logit y_k when channel c of
// the layer is set to zero, w_c = (y_k - y_k^(c)) / y_k, and the map is
// sum_c w_c A_c. Where the layer feeds a linear GAP head the drop is
// y_k - y_k^(c) = W[k,c] mean_yx(A_c), read from the head alone; elsewhere
// y_k^(c) comes from a forward pass from the layer on, with channel c
// zeroed. A channel that is zero everywhere already has weight 0 without a
// pass. (pytorch-grad-cam zeroes the channel too when the layer's smallest
// activation is 0, as after a ReLU, and otherwise sets it to that minimum
// minus 1e7; CAMscope keeps the paper's zero.)
type Ablation struct {
	feature *tensor.Tensor
	logits  []float32   // y, of the input as it is
	ablated [][]float32 // y^(c) for each channel, when computed by passes
	head    *Head       // the linear head, when the drops come from it
	means   []float64   // mean_yx(A_c), with head
	// Passes is the number of forward passes run (each from the layer on,
	// except one full pass when branches around the layer must be kept).
	Passes int
}

// AblationCAM prepares the Ablation-CAM maps of input x (preprocessed, as
// given to Forward), whose activations at the explainer's layer are
// feature ([1,C,h,w], Pass.Feature) and whose logits are logits
// (Pass.Logits). Where the layer feeds a linear GAP head it runs nothing;
// otherwise it runs the model from the layer on once per channel that is
// not zero everywhere (Model.RunBatchFrom, ScoreBatch channels at a time),
// after one full pass that keeps the
// tensors the rest of the network reads besides the layer, if it reads
// any. It stops, with ctx's error, when ctx is cancelled.
func (e *Explainer) AblationCAM(ctx context.Context, x, feature *tensor.Tensor, logits []float32) (*Ablation, error) {
	h := e.Head
	fromHead := h.Weights != nil && !h.ClassifierFirst && e.Layer == h.Feature
	return e.ablation(ctx, x, feature, logits, !fromHead)
}

// ablation is AblationCAM with the way chosen: forward passes (byRuns) or
// the linear head.
func (e *Explainer) ablation(ctx context.Context, x, feature *tensor.Tensor, logits []float32, byRuns bool) (*Ablation, error) {
	if err := e.checkFeature(feature); err != nil {
		return nil, err
	}
	if len(logits) != e.Head.NumClasses {
		return nil, fmt.Errorf("Ablation-CAM needs the %d logits of the input, not %d", e.Head.NumClasses, len(logits))
	}
	a := &Ablation{feature: feature, logits: logits}
	c, hw := feature.Shape[1], feature.Shape[2]*feature.Shape[3]
	if !byRuns {
		a.head, a.means = e.Head, make([]float64, c)
		for ch := range a.means {
			var s float64
			for _, v := range feature.F[ch*hw : (ch+1)*hw] {
				s += float64(v)
			}
			a.means[ch] = s / float64(hw)
		}
		return a, nil
	}
	given, err := e.frontier(ctx, x, feature, &a.Passes)
	if err != nil {
		return nil, err
	}
	// The channel is zeroed at every grid position of the layer's own
	// tensor (a transformer's extra tokens are left as they are), one
	// channel per item of a batch; the other given tensors are the same in
	// every item.
	l := e.layouts[0]
	a.ablated = make([][]float32, c)
	var jobs []int
	for ch := range c {
		if lo, hi := minMax(feature.F[ch*hw : (ch+1)*hw]); lo == 0 && hi == 0 {
			a.ablated[ch] = logits
		} else {
			jobs = append(jobs, ch)
		}
	}
	batch := min(len(jobs), ScoreBatch, e.Model.MaxBatch())
	stacks := map[string]*tensor.Tensor{}
	for name, t := range given {
		items := make([]*tensor.Tensor, batch)
		for i := range items {
			items[i] = t
		}
		if stacks[name], err = inference.Stack(items...); err != nil {
			return nil, err
		}
	}
	err = inBatches(ctx, len(jobs), batch, nil, func(first, n int) error {
		in := stacks
		if n < batch {
			in = map[string]*tensor.Tensor{}
			for name, t := range stacks {
				sh := append([]int{n * given[name].Shape[0]}, t.Shape[1:]...)
				in[name] = tensor.FromFloat32(sh, t.F[:n*given[name].Len()])
			}
		}
		layer := in[e.Layer]
		for i, ch := range jobs[first : first+n] {
			item := inference.Item(layer, n, i).F
			for pos := range hw {
				item[l.index(ch, pos)] = 0
			}
		}
		out, err := e.Model.RunBatchFrom(ctx, n, in, e.Head.Logits)
		for i, ch := range jobs[first : first+n] {
			item, orig := inference.Item(layer, n, i).F, given[e.Layer].F
			for pos := range hw {
				item[l.index(ch, pos)] = orig[l.index(ch, pos)]
			}
			if err == nil {
				a.ablated[ch] = append([]float32(nil), inference.Item(out[e.Head.Logits], n, i).F...)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	a.Passes += len(jobs)
	return a, nil
}

// frontier returns, by name, the layer's activations and the tensors that
// the nodes after the layer read without computing them from it (what a
// residual branch carries around the layer), which one full pass on x
// computes, counted in passes.
func (e *Explainer) frontier(ctx context.Context, x, feature *tensor.Tensor, passes *int) (map[string]*tensor.Tensor, error) {
	after := map[string]bool{e.Layer: true}
	var keep []string
	seen := map[string]bool{}
	for _, n := range e.Model.Nodes() {
		reads := false
		for _, in := range n.Inputs {
			reads = reads || after[in]
		}
		if !reads {
			continue
		}
		for _, in := range n.Inputs {
			if in != "" && !after[in] && !seen[in] && e.Model.Const(in) == nil {
				seen[in] = true
				keep = append(keep, in)
			}
		}
		for _, o := range n.Outputs {
			after[o] = true
		}
	}
	given := map[string]*tensor.Tensor{e.Layer: feature}
	if !e.layouts[0].plain() {
		// The layer itself in its own form (tokens keep their class token).
		keep = append(keep, e.Layer)
	}
	if len(keep) == 0 {
		return given, nil
	}
	if len(e.Model.Inputs) != 1 {
		return nil, fmt.Errorf("the model has %d inputs; CAMscope explains models with one image input", len(e.Model.Inputs))
	}
	out, err := e.Model.Run(ctx, map[string]*tensor.Tensor{e.Model.Inputs[0].Name: x}, keep...)
	if err != nil {
		return nil, err
	}
	*passes++
	for _, k := range keep {
		given[k] = out[k]
	}
	return given, nil
}

// ChannelWeights returns the weight of each channel in the map of class k:
// (y_k - y_k^(c)) / y_k.
func (a *Ablation) ChannelWeights(k int) ([]float32, error) {
	if k < 0 || k >= len(a.logits) {
		return nil, fmt.Errorf("class %d does not exist: the model has classes 0 to %d", k, len(a.logits)-1)
	}
	y := float64(a.logits[k])
	if y == 0 {
		return nil, fmt.Errorf("Ablation-CAM divides by the class's logit, and the logit of class %d is 0", k)
	}
	c := a.feature.Shape[1]
	weights := make([]float32, c)
	for ch := range weights {
		var drop float64
		if a.head != nil {
			drop = float64(a.head.Weights.F[k*c+ch]) * a.means[ch]
		} else {
			drop = y - float64(a.ablated[ch][k])
		}
		weights[ch] = float32(drop / y)
	}
	return weights, nil
}
