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
	"camscope/inference/onnxpb"
	"camscope/inference/onnxpb/opsetup"
	"camscope/inference/tensor"
)

// exportsDir holds small torchvision models exported by PyTorch at opsets
// 14 (LayerNorm spelled out) and 17, with PyTorch's numbers
// (tools/transformers/make.py writes them).
const exportsDir = "testdata/transformers"

// exportMeta is what make.py records of each model.
type exportMeta struct {
	GradK      int    `json:"grad_k"`
	Opsets     []int  `json:"opsets"`
	FeatShape  []int  `json:"feat_shape"`
	Scope      string `json:"scope"`
	EarlyShape []int  `json:"early_shape"`
	EarlyScope string `json:"early_scope"`
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

// layerRef is PyTorch's value and gradient at one layer, on the grid:
// [c][y*w+x], and Grad-CAM's channel weights, the grid means of the
// gradient.
type layerRef struct {
	scope      string
	c, hw      int
	feat, grad [][]float64
	weights    []float64
}

// readLayerRef reads NAME_feat<suffix>.npy and NAME_grad<suffix>.npy, of
// shape: tokens [1,1+hw,C] (ViT), channels last [1,h,w,C] (Swin) or
// [1,C,h,w] (ConvNeXt).
func readLayerRef(t *testing.T, name, suffix, scope string, shape []int) layerRef {
	t.Helper()
	feat, grad := readExport(t, name+"_feat"+suffix+".npy"), readExport(t, name+"_grad"+suffix+".npy")
	r := layerRef{scope: scope}
	switch name {
	case "vit":
		r.c, r.hw = shape[2], shape[1]-1
		r.feat, r.grad = onGrid(feat, 1, r.c, r.hw), onGrid(grad, 1, r.c, r.hw)
	case "swin":
		r.c, r.hw = shape[3], shape[1]*shape[2]
		r.feat, r.grad = onGrid(feat, 0, r.c, r.hw), onGrid(grad, 0, r.c, r.hw)
	default:
		r.c, r.hw = shape[1], shape[2]*shape[3]
		r.feat, r.grad = planes(feat.F, r.c, r.hw), planes(grad.F, r.c, r.hw)
	}
	r.weights = make([]float64, r.c)
	for ch := range r.c {
		for _, v := range r.grad[ch] {
			r.weights[ch] += v / float64(r.hw)
		}
	}
	return r
}

// check compares a Grad-CAM pass's layer values and channel weights of
// class k with the reference, within 1e-4 of their largest.
func (r layerRef) check(t *testing.T, p *Pass, k int) {
	t.Helper()
	l := p.e.Layer
	if !strings.HasPrefix(l, r.scope) || p.Feature.Shape[1] != r.c || p.Feature.Shape[2]*p.Feature.Shape[3] != r.hw {
		t.Fatalf("layer %q %v, want one of %s*, %d channels on %d places", l, p.Feature.Shape, r.scope, r.c, r.hw)
	}
	var df float64
	for ch := range r.c {
		df = max(df, maxRelDiff(p.Feature.F[ch*r.hw:(ch+1)*r.hw], r.feat[ch]))
	}
	_, ws, err := p.MapAndWeights(k)
	if err != nil {
		t.Fatal(err)
	}
	dw := maxRelDiff(ws[0], r.weights)
	t.Logf("%s: values within %.2g, Grad-CAM's weights within %.2g", l, df, dw)
	if df > 1e-4 || dw > 1e-4 {
		t.Errorf("%s: the values differ from PyTorch's by %.3g, Grad-CAM's weights from its gradient's means by %.3g, of the largest", l, df, dw)
	}
}

// exportFile is one file of a model checked by TestTorchvisionExports.
type exportFile struct {
	label string // e.g. vit_op17, vit_op21_gelu
	opset int
	gelu  bool // the GELUs written as Gelu nodes
	data  []byte
}

// exportFiles returns a model's committed exports (meta.json's opsets) and
// its opset-17 export upgraded to opsets 18 to 21 by package opsetup, as
// the ONNX version converter writes them, and at 20 and 21 also with its
// GELUs as Gelu nodes, as PyTorch's export writes them from opset 20.
func exportFiles(t *testing.T, name string, opsets []int) []exportFile {
	t.Helper()
	var files []exportFile
	for _, op := range opsets {
		b, err := os.ReadFile(filepath.Join(exportsDir, fmt.Sprintf("%s_op%d.onnx", name, op)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, exportFile{label: fmt.Sprintf("%s_op%d", name, op), opset: op, data: b})
	}
	b17 := files[slices.Index(opsets, 17)].data
	for to := 18; to <= 21; to++ {
		for _, gelu := range []bool{false, true} {
			if gelu && to < 20 {
				continue
			}
			b, err := opsetup.Upgrade(b17, to, opsetup.Options{Gelu: gelu})
			if err != nil {
				t.Fatalf("%s at opset %d: %v", name, to, err)
			}
			label := fmt.Sprintf("%s_op%d", name, to)
			if gelu {
				label += "_gelu"
			}
			files = append(files, exportFile{label: label, opset: to, gelu: gelu, data: b})
		}
	}
	return files
}

// TestTorchvisionExports: on a ViT, a Swin and a ConvNeXt exported by
// PyTorch at opsets 14 and 17 (other sizes and seed than the shared
// models), and the opset-17 files upgraded to opsets 18 to 21 (at 20 and
// 21 also with Gelu nodes for the Erf form of GELU; ONNX Runtime gives
// PyTorch's logits on each, tools/opsetup/README.md), the logits are
// PyTorch's within 1e-4 of the largest, discovery picks the default layer
// (ViT: the last block's first LayerNorm, spelled out at opset 14; Swin:
// the final norm, channels last; ConvNeXt: the last stage's output), whose
// values, and Grad-CAM's channel weights (grid means of PyTorch's gradient
// there), match within 1e-4 of their largest, as they do at an early layer
// (the gradient then goes back through every block: Swin's shifted windows
// and masks, ViT's attention, and the Gelu nodes); CAM applies to Swin
// alone (ConvNeXt's head norms the pooled features); ViT's attention
// rollout is the one computed from the weights PyTorch's attention returns.
func TestTorchvisionExports(t *testing.T) {
	meta := readExportMeta(t)
	input := readExport(t, "input.npy")
	for _, name := range []string{"vit", "swin", "convnext"} {
		mt, ok := meta[name]
		if !ok {
			t.Fatalf("meta.json has no %s", name)
		}
		logits := readExport(t, name+"_logits.npy")
		last := readLayerRef(t, name, "", mt.Scope, mt.FeatShape)
		early := readLayerRef(t, name, "0", mt.EarlyScope, mt.EarlyShape)
		for _, f := range exportFiles(t, name, mt.Opsets) {
			t.Run(f.label, func(t *testing.T) {
				info, err := onnxpb.Unmarshal(f.data, onnxpb.Structure)
				if err != nil {
					t.Fatal(err)
				}
				ops := map[string]int{}
				for _, n := range info.Graph.Nodes {
					ops[n.OpType]++
				}
				if info.Opset != int64(f.opset) || (ops["Gelu"] > 0) != f.gelu || (ops["Erf"] > 0) == f.gelu {
					t.Fatalf("opset %d with %d Gelu and %d Erf nodes", info.Opset, ops["Gelu"], ops["Erf"])
				}
				m, err := inference.LoadBytes(f.label+".onnx", f.data, inference.Options{})
				if err != nil {
					t.Fatal(err)
				}
				e, err := New(m, nil, "")
				if err != nil {
					t.Fatal(err)
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
				last.check(t, p, mt.GradK)
				// The early layer: the last of the layers offered in
				// its module (its norm's or block's output).
				layer := ""
				for _, l := range Layers(m) {
					if strings.HasPrefix(l.Name, early.scope) {
						layer = l.Name
					}
				}
				ee, err := New(m, nil, layer)
				if err != nil {
					t.Fatal(err)
				}
				if p, err = ee.Forward(context.Background(), input, GradCAM); err != nil {
					t.Fatal(err)
				}
				early.check(t, p, mt.GradK)
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
