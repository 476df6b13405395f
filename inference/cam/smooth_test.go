package cam

import (
	"context"
	"math"
	"slices"
	"testing"

	"camscope/inference"
	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// linearModel is a classifier whose answers are known: input x [1,2,h,w],
// feature map A = K x + B (a 1x1 convolution without bias, plus the
// constant b [1,3,h,w]), global average pooling and a linear layer with
// weights wk [2,3]. A 1x1 convolution commutes with a left-right flip, and
// the gradient of logit k at A is wk[k,c]/(h*w) everywhere, whatever the
// input.
func linearModel(t *testing.T, h, w int, k, b, wk []float32) *Explainer {
	t.Helper()
	om := &onnxpb.Model{Graph: onnxpb.Graph{
		Name: "linear",
		Nodes: []onnxpb.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "K"}, Outputs: []string{"kx"}},
			{Name: "add", OpType: "Add", Inputs: []string{"kx", "B"}, Outputs: []string{"feat"}},
			{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"feat"}, Outputs: []string{"pool"}},
			{Name: "flat", OpType: "Flatten", Inputs: []string{"pool"}, Outputs: []string{"flat"}},
			{Name: "fc", OpType: "Gemm", Inputs: []string{"flat", "W", "bias"}, Outputs: []string{"logits"}, Attrs: []onnxpb.Attr{onnxpb.Int("transB", 1)}},
		},
		Initializers: []onnxpb.Tensor{
			{Name: "K", Dims: []int64{3, 2, 1, 1}, Data: k},
			{Name: "B", Dims: []int64{1, 3, int64(h), int64(w)}, Data: b},
			{Name: "W", Dims: []int64{2, 3}, Data: wk},
			{Name: "bias", Dims: []int64{2}, Data: []float32{0.5, -0.5}},
		},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 2, int64(h), int64(w)}}},
		Outputs: []onnxpb.ValueInfo{{Name: "logits", Dims: []int64{1, 2}}},
	}}
	data, err := om.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := inference.LoadBytes("linear.onnx", data, inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.Layer != "feat" {
		t.Fatalf("discovered layer %q, want feat", e.Layer)
	}
	return e
}

// linearMaps returns, for linearModel, Grad-CAM's map of class cls for x
// split in its two terms: sum_c w_c (K x)_c and sum_c w_c B_c, with
// w_c = wk[cls,c]/(h*w).
func linearMaps(x, k, b, wk []float32, cls, hw int) (kx, bias []float64) {
	kx, bias = make([]float64, hw), make([]float64, hw)
	for c := range 3 {
		wc := float64(wk[cls*3+c]) / float64(hw)
		for i := range hw {
			kx[i] += wc * (float64(k[c*2])*float64(x[i]) + float64(k[c*2+1])*float64(x[hw+i]))
			bias[i] += wc * float64(b[c*hw+i])
		}
	}
	return kx, bias
}

func flipped(v []float64, h, w int) []float64 {
	out := make([]float64, len(v))
	for y := range h {
		for x := range w {
			out[y*w+x] = v[y*w+w-1-x]
		}
	}
	return out
}

// pattern returns n values without symmetry, exact in float32.
func pattern(n int, seed int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((i*seed+3)%17-8) / 8
	}
	return v
}

// TestAugSmoothKnownAnswer: on linearModel, the input multiplied by f
// and flipped gives the map f flip(M_Kx) + M_B (M_Kx and M_B the two
// terms of linearMaps): each of the six runs is checked, before it is
// flipped back. Flipped back and averaged (the factors average to 1),
// aug-smoothing gives M_Kx + (M_B + flip(M_B))/2; with a symmetric B it
// is the plain map, for any photo.
func TestAugSmoothKnownAnswer(t *testing.T) {
	const h, w = 4, 6
	hw := h * w
	k := []float32{1, -0.5, 0.25, 2, -1, 0.75}
	wk := []float32{1, -2, 0.5, -1, 0.25, 3}
	x := pattern(2*hw, 5)
	asym := pattern(3*hw, 7)
	sym := make([]float32, 3*hw) // asym made symmetric left-right
	for c := range 3 {
		for y := range h {
			for i := range w {
				sym[c*hw+y*w+i] = asym[c*hw+y*w+min(i, w-1-i)]
			}
		}
	}
	for name, b := range map[string][]float32{"asymmetric B": asym, "symmetric B": sym} {
		t.Run(name, func(t *testing.T) {
			e := linearModel(t, h, w, k, b, wk)
			in := tensor.FromFloat32([]int{1, 2, h, w}, slices.Clone(x))
			plain, err := e.Forward(context.Background(), in, GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.ForwardOptions(context.Background(), in, GradCAM, Options{AugSmooth: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.runs) != 6 || !slices.Equal(p.Logits, plain.Logits) {
				t.Fatalf("%d runs, logits %v (plain %v): want 6 runs and the plain input's logits", len(p.runs), p.Logits, plain.Logits)
			}
			for cls := range 2 {
				kx, bias := linearMaps(x, k, b, wk, cls, hw)
				seen := map[augmentation]bool{}
				for _, r := range p.runs {
					seen[r.aug] = true
					maps, _, err := p.runMaps(r, []int{cls})
					if err != nil {
						t.Fatal(err)
					}
					got := maps[0]
					scaledKx := kx
					if r.aug.flip {
						scaledKx = flipped(kx, h, w)
					}
					want := make([]float64, hw)
					for i := range want {
						want[i] = float64(r.aug.factor)*scaledKx[i] + bias[i]
					}
					if worst, scale := maxAbsDiff(got.Data, want); worst > 1e-5*scale {
						t.Errorf("class %d, flip %v, factor %g: map %v, want %v", cls, r.aug.flip, r.aug.factor, got.Data, want)
					}
				}
				for _, flip := range []bool{false, true} {
					for _, f := range []float32{0.9, 1, 1.1} {
						if !seen[augmentation{flip, f}] {
							t.Errorf("no run with flip %v and factor %g", flip, f)
						}
					}
				}
				got, err := p.Map(cls)
				if err != nil {
					t.Fatal(err)
				}
				fb := flipped(bias, h, w)
				want := make([]float64, hw)
				for i := range want {
					want[i] = kx[i] + (bias[i]+fb[i])/2
				}
				if worst, scale := maxAbsDiff(got.Data, want); worst > 1e-5*scale {
					t.Errorf("class %d: smoothed map %v, want %v", cls, got.Data, want)
				}
				pm, err := plain.Map(cls)
				if err != nil {
					t.Fatal(err)
				}
				worst, scale := maxAbsDiff(got.Data, toFloat64(pm.Data))
				if symmetric := name == "symmetric B"; symmetric != (worst <= 1e-5*scale) {
					t.Errorf("class %d: the smoothed map differs from the plain map by %g (max %g); it should equal it only for a symmetric B", cls, worst, scale)
				}
			}
		})
	}
}

// TestAugmentationLayouts: the flip reverses the width axis, the last
// one for NCHW and the third for NHWC (where the channels stay in order).
func TestAugmentationLayouts(t *testing.T) {
	x := tensor.FromFloat32([]int{1, 1, 2, 3}, []float32{1, 2, 3, 4, 5, 6})
	got, err := augmentation{true, 0.5}.apply(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1.5, 1, 0.5, 3, 2.5, 2}; !slices.Equal(got.F, want) {
		t.Errorf("NCHW: %v, want %v", got.F, want)
	}
	x = tensor.FromFloat32([]int{1, 1, 3, 2}, []float32{1, 2, 3, 4, 5, 6}) // 1 row of 3 pixels of 2 channels
	if got, err = (augmentation{true, 1}).apply(x, true); err != nil {
		t.Fatal(err)
	}
	if want := []float32{5, 6, 3, 4, 1, 2}; !slices.Equal(got.F, want) {
		t.Errorf("NHWC: %v, want %v", got.F, want)
	}
}

// TestEigenSmoothRankOne: with a one-channel photo u and a B constant per
// channel, every method's planes P_c = u v_c + m_c are of rank 1 plus a
// mean, so eigen-smoothing (their first principal component, signed to
// correlate with their sum, the plain map M = u sum(v) + const) gives
// |v| / |sum(v)| (M - mean(M)). v_c is wk[k,c] K[c,0] times 1/(h*w) for
// Grad-CAM and HiResCAM (G_c = wk[k,c]/(h*w)), 1 for CAM, and with
// relu(wk[k,c]) for LayerCAM. XGrad-CAM's and Grad-CAM++'s weights are
// other constants: their map must still be a positive multiple of
// M - mean(M).
func TestEigenSmoothRankOne(t *testing.T) {
	const h, w = 3, 4
	hw := h * w
	k := []float32{1, 0, -0.5, 0, 2, 0}
	wk := []float32{1, 2, 0.5, -1, 0.25, 3}
	b := make([]float32, 3*hw)
	for c := range 3 {
		for i := range hw {
			b[c*hw+i] = float32(c) + 1
		}
	}
	e := linearModel(t, h, w, k, b, wk)
	x := make([]float32, 2*hw)
	copy(x, pattern(hw, 5))
	in := tensor.FromFloat32([]int{1, 2, h, w}, x)
	for _, method := range []Method{CAM, GradCAM, HiResCAM, LayerCAM, XGradCAM, GradCAMPlusPlus} {
		for cls := range 2 {
			plain, err := e.Forward(context.Background(), in, method)
			if err != nil {
				t.Fatal(err)
			}
			smooth, err := e.ForwardOptions(context.Background(), in, method, Options{EigenSmooth: true})
			if err != nil {
				t.Fatal(err)
			}
			pm, err := plain.Map(cls)
			if err != nil {
				t.Fatal(err)
			}
			got, err := smooth.Map(cls)
			if err != nil {
				t.Fatal(err)
			}
			var v []float64
			for c := range 3 {
				wc := float64(wk[cls*3+c])
				switch method {
				case GradCAM, HiResCAM:
					v = append(v, wc/float64(hw)*float64(k[c*2]))
				case LayerCAM:
					v = append(v, math.Max(wc, 0)/float64(hw)*float64(k[c*2]))
				case CAM:
					v = append(v, wc*float64(k[c*2]))
				}
			}
			centred := toFloat64(pm.Data)
			mean := sum(centred) / float64(hw)
			for i := range centred {
				centred[i] -= mean
			}
			var factor float64
			if v != nil {
				factor = math.Sqrt(dot(v, v)) / math.Abs(sum(v))
			} else {
				factor = dot(toFloat64(got.Data), centred) / dot(centred, centred) // least squares
				if !(factor > 0) {
					t.Errorf("%s class %d: the eigen-smoothed map is %g times the centred plain map, want a positive multiple", method, cls, factor)
				}
			}
			want := make([]float64, hw)
			for i := range want {
				want[i] = factor * centred[i]
			}
			if worst, scale := maxAbsDiff(got.Data, want); worst > 1e-5*scale || scale == 0 {
				t.Errorf("%s class %d: eigen-smoothed %v, want %v", method, cls, got.Data, want)
			}
		}
	}
	if _, err := e.ForwardOptions(context.Background(), in, EigenCAM, Options{EigenSmooth: true}); err == nil {
		t.Error("eigen-smoothing Eigen-CAM is accepted")
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestSeveralLayersResnet18: LayerCAM and Grad-CAM at the last two stages
// of resnet18 (7x7 and 14x14), for the two most probable classes and the
// least, equal each layer's own map combined by hand:
// clipped at 0, scaled to [0,1], resized bilinearly (OpenCV's pixel
// centres) to 14x14, averaged and scaled again; the channel weights of
// each layer are that layer's alone.
func TestSeveralLayersResnet18(t *testing.T) {
	_, input := loadRef(t)
	m := sharedModel(t, "reference", "resnet18")
	layers := []string{"", "/layer3/layer3.1/relu_1/Relu_output_0"}
	e, err := NewLayers(m, nil, layers)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.SupportsCAM(); ok {
		t.Error("CAM applies to two layers")
	}
	for _, method := range []Method{LayerCAM, GradCAM} {
		p, err := e.Forward(context.Background(), input, method)
		if err != nil {
			t.Fatal(err)
		}
		singles := make([]*Pass, len(layers))
		for i, l := range layers {
			one, err := New(m, nil, l)
			if err != nil {
				t.Fatal(err)
			}
			if singles[i], err = one.Forward(context.Background(), input, method); err != nil {
				t.Fatal(err)
			}
		}
		// The two most probable classes and the least: its Grad-CAM maps
		// have negative values, which the ReLU must clip (at the 7x7
		// layer, all of them: that layer's scaled map is 0).
		all := p.Top(len(p.Logits))
		negative := false
		for _, c := range append(all[:2], all[len(all)-1]) {
			got, weights, err := p.MapAndWeights(c.Index)
			if err != nil {
				t.Fatal(err)
			}
			if got.W != 14 || got.H != 14 {
				t.Fatalf("%s: a %dx%d map, want the finest grid, 14x14", method, got.W, got.H)
			}
			want := make([]float64, 14*14)
			for i, s := range singles {
				one, ws, err := s.MapAndWeights(c.Index)
				if err != nil {
					t.Fatal(err)
				}
				negative = negative || slices.Min(one.Data) < 0
				for j, v := range slowResize(unitScale(one.Data, true), one.W, one.H, 14, 14) {
					want[j] += v / float64(len(layers))
				}
				switch {
				case method == LayerCAM && (weights != nil || ws != nil):
					t.Errorf("LayerCAM has channel weights")
				case method == GradCAM && (len(weights) != 2 || len(ws) != 1 || !slices.Equal(weights[i], ws[0])):
					t.Errorf("Grad-CAM, layer %d: channel weights differ from the layer's own", i)
				}
			}
			want = unitScale(toFloat32(want), false)
			if worst, _ := maxAbsDiff(got.Data, want); !(worst <= 1e-5) {
				t.Errorf("%s class %d: the map differs from the layers' combined by hand by %g", method, c.Index, worst)
			}
		}
		if method == GradCAM && !negative { // LayerCAM's relu(G) A is >= 0 on these post-ReLU layers
			t.Errorf("%s: no layer's map has a negative value: the test cannot see the ReLU", method)
		}
	}
	if _, err := NewLayers(m, nil, []string{"", e.Head.Feature}); err == nil {
		t.Error("a layer named twice is accepted")
	}
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// unitScale returns v (clipped at 0 if relu) minus its minimum, divided by
// its range; 0 where v is flat.
func unitScale(v []float32, relu bool) []float64 {
	out := toFloat64(v)
	if relu {
		for i := range out {
			out[i] = math.Max(out[i], 0)
		}
	}
	lo, hi := slices.Min(out), slices.Max(out)
	for i := range out {
		if hi > lo {
			out[i] = (out[i] - lo) / (hi - lo)
		} else {
			out[i] = 0
		}
	}
	return out
}

// slowResize is bilinear interpolation with OpenCV's geometry: output
// pixel (x, y) samples the input at ((x+0.5) inW/w - 0.5, (y+0.5) inH/h -
// 0.5), coordinates clamped to [0, in-1].
func slowResize(v []float64, inW, inH, w, h int) []float64 {
	at := func(x, y int) float64 { return v[y*inW+x] }
	out := make([]float64, 0, w*h)
	for y := range h {
		for x := range w {
			sx := math.Min(math.Max((float64(x)+0.5)*float64(inW)/float64(w)-0.5, 0), float64(inW-1))
			sy := math.Min(math.Max((float64(y)+0.5)*float64(inH)/float64(h)-0.5, 0), float64(inH-1))
			x0, y0 := int(sx), int(sy)
			x1, y1 := min(x0+1, inW-1), min(y0+1, inH-1)
			fx, fy := sx-float64(x0), sy-float64(y0)
			out = append(out, (1-fy)*((1-fx)*at(x0, y0)+fx*at(x1, y0))+fy*((1-fx)*at(x0, y1)+fx*at(x1, y1)))
		}
	}
	return out
}
