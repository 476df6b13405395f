package cam

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"camscope/inference"
	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// twoBlockViT is a transformer of two attention blocks of two heads each,
// built by hand: a patch-embedding Conv (4x4 patches of an 8x8 input: a
// 2x2 grid of 4 channels), extra tokens before the patches (1, a class
// token, or 2 as DeiT's), then per block and head h: scores_h =
// (t Wq_h)(t Wk_h)^T, the heads' scores concatenated [2,T,T] and put
// through one Softmax (the attention probabilities "attn<b>"), each head's
// probabilities times t Wv_h, the heads side by side [1,T,4] added to t;
// the head is a mean over the tokens and a Gemm (opset 11, whose
// Unsqueeze takes its axes as an attribute).
func twoBlockViT(t *testing.T, extra int) *inference.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, uint64(extra)))
	var inits []onnxpb.Tensor
	param := func(name string, dims ...int64) string {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		inits = append(inits, onnxpb.Tensor{Name: name, Dims: dims, Data: v})
		return name
	}
	node := func(op string, in []string, out string, attrs ...onnxpb.Attr) onnxpb.Node {
		return onnxpb.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	nodes := []onnxpb.Node{
		node("Conv", []string{"x", param("P", 4, 3, 4, 4)}, "patches", onnxpb.Ints("strides", 4, 4)),
		node("Flatten", []string{"patches"}, "flat", onnxpb.Int("axis", 2)),
		node("Unsqueeze", []string{"flat"}, "chw", onnxpb.Ints("axes", 0)),
		node("Transpose", []string{"chw"}, "tok", onnxpb.Ints("perm", 0, 2, 1)),
		node("Concat", []string{param("extra", 1, int64(extra), 4), "tok"}, "t0", onnxpb.Int("axis", 1)),
	}
	for b := range 2 {
		in, p := fmt.Sprintf("t%d", b), fmt.Sprintf("b%d_", b)
		var scores, values []string
		for h := range 2 {
			ph := fmt.Sprintf("%sh%d_", p, h)
			nodes = append(nodes,
				node("MatMul", []string{in, param(ph+"Wq", 4, 2)}, ph+"q"),
				node("MatMul", []string{in, param(ph+"Wk", 4, 2)}, ph+"k"),
				node("MatMul", []string{in, param(ph+"Wv", 4, 2)}, ph+"v"),
				node("Transpose", []string{ph + "k"}, ph+"kT", onnxpb.Ints("perm", 0, 2, 1)),
				node("MatMul", []string{ph + "q", ph + "kT"}, ph+"s"),
			)
			scores, values = append(scores, ph+"s"), append(values, ph+"v")
		}
		attn := fmt.Sprintf("attn%d", b)
		nodes = append(nodes,
			node("Concat", scores, p+"s", onnxpb.Int("axis", 0)),
			node("Softmax", []string{p + "s"}, attn, onnxpb.Int("axis", -1)),
			node("Concat", values, p+"v", onnxpb.Int("axis", 0)),
			node("MatMul", []string{attn, p + "v"}, p+"o"),
			node("Transpose", []string{p + "o"}, p+"oT", onnxpb.Ints("perm", 1, 0, 2)),
			node("Flatten", []string{p + "oT"}, p+"of"),
			node("Unsqueeze", []string{p + "of"}, p+"ou", onnxpb.Ints("axes", 0)),
			node("Add", []string{in, p + "ou"}, fmt.Sprintf("t%d", b+1)),
		)
	}
	nodes = append(nodes,
		node("ReduceMean", []string{"t2"}, "pooled", onnxpb.Ints("axes", 1), onnxpb.Int("keepdims", 0)),
		node("Gemm", []string{"pooled", param("W", 3, 4)}, "logits", onnxpb.Int("transB", 1)),
	)
	om := &onnxpb.Model{Opset: 11, Graph: onnxpb.Graph{
		Name: "two_block_vit", Nodes: nodes, Initializers: inits,
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 3, 8, 8}}},
		Outputs: []onnxpb.ValueInfo{{Name: "logits", Dims: []int64{1, 3}}},
	}}
	data, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := inference.LoadBytes("two_block_vit.onnx", data, inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// slowRollout is attention rollout as Abnar & Zuidema write it, with whole
// matrices: A_l = (fuse_heads(attn_l) + I), rows divided by their sums;
// R = A_1, then R = A_l R for each later block; the map is row 0 of R at
// the patches (after the extra tokens).
func slowRollout(attn []*tensor.Tensor, heads, tokens, extra int, headsMax bool) []float64 {
	var r [][]float64
	for _, x := range attn {
		a := make([][]float64, tokens)
		for i := range a {
			a[i] = make([]float64, tokens)
			for j := range a[i] {
				for h := range heads {
					v := float64(x.F[(h*tokens+i)*tokens+j])
					if headsMax {
						if h == 0 || v > a[i][j] {
							a[i][j] = v
						}
					} else {
						a[i][j] += v / float64(heads)
					}
				}
			}
			a[i][i]++
			var sum float64
			for _, v := range a[i] {
				sum += v
			}
			for j := range a[i] {
				a[i][j] /= sum
			}
		}
		if r == nil {
			r = a
			continue
		}
		prod := make([][]float64, tokens)
		for i := range prod {
			prod[i] = make([]float64, tokens)
			for j := range prod[i] {
				for k := range tokens {
					prod[i][j] += a[i][k] * r[k][j]
				}
			}
		}
		r = prod
	}
	return r[0][extra:]
}

// TestRolloutTwoBlocks: on a hand-built two-block, two-head attention
// graph, with a class token and with DeiT's two extra tokens, discovery
// finds both blocks' attention in order, and the rollout map (mean and
// maximum over heads) equals the whole-matrix product of slowRollout on
// the attention probabilities of the run.
func TestRolloutTwoBlocks(t *testing.T) {
	for _, extra := range []int{1, 2} {
		t.Run(fmt.Sprintf("extra%d", extra), func(t *testing.T) {
			m := twoBlockViT(t, extra)
			e, err := New(m, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.Head.Attention, []string{"attn0", "attn1"}) {
				t.Fatalf("attention %v, want [attn0 attn1]", e.Head.Attention)
			}
			if ok, why := e.SupportsRollout(); !ok {
				t.Fatalf("rollout does not apply: %s", why)
			}
			x := tensor.New(1, 3, 8, 8)
			for i := range x.F {
				x.F[i] = float32(i%11)/5 - 1
			}
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"x": x}, "attn0", "attn1")
			if err != nil {
				t.Fatal(err)
			}
			attn := []*tensor.Tensor{out["attn0"], out["attn1"]}
			for _, headsMax := range []bool{false, true} {
				p, err := e.ForwardOptions(context.Background(), x, Rollout, Options{HeadsMax: headsMax})
				if err != nil {
					t.Fatal(err)
				}
				got, weights, err := p.MapAndWeights(2)
				if err != nil {
					t.Fatal(err)
				}
				if got.W != 2 || got.H != 2 || weights != nil {
					t.Fatalf("map %dx%d (weights %v), want 2x2 without weights", got.W, got.H, weights)
				}
				want := slowRollout(attn, 2, extra+4, extra, headsMax)
				for i, v := range got.Data {
					if math.Abs(float64(v)-want[i]) > 1e-6 {
						t.Errorf("heads max %v: patch %d: %g, want %g", headsMax, i, v, want[i])
					}
				}
			}
		})
	}
}

// TestRolloutRefused: rollout needs a class token's attention: a CNN and
// Swin (window attention) say why, as does the heads option elsewhere.
func TestRolloutRefused(t *testing.T) {
	for _, name := range []string{"resnet18", "swin_tiny"} {
		e, err := New(sharedModel(t, "reference", name), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if ok, why := e.SupportsRollout(); ok || why == "" {
			t.Errorf("%s: rollout applies: %v (%q)", name, ok, why)
		}
	}
	if err := (Options{HeadsMax: true}).Check(GradCAM); err == nil {
		t.Error("the heads' maximum taken for Grad-CAM")
	}
	if err := (Options{EigenSmooth: true}).Check(Rollout); err == nil {
		t.Error("eigen-smoothing taken for rollout")
	}
}

// TestRolloutViT: on vit_tiny, rollout takes the four blocks' attention
// and gives a map on the 14x14 patch grid, the same for every class, with
// the layer chosen or not, equal to slowRollout on the run's attention.
// The class token's row of a product of row-stochastic matrices sums to
// 1, so the patches' share is positive and below 1.
func TestRolloutViT(t *testing.T) {
	m := sharedModel(t, "reference", "vit_tiny")
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Head.Attention) != 4 {
		t.Fatalf("attention %v, want the 4 blocks'", e.Head.Attention)
	}
	input := readNpy(t, "reference", "input.npy")
	p, err := e.Forward(context.Background(), input, Rollout)
	if err != nil {
		t.Fatal(err)
	}
	top := p.Top(2)
	got, err := p.Map(top[0].Index)
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.Map(top[1].Index)
	if err != nil {
		t.Fatal(err)
	}
	if got.W != 14 || got.H != 14 || !slices.Equal(got.Data, other.Data) {
		t.Fatalf("map %dx%d, differs between classes: %v", got.W, got.H, !slices.Equal(got.Data, other.Data))
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, e.Head.Attention...)
	if err != nil {
		t.Fatal(err)
	}
	var attn []*tensor.Tensor
	for _, a := range e.Head.Attention {
		attn = append(attn, out[a])
	}
	want := slowRollout(attn, 3, 197, 1, false)
	var sum float64
	for i, v := range got.Data {
		sum += float64(v)
		if math.Abs(float64(v)-want[i]) > 1e-6 {
			t.Errorf("patch %d: %g, want %g", i, v, want[i])
		}
	}
	if !(sum > 0 && sum < 1) {
		t.Errorf("the patches' share of the class token's rollout is %g", sum)
	}
}
