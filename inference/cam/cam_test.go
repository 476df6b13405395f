package cam

import (
	"context"
	"image"
	"math"
	"slices"
	"testing"

	"camscope/inference/internal/shareddata"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// TestCAMMatchesReference checks CAM against sum_c W[k,c] feat[c] computed
// in float64 from PyTorch's feature map and the classifier initializer,
// read by name (independently of the engine's head discovery).
func TestCAMMatchesReference(t *testing.T) {
	meta, input := loadRef(t)
	classifiers := map[string]string{
		"resnet18": "fc.weight", "squeezenet1_1": "classifier.1.weight", "efficientnet_b0": "classifier.1.weight",
		"googlenet": "fc.weight", "densenet121": "classifier.weight",
	}
	for name, wname := range classifiers {
		t.Run(name, func(t *testing.T) {
			m := sharedModel(t, "reference", name)
			e, err := New(m, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Forward(context.Background(), input, CAM)
			if err != nil {
				t.Fatal(err)
			}
			w := m.Const(wname)
			if w == nil {
				t.Fatalf("no initializer %q", wname)
			}
			feat := readNpy(t, "reference", name+"_feat.npy")
			c, hw := feat.Shape[1], feat.Shape[2]*feat.Shape[3]
			for _, k := range []int{0, meta[name].GradK, 999} {
				got, err := p.Map(k)
				if err != nil {
					t.Fatal(err)
				}
				worst, scale := 0.0, 0.0
				for i := 0; i < hw; i++ {
					var want float64
					for ch := 0; ch < c; ch++ {
						want += float64(w.F[k*c+ch]) * float64(feat.F[ch*hw+i])
					}
					worst = math.Max(worst, math.Abs(float64(got.Data[i])-want))
					scale = math.Max(scale, math.Abs(want))
				}
				if worst > 1e-4*scale {
					t.Errorf("class %d: CAM differs from the reference by %g (map max %g)", k, worst, scale)
				}
			}
		})
	}
}

// TestGradCAMWeightsMatchReference checks that Grad-CAM's channel weights
// are the spatial means of PyTorch's gradient, for all six models, and for
// the heads with a closed form (GAP + linear, SqueezeNet's conv-first head)
// checks the whole gradient against that form.
func TestGradCAMWeightsMatchReference(t *testing.T) {
	meta, input := loadRef(t)
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			m := sharedModel(t, "reference", name)
			e, err := New(m, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Forward(context.Background(), input, GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			k := meta[name].GradK
			_, ws, err := p.MapAndWeights(k)
			if err != nil {
				t.Fatal(err)
			}
			got := ws[0]
			grad := readNpy(t, "reference", name+"_grad.npy")
			hw := grad.Shape[2] * grad.Shape[3]
			for ch := range got {
				var want float64
				for _, v := range grad.F[ch*hw : (ch+1)*hw] {
					want += float64(v)
				}
				want /= float64(hw)
				if d := math.Abs(float64(got[ch]) - want); d > 1e-4*meta[name].GradMax {
					t.Fatalf("channel %d: weight %g, reference %g", ch, got[ch], want)
				}
			}
			if e.Head.Weights != nil {
				gs, err := p.runs[0].tape.GradsOfLogit(k)
				if err != nil {
					t.Fatal(err)
				}
				checkClosedForm(t, e.Head, p.Feature, gs[0], k)
			}
		})
	}
}

// TestGradCAMIsScaledCAM: for a GAP + linear head Grad-CAM is CAM / (h*w).
func TestGradCAMIsScaledCAM(t *testing.T) {
	_, input := loadRef(t)
	m := sharedModel(t, "reference", "resnet18")
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := e.Forward(context.Background(), input, CAM)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := e.Forward(context.Background(), input, GradCAM)
	if err != nil {
		t.Fatal(err)
	}
	for _, cls := range pc.Top(3) {
		a, _ := pc.Map(cls.Index)
		b, err := pg.Map(cls.Index)
		if err != nil {
			t.Fatal(err)
		}
		hw := float64(a.W * a.H)
		for i := range a.Data {
			if d := math.Abs(float64(a.Data[i])/hw - float64(b.Data[i])); d > 1e-5*math.Abs(float64(a.Data[i])/hw)+1e-7 {
				t.Fatalf("class %d cell %d: CAM/hw %g, Grad-CAM %g", cls.Index, i, float64(a.Data[i])/hw, b.Data[i])
			}
		}
	}
}

// TestTwoDogs: on pets.png with MobileNet V2, the maps of the two dog
// classes peak on different dogs (left and right halves of the photo).
func TestTwoDogs(t *testing.T) {
	m := sharedModel(t, "models", "mobilenet_v2_1.0_224")
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	x, geo, err := preprocess.Prepare(shareddata.PNG(t, "images", "pets.png"), preprocess.TFSlim(224))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Forward(context.Background(), x, CAM)
	if err != nil {
		t.Fatal(err)
	}
	var dogs []Class
	for _, c := range p.Top(10) {
		if c.Index >= 152 && c.Index <= 269 {
			dogs = append(dogs, c)
		}
	}
	if len(dogs) < 2 || dogs[0].Index != 172 || dogs[1].Index != 196 {
		t.Fatalf("top dog classes %v, want 172 (Italian greyhound) then 196 (Boston bull)", dogs)
	}
	// The dogs' boxes in photo pixels, measured by eye on pets.png (512x430):
	// the greyhound runs on the left, its body from x=105 to 262; the Boston
	// bull stands on the right.
	greyhound := image.Rect(105, 5, 263, 296)
	bull := image.Rect(345, 160, 501, 366)
	peak := func(k int) image.Point {
		mp, err := p.Map(k)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, v := range mp.Data {
			if v > mp.Data[best] {
				best = i
			}
		}
		x, y := geo.GridToPhoto(float64(best%mp.W)+0.5, float64(best/mp.W)+0.5, mp.W, mp.H)
		return image.Pt(int(x), int(y))
	}
	g, b := peak(dogs[0].Index), peak(dogs[1].Index)
	t.Logf("Italian greyhound map peaks at %v, Boston bull map at %v", g, b)
	if !g.In(greyhound) || g.In(bull) || !b.In(bull) || b.In(greyhound) || g.X >= b.X {
		t.Errorf("the maps do not peak on their own dogs: greyhound %v (box %v), Boston bull %v (box %v)", g, greyhound, b, bull)
	}
}

// checkClosedForm checks the gradient of a linear GAP head against
// W[k,c]/(h·w) at every position, and of a classifier-first head
// (pool(relu(conv1x1(f)))) against W[k,c]·[z_k > 0]/(h·w).
func checkClosedForm(t *testing.T, h *Head, feat, grad *tensor.Tensor, k int) {
	t.Helper()
	c, hw := feat.Shape[1], feat.Shape[2]*feat.Shape[3]
	w := h.Weights.F[k*c : (k+1)*c]
	worst, scale := 0.0, 0.0
	for p := 0; p < hw; p++ {
		active := 1.0
		if h.ClassifierFirst {
			z := 0.0
			if h.Bias != nil {
				z = float64(h.Bias[k])
			}
			for ch := 0; ch < c; ch++ {
				z += float64(w[ch]) * float64(feat.F[ch*hw+p])
			}
			if math.Abs(z) < 1e-5 {
				continue // float32 rounding may put the engine's z on either side of 0
			}
			if z < 0 {
				active = 0
			}
		}
		for ch := 0; ch < c; ch++ {
			want := float64(w[ch]) * active / float64(hw)
			worst = math.Max(worst, math.Abs(float64(grad.F[ch*hw+p])-want))
			scale = math.Max(scale, math.Abs(want))
		}
	}
	if worst > 1e-6*scale {
		t.Errorf("gradient differs from the closed form of the head by %g (scale %g)", worst, scale)
	}
}

func TestFindClasses(t *testing.T) {
	labels := []string{"background", "tabby, tabby cat", "tiger cat", "golden retriever", "Labrador retriever", "cattle"}
	cases := map[string]struct {
		q    string
		want []int
		ok   bool
	}{
		"index":          {"3", []int{3}, true},
		"index too big":  {"6", nil, false},
		"whole word":     {"tabby", []int{1}, true},
		"word before in": {"cat", []int{1, 2, 5}, true},
		"case":           {"RETRIEVER", []int{3, 4}, true},
		"none":           {"zebra", nil, false},
		"empty":          {"  ", nil, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := FindClasses(labels, len(labels), c.q)
			if (err == nil) != c.ok {
				t.Fatalf("FindClasses(%q) error %v", c.q, err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("FindClasses(%q) = %v, want %v", c.q, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("FindClasses(%q) = %v, want %v", c.q, got, c.want)
				}
			}
		})
	}
}

// TestParseMethod: the menu's order, the names, the window's names and the
// usual spellings parse; anything else is refused with the list.
func TestParseMethod(t *testing.T) {
	if got, want := Methods(), []Method{CAM, GradCAM, GradCAMPlusPlus, XGradCAM, HiResCAM, LayerCAM, EigenCAM, EigenGradCAM, ScoreCAM, AblationCAM, Occlusion, Rollout}; !slices.Equal(got, want) {
		t.Errorf("Methods() = %v, want %v", got, want)
	}
	for s, want := range map[string]Method{
		"cam": CAM, " CAM ": CAM, "gradcam": GradCAM, "Grad-CAM": GradCAM,
		"Grad-CAM++": GradCAMPlusPlus, "gradcam++": GradCAMPlusPlus, "gradcampp": GradCAMPlusPlus, "grad_cam_plus_plus": GradCAMPlusPlus,
		"XGrad-CAM": XGradCAM, "xgradcam": XGradCAM, "HiResCAM": HiResCAM, "hires-cam": HiResCAM, "LayerCAM": LayerCAM,
		"layer_cam": LayerCAM, "Eigen-CAM": EigenCAM, "eigencam": EigenCAM, "EigenGrad-CAM": EigenGradCAM, "eigengradcam": EigenGradCAM,
		"Score-CAM": ScoreCAM, "scorecam": ScoreCAM, "Ablation-CAM": AblationCAM, "ablation_cam": AblationCAM,
		"Occlusion": Occlusion, "occlusion": Occlusion,
		"rollout": Rollout, "Attention rollout": Rollout, "attention-rollout": Rollout,
	} {
		if got, err := ParseMethod(s); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, m := range Methods() {
		if got, err := ParseMethod(string(m)); err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %q, %v: every method must parse from its name", m, got, err)
		}
	}
	if _, err := ParseMethod("saliency"); err == nil || err.Error() != `unknown method "saliency": use cam, gradcam, gradcampp, xgradcam, hirescam, layercam, eigencam, eigengradcam, scorecam, ablationcam, occlusion or rollout` {
		t.Errorf("ParseMethod(saliency): error %v", err)
	}
}
