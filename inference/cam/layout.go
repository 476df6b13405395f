package cam

import (
	"fmt"
	"slices"

	"camscope/inference"
	"camscope/inference/tensor"
)

// layout says how a layer's tensor holds its channels on the feature grid.
// Maps are computed on the grid form [1,C,H,W]: CNN feature maps are in it
// already; a vision transformer's tokens [1,T,C] (ViT, DeiT) drop the extra
// tokens before the patches (the class token, and DeiT's distillation
// token) and put the H*W patch tokens, in row-major order, on the patch
// grid; a channels-last map [1,H,W,C] (Swin) is transposed. This is what
// pytorch-grad-cam's reshape transforms do by hand.
type layout struct {
	tokens  bool // [1,T,C] with T = extra + H*W
	nhwc    bool // [1,H,W,C]
	extra   int  // tokens before the patches
	c, h, w int
}

// plain reports whether the tensor is the grid form itself.
func (l layout) plain() bool { return !l.tokens && !l.nhwc }

// shape is the layer's own shape.
func (l layout) shape() []int {
	switch {
	case l.tokens:
		return []int{1, l.extra + l.h*l.w, l.c}
	case l.nhwc:
		return []int{1, l.h, l.w, l.c}
	}
	return []int{1, l.c, l.h, l.w}
}

// index returns the position in the layer's tensor of channel ch at grid
// position y*W+x.
func (l layout) index(ch, pos int) int {
	switch {
	case l.tokens:
		return (l.extra+pos)*l.c + ch
	case l.nhwc:
		return pos*l.c + ch
	}
	return ch*l.h*l.w + pos
}

// grid returns t, a tensor of the layer, in the grid form [1,C,H,W].
func (l layout) grid(t *tensor.Tensor) (*tensor.Tensor, error) {
	if !tensor.EqualShape(t.Shape, l.shape()) || t.DType != tensor.Float32 {
		return nil, fmt.Errorf("the layer's tensor is %s, want float32%s", t, tensor.ShapeString(l.shape()))
	}
	if l.plain() {
		return t, nil
	}
	// Tokens and channels-last hold each grid position's channels in a
	// row (after the extra tokens): the rows become the grid's columns.
	hw := l.h * l.w
	out := tensor.NewUninit(1, l.c, l.h, l.w)
	src := t.F[l.extra*l.c:]
	for pos := range hw {
		for ch, v := range src[pos*l.c : (pos+1)*l.c] {
			out.F[ch*hw+pos] = v
		}
	}
	return out, nil
}

// layoutOf returns how tensor name holds channels on a grid: a 4-D tensor
// [1,C,H,W], or channels last [1,H,W,C] in a model that transposes its
// convolution's output to channels last (Swin) when it is a square grid
// with more channels than rows, or tokens [1,T,C] on the patch grid.
func (g *graph) layoutOf(name string) (layout, error) {
	sh := g.shape(name)
	if g.m.Const(name) != nil {
		return layout{}, fmt.Errorf("layer %q is a constant, not computed from the input", name)
	}
	switch {
	case len(sh) == 4 && sh[0] == 1 && sh[1] == sh[2] && sh[3] > sh[1] && g.channelsLast():
		return layout{nhwc: true, c: sh[3], h: sh[1], w: sh[2]}, nil
	case len(sh) == 4 && sh[0] == 1:
		return layout{c: sh[1], h: sh[2], w: sh[3]}, nil
	case len(sh) == 3 && sh[0] == 1:
		if h, w, ok := g.patchGrid(sh[1]); ok {
			return layout{tokens: true, extra: sh[1] - h*w, c: sh[2], h: h, w: w}, nil
		}
		return layout{}, fmt.Errorf("layer %q has shape %s, whose %d tokens are not 1 or 2 extra tokens and the patches of the model's patch-embedding convolution", name, tensor.ShapeString(sh), sh[1])
	}
	return layout{}, fmt.Errorf("layer %q has shape %s; a map needs a feature map [1,C,H,W] or [1,H,W,C], or tokens [1,T,C], computed from the input", name, tensor.ShapeString(sh))
}

// channelsLast reports whether the model transposes a convolution's output
// to channels last (perm 0,2,3,1), as Swin does after its patch embedding.
func (g *graph) channelsLast() bool {
	for _, n := range g.nodes {
		if n.OpType != "Transpose" {
			continue
		}
		perm, _ := n.Attrs.Ints("perm", nil)
		if p := g.producer(n.Inputs[0]); p != nil && p.OpType == "Conv" && slices.Equal(perm, []int64{0, 2, 3, 1}) {
			return true
		}
	}
	return false
}

// patchGrid returns the patch grid of a model whose token tensors have t
// tokens: the output grid h x w of its first convolution (the patch
// embedding), when t is h*w plus 1 (a class token) or 2 (DeiT's class and
// distillation tokens).
func (g *graph) patchGrid(t int) (h, w int, ok bool) {
	for _, n := range g.nodes {
		if n.OpType != "Conv" {
			continue
		}
		sh := g.shape(n.Outputs[0])
		if len(sh) != 4 {
			continue
		}
		if extra := t - sh[2]*sh[3]; extra == 1 || extra == 2 {
			return sh[2], sh[3], true
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// Grid returns the width and height of the grid the maps of layer are on
// (a transformer's patch grid, a channels-last map's rows and columns);
// ok is false when no map can be computed on layer.
func Grid(m *inference.Model, layer string) (w, h int, ok bool) {
	g := &graph{m: m, nodes: m.Nodes()}
	l, err := g.layoutOf(layer)
	if err != nil {
		return 0, 0, false
	}
	return l.w, l.h, true
}
