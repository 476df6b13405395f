package tflite_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/internal/shareddata"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// The four MobileNets of shared/models/tflite and their float ONNX twins
// in shared/models, by the twins' names, with their input sizes.
var mobileNets = map[string]int{"mobilenet_v2_1.0_224": 224, "mobilenet_v1_0.75_192": 192, "mobilenet_v1_0.5_160": 160, "mobilenet_v1_0.25_128": 128}

// logitTolerance is the largest difference allowed between the logits of
// a TFLite MobileNet and its ONNX twin on the same input. Both compute the
// same dequantized weights in float32 (the twins were converted with the
// same formula); what differs is float rounding in the order of the sums.
// Measured: at most 2.9e-6 over the four models and 16 photos, on logits
// of magnitude up to about 20.
const logitTolerance = 1e-4

var models shareddata.Cache[*inference.Model]

func tfliteModel(t testing.TB, name string) *inference.Model {
	t.Helper()
	return models.Get(t, "tflite/"+name, func() (*inference.Model, error) {
		return inference.Load(shareddata.Path(t, "models", "tflite", name+"_quant.tflite"), inference.Options{})
	})
}

func onnxModel(t testing.TB, name string) *inference.Model {
	t.Helper()
	return models.Get(t, "onnx/"+name, func() (*inference.Model, error) {
		return inference.Load(shareddata.Path(t, "models", name+".onnx"), inference.Options{})
	})
}

// expected reads shared/images/expected.json: for each photo, each
// model's top-5 with the float ONNX model.
func expected(t testing.TB) map[string]map[string]int {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "images", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]struct {
		Models map[string]struct {
			Top5 []struct {
				Index int `json:"index"`
			} `json:"top5"`
		} `json:"models"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int{}
	for img, e := range raw {
		out[img] = map[string]int{}
		for m, r := range e.Models {
			out[img][m] = r.Top5[0].Index
		}
	}
	if len(out) < 16 {
		t.Fatalf("expected.json lists %d photos, want 16", len(out))
	}
	return out
}

// toNHWC transposes an NCHW image batch.
func toNHWC(x *tensor.Tensor) *tensor.Tensor {
	c, h, w := x.Shape[1], x.Shape[2], x.Shape[3]
	out := tensor.New(1, h, w, c)
	for ch := range c {
		for i := range h * w {
			out.F[i*c+ch] = x.F[ch*h*w+i]
		}
	}
	return out
}

func logitsOf(t testing.TB, m *inference.Model, x *tensor.Tensor) []float32 {
	t.Helper()
	h, err := cam.DiscoverHead(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: x}, h.Logits)
	if err != nil {
		t.Fatal(err)
	}
	return out[h.Logits].F
}

func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// TestMobileNetsMatchONNX: each TFLite MobileNet, fed the photo with the
// preprocessing its input quantization gives, names the expected top-1 of
// expected.json on every photo; fed the same tensor as its float ONNX twin,
// its logits agree with the twin's within logitTolerance.
func TestMobileNetsMatchONNX(t *testing.T) {
	want := expected(t)
	worst := 0.0
	for name, size := range mobileNets {
		t.Run(name, func(t *testing.T) {
			m, twin := tfliteModel(t, name), onnxModel(t, name)
			spec, _, err := preprocess.Resolve(m.Inputs[0].Shape, 1001, m.Metadata, "", preprocess.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for img, top := range want {
				pic := shareddata.PNG(t, "images", img)
				x, _, err := preprocess.Prepare(pic, spec)
				if err != nil {
					t.Fatal(err)
				}
				if got := argmax(logitsOf(t, m, x)); got != top[name] {
					t.Errorf("%s: top-1 %d with the file's preprocessing, want %d", img, got, top[name])
				}
				ref, _, err := preprocess.Prepare(pic, preprocess.TFSlim(size))
				if err != nil {
					t.Fatal(err)
				}
				a, b := logitsOf(t, m, toNHWC(ref)), logitsOf(t, twin, ref)
				d := 0.0
				for i := range a {
					d = math.Max(d, math.Abs(float64(a[i]-b[i])))
				}
				worst = math.Max(worst, d)
				if d > logitTolerance {
					t.Errorf("%s: logits differ from the ONNX twin's by %g (tolerance %g)", img, d, logitTolerance)
				}
			}
		})
	}
	t.Logf("largest logit difference from the ONNX twins: %.3g", worst)
}

// TestPreprocessingFromInputQuantization: the uint8 input with scale 1/128
// and zero point 128 gives the whole photo stretched to the input size,
// x = (p - 128) / 128, NHWC, from the model itself.
func TestPreprocessingFromInputQuantization(t *testing.T) {
	m := tfliteModel(t, "mobilenet_v1_0.25_128")
	spec, src, err := preprocess.Resolve(m.Inputs[0].Shape, 1001, m.Metadata, "", preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Width != 128 || spec.Height != 128 || spec.Resize != preprocess.Stretch || spec.Layout != preprocess.NHWC || spec.BGR {
		t.Errorf("spec %s, want 128x128 stretch RGB NHWC", spec)
	}
	for c := range 3 {
		// x = (p/255 - mean) / std must be (p - 128) / 128.
		if math.Abs(spec.Mean[c]-128.0/255) > 1e-9 || math.Abs(spec.Std[c]-128.0/255) > 1e-9 {
			t.Errorf("mean %v std %v, want 128/255 both", spec.Mean, spec.Std)
		}
	}
	if src.Mean != preprocess.FromMetadata || src.Resize != preprocess.FromMetadata || len(src.Notes) != 0 {
		t.Errorf("source %+v, want mean and resize from the model's metadata, no notes", src)
	}
}

// TestLabelsFromFile: each MobileNet carries ImageNet's 1001 labels in its
// metadata, the same as shared/models/imagenet_labels.txt.
func TestLabelsFromFile(t *testing.T) {
	want, err := os.ReadFile(shareddata.Path(t, "models", "imagenet_labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range mobileNets {
		m := tfliteModel(t, name)
		if m.Labels == nil {
			t.Fatalf("%s: no labels found in the file", name)
		}
		if m.Labels.Name != "imagenet_labels.txt" || string(m.Labels.Data) != string(want) {
			t.Errorf("%s: labels %q (%d bytes), want imagenet_labels.txt as in shared/models", name, m.Labels.Name, len(m.Labels.Data))
		}
		if lines := strings.Split(strings.TrimSpace(string(m.Labels.Data)), "\n"); len(lines) != 1001 || lines[0] != "background" {
			t.Errorf("%s: %d labels starting %q, want 1001 starting with background", name, len(lines), lines[0])
		}
	}
}

// TestFeatureMapAndCAMMatchONNX: MobileNetV2's discovered feature map, and
// the CAM and Grad-CAM of its top class, correlate above 0.999 with its
// ONNX twin's on every photo.
func TestFeatureMapAndCAMMatchONNX(t *testing.T) {
	m, twin := tfliteModel(t, "mobilenet_v2_1.0_224"), onnxModel(t, "mobilenet_v2_1.0_224")
	ex, err := cam.New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	exTwin, err := cam.New(twin, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Layer != "MobilenetV2/Conv_1/Relu6" || !tensor.EqualShape(ex.Head.FeatureShape, []int{1, 1280, 7, 7}) || !tensor.EqualShape(exTwin.Head.FeatureShape, ex.Head.FeatureShape) {
		t.Fatalf("feature map %q %v, twin's %q %v; want MobilenetV2/Conv_1/Relu6 [1 1280 7 7]", ex.Layer, ex.Head.FeatureShape, exTwin.Layer, exTwin.Head.FeatureShape)
	}
	if ok, why := ex.SupportsCAM(); !ok || ex.Head.PoolOp != "AveragePool" {
		t.Fatalf("CAM does not apply (%s), pooling %q", why, ex.Head.PoolOp)
	}
	lowest := 1.0
	for img := range expected(t) {
		x, _, err := preprocess.Prepare(shareddata.PNG(t, "images", img), preprocess.TFSlim(224))
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []cam.Method{cam.CAM, cam.GradCAM} {
			p, err := ex.Forward(context.Background(), toNHWC(x), method)
			if err != nil {
				t.Fatal(err)
			}
			q, err := exTwin.Forward(context.Background(), x, method)
			if err != nil {
				t.Fatal(err)
			}
			k := p.Top(1)[0].Index
			a, err := p.Map(k)
			if err != nil {
				t.Fatal(err)
			}
			b, err := q.Map(k)
			if err != nil {
				t.Fatal(err)
			}
			checks := map[string]float64{"feature map": correlation(p.Feature.F, q.Feature.F), string(method): correlation(a.Data, b.Data)}
			for what, r := range checks {
				lowest = math.Min(lowest, r)
				if r < 0.999 {
					t.Errorf("%s: %s correlates %.5f with the ONNX twin's, want > 0.999", img, what, r)
				}
			}
		}
	}
	t.Logf("lowest correlation with the ONNX twin: %.8f", lowest)
}

func correlation(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}
