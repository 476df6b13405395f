package cam

import (
	"fmt"

	"camscope/inference/tensor"
)

// attention finds, for Rollout, the attention probabilities of a ViT or
// DeiT: the Softmax outputs upstream of the logits whose last two axes are
// T x T tokens (the rows the queries, softmax over the keys), T being a
// class token (and DeiT's distillation token) plus the patch grid, in the
// graph's order, which is the blocks' order. Other models (CNNs; Swin,
// whose attention is within windows of patches, without a class token)
// get h.NoRollout.
func (g *graph) attention(h *Head) {
	var head map[string]bool
	for i := range g.nodes {
		n := &g.nodes[i]
		if n.OpType != "Softmax" {
			continue
		}
		sh := g.shape(n.Outputs[0])
		r := len(sh)
		if r < 2 || sh[r-1] != sh[r-2] {
			continue
		}
		if axis, _ := n.Attrs.Int("axis", -1); axis != -1 && axis != int64(r-1) {
			continue
		}
		gh, gw, ok := g.patchGrid(sh[r-1])
		if !ok {
			continue
		}
		if head == nil {
			head = g.upstream(h.Logits)
		}
		if !head[n.Outputs[0]] {
			continue
		}
		l := layout{tokens: true, extra: sh[r-1] - gh*gw, h: gh, w: gw}
		if len(h.Attention) > 0 && l != h.attnLayout {
			continue
		}
		h.Attention, h.attnLayout = append(h.Attention, n.Outputs[0]), l
	}
	if len(h.Attention) == 0 {
		h.NoRollout = "attention rollout follows the class token through the attention of every block of a vision transformer (ViT, DeiT); this model has no attention between a class token and the patches"
	}
}

// SupportsRollout reports whether attention rollout applies to the
// explainer's model, and if not, why.
func (e *Explainer) SupportsRollout() (bool, string) {
	if len(e.Head.Attention) == 0 {
		return false, e.Head.NoRollout
	}
	return true, ""
}

// rollout is Abnar & Zuidema's attention rollout of the class token over
// the patches, from the attention probabilities of each block (in the
// blocks' order, each [..., T, T]): each block's heads fused by their mean
// (or maximum), the identity added for the residual connection and each
// row divided by its sum, giving A_l; the rollout is A_L ... A_2 A_1, and
// the map its class token's row (row 0) at the patches. Only that row is
// needed, so it is computed as a row vector times each A_l, last block
// first.
func rollout(attn []*tensor.Tensor, l layout, headsMax bool) (Map, error) {
	t := l.extra + l.h*l.w
	row := make([]float64, t)
	row[0] = 1
	a := make([]float64, t*t)
	next := make([]float64, t)
	for b := len(attn) - 1; b >= 0; b-- {
		x := attn[b]
		r := len(x.Shape)
		if x.DType != tensor.Float32 || r < 2 || x.Shape[r-1] != t || x.Shape[r-2] != t {
			return Map{}, fmt.Errorf("attention %d is %s, want float32 [..., %d, %d]", b, x, t, t)
		}
		heads := x.Len() / (t * t)
		clear(a)
		for hd := range heads {
			for i, v := range x.F[hd*t*t : (hd+1)*t*t] {
				switch {
				case !headsMax:
					a[i] += float64(v) / float64(heads)
				case hd == 0 || float64(v) > a[i]:
					a[i] = float64(v)
				}
			}
		}
		clear(next)
		for i := range t {
			ai := a[i*t : (i+1)*t]
			ai[i]++
			var sum float64
			for _, v := range ai {
				sum += v
			}
			if row[i] == 0 || sum == 0 {
				continue
			}
			f := row[i] / sum
			for j, v := range ai {
				next[j] += f * v
			}
		}
		row, next = next, row
	}
	return toMap(row[l.extra:], l.h, l.w), nil
}
