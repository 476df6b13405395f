package cam

import (
	"context"
	"math"
	"slices"
	"testing"

	"camscope/inference/internal/shareddata"
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
			weights, err := p.ChannelWeights(k)
			if err != nil {
				t.Fatal(err)
			}
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
	swin := Layers(sharedModel(t, "reference", "swin_tiny"))
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
