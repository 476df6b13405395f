package cam

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/internal/shareddata"
	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// onGrid puts a reference tensor of a transformer (tokens [1,T,C] with T =
// extra + h*w, or channels last [1,h,w,C]) on its grid: [c][y*w+x].
func onGrid(ref *tensor.Tensor, extra, c, hw int) [][]float64 {
	out := make([][]float64, c)
	for ch := range out {
		out[ch] = make([]float64, hw)
		for pos := range hw {
			out[ch][pos] = float64(ref.F[(extra+pos)*c+ch])
		}
	}
	return out
}

// TestTransformerGradCAM checks, on ViT and Swin, that discovery picks the
// tensor meta_transformers.json describes (ViT: the last block's first
// LayerNorm, tokens after the class token on the 14x14 patch grid; Swin:
// the final norm, 7x7 channels last), and that Grad-CAM's channel weights
// and map equal the formula computed from PyTorch's feature and gradient:
// w_c = mean over the grid of dy_k/dA_c, map = sum_c w_c A_c.
func TestTransformerGradCAM(t *testing.T) {
	meta := shareddata.TransformerMeta(t)
	input := readNpy(t, "reference", "input.npy")
	cases := []struct {
		name, feature string
		extra, grid   int
		cam           bool
	}{
		{"vit_tiny", "/encoder/layers/encoder_layer_3/ln_1/LayerNormalization_output_0", 1, 14, false},
		{"swin_tiny", "/norm/LayerNormalization_output_0", 0, 7, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mt := meta[c.name]
			m := sharedModel(t, "reference", c.name)
			e, err := New(m, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			ch := mt.FeatShape[len(mt.FeatShape)-1]
			if e.Layer != c.feature || !slices.Equal(e.Head.FeatureShape, []int{1, ch, c.grid, c.grid}) {
				t.Fatalf("feature %q %v, want %q on a %dx%d grid of %d channels", e.Layer, e.Head.FeatureShape, c.feature, c.grid, c.grid, ch)
			}
			if ok, why := e.SupportsCAM(); ok != c.cam {
				t.Errorf("CAM applies: %v (%s), want %v", ok, why, c.cam)
			}
			p, err := e.Forward(context.Background(), input, GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			k := mt.GradK
			_, ws, err := p.MapAndWeights(k)
			if err != nil {
				t.Fatal(err)
			}
			weights := ws[0]
			hw := c.grid * c.grid
			feat := onGrid(readNpy(t, "reference", c.name+"_feat.npy"), c.extra, ch, hw)
			grad := onGrid(readNpy(t, "reference", c.name+"_grad.npy"), c.extra, ch, hw)
			want := make([]float64, ch)
			wantMap := make([]float64, hw)
			var wMax, mapMax float64
			for i := range ch {
				for _, v := range grad[i] {
					want[i] += v / float64(hw)
				}
				wMax = max(wMax, math.Abs(want[i]))
				for pos := range hw {
					wantMap[pos] += want[i] * feat[i][pos]
				}
			}
			for _, v := range wantMap {
				mapMax = max(mapMax, math.Abs(v))
			}
			var dw, dm float64
			for i, w := range weights {
				dw = max(dw, math.Abs(float64(w)-want[i]))
			}
			got, err := p.Map(k)
			if err != nil {
				t.Fatal(err)
			}
			if got.W != c.grid || got.H != c.grid {
				t.Fatalf("map %dx%d, want %dx%d", got.W, got.H, c.grid, c.grid)
			}
			for pos, v := range got.Data {
				dm = max(dm, math.Abs(float64(v)-wantMap[pos]))
			}
			t.Logf("weights differ by %.2g, the map by %.2g, of their largest", dw/wMax, dm/mapMax)
			if dw > 1e-4*wMax || dm > 1e-4*mapMax {
				t.Errorf("weights differ from the reference by %g (limit %g), the map by %g (limit %g)", dw, 1e-4*wMax, dm, 1e-4*mapMax)
			}
		})
	}
}

// TestTransformerLayers checks the layers offered for a ViT (its tokens on
// the patch grid, the default marked) and Swin (the final norm channels
// last), and that the methods by forward passes run on ViT's tokens:
// Ablation-CAM zeroes a channel of the patch tokens, leaving the class
// token as it is.
func TestTransformerLayers(t *testing.T) {
	vit := sharedModel(t, "reference", "vit_tiny")
	layers := Layers(vit)
	discovered := 0
	for _, l := range layers {
		if !l.Tokens || l.H != 14 || l.W != 14 {
			t.Errorf("ViT layer %+v, want tokens on the 14x14 grid", l)
		}
		if l.Discovered {
			discovered++
		}
	}
	if len(layers) < 10 || discovered != 1 || !layers[len(layers)-1].Discovered {
		t.Errorf("ViT: %d layers, %d discovered, want the discovered one last", len(layers), discovered)
	}
	if w, h, ok := Grid(vit, layers[0].Name); !ok || w != 14 || h != 14 {
		t.Errorf("ViT's grid %dx%d (%v), want 14x14", w, h, ok)
	}
	swinModel := sharedModel(t, "reference", "swin_tiny")
	if w, h, ok := Grid(swinModel, "/norm/LayerNormalization_output_0"); !ok || w != 7 || h != 7 {
		t.Errorf("Swin's final grid %dx%d (%v), want 7x7", w, h, ok)
	}
	swin := Layers(swinModel)
	if last := swin[len(swin)-1]; !last.Discovered || !last.ChannelsLast || last.C != 384 || last.H != 7 {
		t.Errorf("Swin's last layer %+v, want the final norm, 7x7x384 channels last", last)
	}

	e, err := New(vit, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	input := readNpy(t, "reference", "input.npy")
	p, err := e.Forward(context.Background(), input, AblationCAM)
	if err != nil {
		t.Fatal(err)
	}
	if p.ablation.Passes < 100 {
		t.Errorf("Ablation-CAM ran %d passes for 192 channels", p.ablation.Passes)
	}
	m, err := p.Map(p.Top(1)[0].Index)
	if err != nil || m.W != 14 || m.H != 14 {
		t.Fatalf("Ablation-CAM map %dx%d, %v", m.W, m.H, err)
	}
	lo, hi := minMax(m.Data)
	if !(hi > lo) || math.IsNaN(float64(hi)) {
		t.Errorf("Ablation-CAM map in [%g, %g]", lo, hi)
	}
}

// tinyViT is a two-token (DeiT-like) transformer of one block, exported as
// at opset 11: patch-embedding Conv (4x4 patches of an 8x8 input: a 2x2
// grid), two extra tokens, LayerNorm spelled out (ReduceMean, Sub, Mul,
// ReduceMean, Add, Sqrt, Div, Mul, Add), one attention (MatMul, Softmax,
// MatMul), a residual Add, and a head on the tokens' mean.
func tinyViT(t *testing.T) *inference.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	vals := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		return v
	}
	node := func(op string, in []string, out string, attrs ...onnxpb.Attr) onnxpb.Node {
		return onnxpb.Node{Name: out, OpType: op, Inputs: in, Outputs: []string{out}, Attrs: attrs}
	}
	om := &onnxpb.Model{Opset: 11, Graph: onnxpb.Graph{
		Name: "tiny_vit",
		Nodes: []onnxpb.Node{
			node("Conv", []string{"x", "P"}, "patches", onnxpb.Ints("strides", 4, 4)),
			node("Flatten", []string{"patches"}, "flat", onnxpb.Int("axis", 2)),
			node("Unsqueeze", []string{"flat"}, "chw", onnxpb.Ints("axes", 0)),
			node("Transpose", []string{"chw"}, "tok", onnxpb.Ints("perm", 0, 2, 1)),
			node("Concat", []string{"extra", "tok"}, "t", onnxpb.Int("axis", 1)),
			node("ReduceMean", []string{"t"}, "mu", onnxpb.Ints("axes", -1)),
			node("Sub", []string{"t", "mu"}, "d"),
			node("Mul", []string{"d", "d"}, "sq"),
			node("ReduceMean", []string{"sq"}, "var", onnxpb.Ints("axes", -1)),
			node("Add", []string{"var", "eps"}, "ve"),
			node("Sqrt", []string{"ve"}, "sd"),
			node("Div", []string{"d", "sd"}, "n"),
			node("Mul", []string{"n", "gamma"}, "g"),
			node("Add", []string{"g", "beta"}, "ln"),
			node("Transpose", []string{"ln"}, "lnT", onnxpb.Ints("perm", 0, 2, 1)),
			node("MatMul", []string{"ln", "lnT"}, "scores"),
			node("Softmax", []string{"scores"}, "attn", onnxpb.Int("axis", 2)),
			node("MatMul", []string{"attn", "ln"}, "o"),
			node("Add", []string{"t", "o"}, "r"),
			node("ReduceMean", []string{"r"}, "pooled", onnxpb.Ints("axes", 1), onnxpb.Int("keepdims", 0)),
			node("Gemm", []string{"pooled", "W"}, "logits", onnxpb.Int("transB", 1)),
		},
		Initializers: []onnxpb.Tensor{
			{Name: "P", Dims: []int64{4, 3, 4, 4}, Data: vals(4 * 3 * 16)},
			{Name: "extra", Dims: []int64{1, 2, 4}, Data: vals(8)},
			{Name: "eps", Dims: []int64{1}, Data: []float32{1e-5}},
			{Name: "gamma", Dims: []int64{4}, Data: vals(4)},
			{Name: "beta", Dims: []int64{4}, Data: vals(4)},
			{Name: "W", Dims: []int64{3, 4}, Data: vals(12)},
		},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 3, 8, 8}}},
		Outputs: []onnxpb.ValueInfo{{Name: "logits", Dims: []int64{1, 3}}},
	}}
	data, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := inference.LoadBytes("tiny_vit.onnx", data, inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTinyViTSpelledOutLayerNorm: discovery takes the spelled-out
// LayerNorm before the last attention as the layer, drops DeiT's two extra
// tokens, and Grad-CAM's weights are the grid means of the gradient at the
// patch tokens.
func TestTinyViTSpelledOutLayerNorm(t *testing.T) {
	m := tinyViT(t)
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.Layer != "ln" || !slices.Equal(e.Head.FeatureShape, []int{1, 4, 2, 2}) || e.Head.Weights != nil {
		t.Fatalf("layer %q %v (CAM weights %v), want ln on a 2x2 grid of 4 channels without CAM", e.Layer, e.Head.FeatureShape, e.Head.Weights != nil)
	}
	x := tensor.New(1, 3, 8, 8)
	for i := range x.F {
		x.F[i] = float32(i%7) - 3
	}
	p, err := e.Forward(context.Background(), x, GradCAM)
	if err != nil {
		t.Fatal(err)
	}
	_, ws, err := p.MapAndWeights(1)
	if err != nil {
		t.Fatal(err)
	}
	weights := ws[0]
	tape, _, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{"x": x}, []string{"ln"}, "logits")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := tape.GradsOfLogit(1)
	if err != nil {
		t.Fatal(err)
	}
	g := gs[0]
	for c, w := range weights {
		var want float64
		for pos := range 4 {
			want += float64(g.F[(2+pos)*4+c]) / 4
		}
		if math.Abs(float64(w)-want) > 1e-6 {
			t.Errorf("channel %d: weight %g, want %g", c, w, want)
		}
	}
}

// TestMapsMatchOneClassAtATime checks that the maps and channel weights
// of several classes asked at once (Pass.MapsAndWeights: one call, the
// gradients of all the classes of a run fetched together) are those of
// each class asked alone (MapAndWeights, whose Grad-CAM weights
// TestTransformerGradCAM checks against PyTorch's gradient), on vit_tiny
// and swin_tiny, for methods with and without the gradient and with
// either smoothing; and that a class out of range fails the whole call.
func TestMapsMatchOneClassAtATime(t *testing.T) {
	meta := shareddata.TransformerMeta(t)
	input := readNpy(t, "reference", "input.npy")
	cases := []struct {
		method Method
		opt    Options
	}{
		{GradCAM, Options{}},
		{HiResCAM, Options{}},
		{XGradCAM, Options{EigenSmooth: true}},
		{GradCAM, Options{AugSmooth: true}},
		{EigenCAM, Options{}},
		{Rollout, Options{}},
	}
	for _, name := range []string{"vit_tiny", "swin_tiny"} {
		m := sharedModel(t, "reference", name)
		e, err := New(m, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if ok, _ := e.SupportsRollout(); c.method == Rollout && !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s/%v", name, c.method, c.opt.Smoothing()), func(t *testing.T) {
				p, err := e.ForwardOptions(context.Background(), input, c.method, c.opt)
				if err != nil {
					t.Fatal(err)
				}
				var ks []int
				for _, cl := range p.Top(4) {
					ks = append(ks, cl.Index)
				}
				ks = append(ks, meta[name].GradK, ks[0])
				maps, weights, err := p.MapsAndWeights(ks)
				if err != nil {
					t.Fatal(err)
				}
				if len(maps) != len(ks) || len(weights) != len(ks) {
					t.Fatalf("%d maps and %d weights for %d classes", len(maps), len(weights), len(ks))
				}
				for i, k := range ks {
					one, ws, err := p.MapAndWeights(k)
					if err != nil {
						t.Fatal(err)
					}
					// Equal but for rounding: the kernels may split a product
					// differently under load.
					if one.W != maps[i].W || one.H != maps[i].H || !closeTo(one.Data, maps[i].Data) {
						t.Errorf("class %d: its map with %v differs from its map alone", k, ks)
					}
					if len(ws) != len(weights[i]) {
						t.Fatalf("class %d: weights of %d layers, alone %d", k, len(weights[i]), len(ws))
					}
					for l := range ws {
						if !closeTo(ws[l], weights[i][l]) {
							t.Errorf("class %d: its channel weights with %v differ from its weights alone", k, ks)
						}
					}
				}
				if _, _, err := p.MapsAndWeights([]int{ks[0], 1000}); err == nil || !strings.Contains(err.Error(), "class 1000 does not exist") {
					t.Errorf("class 1000 among others: %v, want an error naming it", err)
				}
				if maps, _, err := p.MapsAndWeights(nil); err != nil || len(maps) != 0 {
					t.Errorf("no class: %d maps, %v", len(maps), err)
				}
			})
		}
	}
}

// closeTo reports whether a and b have the same length and differ by at
// most 1e-5 of b's largest magnitude.
func closeTo(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	var worst, scale float64
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i])-float64(b[i])))
		scale = max(scale, math.Abs(float64(b[i])))
	}
	return worst <= 1e-5*scale
}
