package inference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"camscope/inference/internal/shareddata"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

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

// TestReferenceModels checks the logits and the CAM feature map of each
// reference CNN against PyTorch.
func TestReferenceModels(t *testing.T) {
	meta := readReferenceMeta(t)
	input := sharedNpy(t, "reference", "input.npy")
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m := sharedModel(t, "reference", name)
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, logitsName, mt.FeatTensor.Tensor)
			if err != nil {
				t.Fatal(err)
			}
			wantLogits := sharedNpy(t, "reference", name+"_logits.npy")
			if d := maxAbsDiff(t, out[logitsName], wantLogits); d > 1e-4*mt.LogitsMax {
				t.Errorf("logits differ from PyTorch by %g (limit %g)", d, 1e-4*mt.LogitsMax)
			}
			wantFeat := sharedNpy(t, "reference", name+"_feat.npy")
			if d := maxAbsDiff(t, out[mt.FeatTensor.Tensor], wantFeat); d > 1e-4*mt.FeatMax {
				t.Errorf("feature map differs from PyTorch by %g (limit %g)", d, 1e-4*mt.FeatMax)
			}
		})
	}
}

// TestTransformerLogits checks the logits of the two vision transformers
// (ViT: LayerNormalization, batched MatMul, Softmax, Erf; Swin: besides,
// ScatterND, Mod, Where, Range, Expand, ConstantOfShape and one-byte bool
// constants) against PyTorch.
func TestTransformerLogits(t *testing.T) {
	meta := transformerMeta(t)
	input := sharedNpy(t, "reference", "input.npy")
	for _, name := range shareddata.TransformerModels {
		t.Run(name, func(t *testing.T) {
			mt := meta[name]
			m := sharedModel(t, "reference", name)
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			d := maxAbsDiff(t, out[logitsName], sharedNpy(t, "reference", name+"_logits.npy"))
			t.Logf("logits differ from PyTorch by %.3g relative to the largest", d/mt.LogitsMax)
			if d > 1e-4*mt.LogitsMax {
				t.Errorf("logits differ from PyTorch by %g (limit %g)", d, 1e-4*mt.LogitsMax)
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
// probability against the listed ONNX Runtime results.
func TestImageNetModels(t *testing.T) {
	b, err := os.ReadFile(sharedPath(t, "images", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]expectedImage
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{"mobilenet_v2_1.0_224": 224, "mobilenet_v1_0.75_192": 192, "mobilenet_v1_0.5_160": 160, "mobilenet_v1_0.25_128": 128}
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			m := sharedModel(t, "models", name)
			spec := preprocess.TFSlim(size)
			for img, exp := range expected {
				want := exp.Models[name].Top5[0]
				x, _, err := preprocess.Prepare(shareddata.PNG(t, "images", img), spec)
				if err != nil {
					t.Fatal(err)
				}
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: x}, logitsName)
				if err != nil {
					t.Fatal(err)
				}
				probs := softmax(out[logitsName].F)
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
	m := sharedModel(t, "reference", "efficientnet_b0")
	input := sharedNpy(t, "reference", "input.npy")
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
	m := sharedModel(t, "models", "mobilenet_v1_0.25_128")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Run(ctx, map[string]*tensor.Tensor{m.Inputs[0].Name: tensor.New(m.Inputs[0].Shape...)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled context: %v", err)
	}
}
