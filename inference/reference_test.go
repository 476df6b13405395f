package inference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"camscope/inference/npy"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

const sharedDir = "../../shared"

type referenceMeta struct {
	FeatShape  []int   `json:"feat_shape"`
	GradK      int     `json:"grad_k"`
	LogitsMax  float64 `json:"logits_absmax"`
	FeatMax    float64 `json:"feat_absmax"`
	GradMax    float64 `json:"grad_absmax"`
	FeatTensor struct {
		Tensor string `json:"tensor"`
	} `json:"plain_op13_feature_tensor"`
}

// referenceModels are the six PyTorch-exported CNNs of shared/reference.
var referenceModels = []string{"resnet18", "squeezenet1_1", "efficientnet_b0", "googlenet", "densenet121", "vgg_small"}

func readReferenceMeta(t testing.TB) map[string]referenceMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedDir, "reference", "meta.json"))
	if err != nil {
		t.Fatalf("reference data missing (%v): the tests need ../shared beside the repository", err)
	}
	var meta map[string]referenceMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

func mustNpy(t testing.TB, path string) *tensor.Tensor {
	t.Helper()
	x, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// maxAbsDiff returns max |a-b| over two tensors of equal shape.
func maxAbsDiff(t testing.TB, a, b *tensor.Tensor) float64 {
	t.Helper()
	if !tensor.EqualShape(a.Shape, b.Shape) {
		t.Fatalf("shape %v, want %v", a.Shape, b.Shape)
	}
	worst := 0.0
	for i := range a.F {
		d := math.Abs(float64(a.F[i]) - float64(b.F[i]))
		if !(d <= worst) {
			worst = d
		}
	}
	return worst
}

// TestReferenceModels checks logits and the CAM feature map of each
// reference CNN against PyTorch, and that discovery finds that feature map.
func TestReferenceModels(t *testing.T) {
	meta := readReferenceMeta(t)
	input := mustNpy(t, filepath.Join(sharedDir, "reference", "input.npy"))
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m, err := Load(filepath.Join(sharedDir, "reference", name+".onnx"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			h, err := m.DiscoverHead()
			if err != nil {
				t.Fatal(err)
			}
			if h.Feature != mt.FeatTensor.Tensor {
				t.Errorf("discovered feature map %q, want %q", h.Feature, mt.FeatTensor.Tensor)
			}
			if (h.Weights == nil) != (name == "vgg_small") {
				t.Errorf("CAM head found = %v (%s); only vgg_small has none", h.Weights != nil, h.NoCAM)
			}
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, h.Logits, mt.FeatTensor.Tensor)
			if err != nil {
				t.Fatal(err)
			}
			wantLogits := mustNpy(t, filepath.Join(sharedDir, "reference", name+"_logits.npy"))
			if out[h.Logits] == nil {
				t.Fatalf("no value for logits %q", h.Logits)
			}
			if d := maxAbsDiff(t, out[h.Logits], wantLogits); d > 1e-4*mt.LogitsMax {
				t.Errorf("logits differ from PyTorch by %g (limit %g)", d, 1e-4*mt.LogitsMax)
			}
			wantFeat := mustNpy(t, filepath.Join(sharedDir, "reference", name+"_feat.npy"))
			if d := maxAbsDiff(t, out[mt.FeatTensor.Tensor], wantFeat); d > 1e-4*mt.FeatMax {
				t.Errorf("feature map differs from PyTorch by %g (limit %g)", d, 1e-4*mt.FeatMax)
			}
		})
	}
}

type expectedImage struct {
	Models map[string]struct {
		Top5 []struct {
			Index int     `json:"index"`
			Prob  float64 `json:"prob"`
		} `json:"top5"`
	} `json:"models"`
}

// TestImageNetModels runs the four real MobileNets on the shared photos with
// the preprocessing of shared/models/README.md and checks top-1 and its
// probability against the listed ONNX Runtime results, and the discovered
// feature map against the README's table.
func TestImageNetModels(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedDir, "images", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]expectedImage
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	// The README's table names the feature map by its TFLite tensor; in the
	// ONNX files that is the name of the node computing it (prefixed
	// "node/"), whose output tensor is called "features".
	models := map[string]struct {
		size        int
		featureNode string
	}{
		"mobilenet_v2_1.0_224":  {224, "node/MobilenetV2/Conv_1/Relu6"},
		"mobilenet_v1_0.75_192": {192, "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6"},
		"mobilenet_v1_0.5_160":  {160, "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6"},
		"mobilenet_v1_0.25_128": {128, "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6"},
	}
	for name, mm := range models {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join(sharedDir, "models", name+".onnx"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			h, err := m.DiscoverHead()
			if err != nil {
				t.Fatal(err)
			}
			if node := m.NodeOf(h.Feature); node != mm.featureNode || h.Weights == nil || h.NumClasses != 1001 {
				t.Errorf("head: feature map from node %q (want %q), CAM weights %v, %d classes", node, mm.featureNode, h.Weights != nil, h.NumClasses)
			}
			spec := preprocess.TFSlim(mm.size)
			for img, exp := range expected {
				want := exp.Models[name].Top5[0]
				f, err := os.Open(filepath.Join(sharedDir, "images", img))
				if err != nil {
					t.Fatal(err)
				}
				photo, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				x, _, err := preprocess.Prepare(photo, spec)
				if err != nil {
					t.Fatal(err)
				}
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: x}, h.Logits)
				if err != nil {
					t.Fatal(err)
				}
				probs := softmax(out[h.Logits].F)
				top := argmax(probs)
				if top != want.Index || math.Abs(probs[top]-want.Prob) > 0.02 {
					t.Errorf("%s: top-1 %d (p=%.4f), want %d (p=%.4f)", img, top, probs[top], want.Index, want.Prob)
				}
			}
		})
	}
}

func softmax(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(logits))
	sum := 0.0
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// TestConcurrentRuns runs one loaded model from several goroutines at once
// and checks every result is bit-identical to a sequential run.
func TestConcurrentRuns(t *testing.T) {
	m, err := Load(filepath.Join(sharedDir, "reference", "efficientnet_b0.onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	input := mustNpy(t, filepath.Join(sharedDir, "reference", "input.npy"))
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: input}
	want, err := m.Run(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	name := m.Outputs[0].Name
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		go func() {
			for range 2 {
				got, err := m.Run(context.Background(), feed)
				if err == nil {
					for i, v := range got[name].F {
						if v != want[name].F[i] {
							err = fmt.Errorf("value %d: %g, sequential run gave %g", i, v, want[name].F[i])
							break
						}
					}
				}
				errs <- err
			}
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestRunCancelled: a cancelled context stops a run with the context's error.
func TestRunCancelled(t *testing.T) {
	m, err := Load(filepath.Join(sharedDir, "models", "mobilenet_v1_0.25_128.onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Run(ctx, map[string]*tensor.Tensor{m.Inputs[0].Name: tensor.New(m.Inputs[0].Shape...)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled context: %v", err)
	}
}
