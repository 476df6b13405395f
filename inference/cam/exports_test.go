package cam

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/npy"
	"camscope/inference/tensor"
)

// exportsDir holds small torchvision models exported by PyTorch at opsets
// 14 (LayerNorm spelled out) and 17, with PyTorch's numbers
// (tools/transformers/make.py writes them).
const exportsDir = "testdata/transformers"

// exportMeta is what make.py records of each model.
type exportMeta struct {
	GradK        int     `json:"grad_k"`
	Opsets       []int   `json:"opsets"`
	FeatShape    []int   `json:"feat_shape"`
	Scope        string  `json:"scope"`
	LogitsAbsMax float64 `json:"logits_absmax"`
}

func readExportMeta(t *testing.T) map[string]exportMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exportsDir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]exportMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

func readExport(t *testing.T, name string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(filepath.Join(exportsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// maxRelDiff is the largest difference between got and want, relative to
// want's largest magnitude.
func maxRelDiff(got []float32, want []float64) float64 {
	var d, top float64
	for i, w := range want {
		d = max(d, math.Abs(float64(got[i])-w))
		top = max(top, math.Abs(w))
	}
	return d / top
}

// TestTorchvisionExports: on a ViT, a Swin and a ConvNeXt exported by
// PyTorch at opsets 14 and 17 (other sizes and seed than the shared
// models), the logits are PyTorch's within 1e-4 of the largest, discovery
// picks the default layer (ViT: the last block's first LayerNorm, spelled
// out at opset 14; Swin: the final norm, channels last; ConvNeXt: the last
// stage's output), whose values, and Grad-CAM's channel weights (grid means
// of PyTorch's gradient there), match within 1e-4 of their largest; CAM
// applies to Swin alone (ConvNeXt's head norms the pooled features); ViT's
// attention rollout is the one computed from the weights PyTorch's
// attention returns.
func TestTorchvisionExports(t *testing.T) {
	meta := readExportMeta(t)
	input := readExport(t, "input.npy")
	for _, name := range []string{"vit", "swin", "convnext"} {
		mt, ok := meta[name]
		if !ok {
			t.Fatalf("meta.json has no %s", name)
		}
		logits := readExport(t, name+"_logits.npy")
		feat, grad := readExport(t, name+"_feat.npy"), readExport(t, name+"_grad.npy")
		// The reference on the grid: [c][y*w+x].
		var extra, c, hw int
		fs := mt.FeatShape
		switch name {
		case "vit":
			extra, c, hw = 1, fs[2], 64
		case "swin":
			c, hw = fs[3], fs[1]*fs[2]
		default:
			c, hw = fs[1], fs[2]*fs[3]
		}
		var wantFeat, wantGrad [][]float64
		if name == "convnext" {
			wantFeat, wantGrad = planes(feat.F, c, hw), planes(grad.F, c, hw)
		} else {
			wantFeat, wantGrad = onGrid(feat, extra, c, hw), onGrid(grad, extra, c, hw)
		}
		wantWeights := make([]float64, c)
		for ch := range c {
			for _, v := range wantGrad[ch] {
				wantWeights[ch] += v / float64(hw)
			}
		}
		for _, op := range mt.Opsets {
			t.Run(fmt.Sprintf("%s_op%d", name, op), func(t *testing.T) {
				m, err := inference.Load(filepath.Join(exportsDir, fmt.Sprintf("%s_op%d.onnx", name, op)), inference.Options{})
				if err != nil {
					t.Fatal(err)
				}
				e, err := New(m, nil, "")
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(e.Layer, mt.Scope) || e.Head.FeatureShape[1] != c || e.Head.FeatureShape[2]*e.Head.FeatureShape[3] != hw {
					t.Fatalf("default layer %q %v, want one of %s*, %d channels on %d places", e.Layer, e.Head.FeatureShape, mt.Scope, c, hw)
				}
				if ok, why := e.SupportsCAM(); ok != (name == "swin") {
					t.Errorf("CAM applies: %v (%s); it does for Swin's pooling and linear head alone", ok, why)
				}
				p, err := e.Forward(context.Background(), input, GradCAM)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxRelDiff(p.Logits, toFloat64(logits.F)); d > 1e-4 {
					t.Errorf("logits differ from PyTorch's by %.3g of the largest", d)
				}
				var df float64
				for ch := range c {
					df = max(df, maxRelDiff(p.Feature.F[ch*hw:(ch+1)*hw], wantFeat[ch]))
				}
				if df > 1e-4 {
					t.Errorf("the layer's values differ from PyTorch's by %.3g", df)
				}
				_, ws, err := p.MapAndWeights(mt.GradK)
				if err != nil {
					t.Fatal(err)
				}
				dw := maxRelDiff(ws[0], wantWeights)
				t.Logf("%s: logits, layer %s, weights within %.2g", m.Name, e.Layer, dw)
				if dw > 1e-4 {
					t.Errorf("Grad-CAM's weights differ from PyTorch's gradient's means by %.3g of the largest", dw)
				}
				if name != "vit" {
					if ok, _ := e.SupportsRollout(); ok {
						t.Error("attention rollout offered without a class token")
					}
					return
				}
				p, err = e.Forward(context.Background(), input, Rollout)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.Map(0)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxRelDiff(got.Data, toFloat64(readExport(t, "vit_rollout.npy").F)); got.W != 8 || got.H != 8 || d > 1e-4 {
					t.Errorf("rollout %dx%d differs from PyTorch's attention weights' by %.3g", got.W, got.H, d)
				}
			})
		}
	}
}

// TestConvNeXtChannelsLast: ConvNeXt's blocks hold their LayerNorm and
// MLP channels last ([1,H,W,C] after a Permute): the layers offered take
// those as channels last and the stages' outputs as [1,C,H,W], each with
// the right grid, and the last is the default layer.
func TestConvNeXtChannelsLast(t *testing.T) {
	m, err := inference.Load(filepath.Join(exportsDir, "convnext_op17.onnx"), inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	layers := Layers(m)
	channels := map[int][]int{16: {24, 96}, 8: {48, 192}, 4: {96, 384}} // per stage's grid: the stage's and its MLP's
	var last, nhwc int
	for _, l := range layers {
		sh, _ := m.Shape(l.Name)
		if l.ChannelsLast {
			nhwc++
			if !slices.Equal(sh, []int{1, l.H, l.W, l.C}) {
				t.Errorf("%s %v taken as channels last %dx%dx%d", l.Name, sh, l.H, l.W, l.C)
			}
		} else if !slices.Equal(sh, []int{1, l.C, l.H, l.W}) {
			t.Errorf("%s %v taken as %dx%dx%d channels first", l.Name, sh, l.C, l.H, l.W)
		}
		if l.H != l.W || !slices.Contains(channels[l.H], l.C) {
			t.Errorf("%s: %d channels on %dx%d", l.Name, l.C, l.H, l.W)
		}
		if l.H == 4 && l.C == 96 && !l.ChannelsLast {
			last++
		}
	}
	if nhwc == 0 || last == 0 || !layers[len(layers)-1].Discovered || layers[len(layers)-1].ChannelsLast {
		t.Errorf("%d layers channels last, %d of the last stage channels first; the last %+v, want the default, channels first", nhwc, last, layers[len(layers)-1])
	}
}
