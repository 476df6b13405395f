package cam

import (
	"cmp"
	"errors"
	"os"
	"strings"
	"testing"

	"camscope/assets"
	"camscope/inference"
)

// TestDiscoverHeadReference checks that discovery finds, in each reference
// CNN, the feature map PyTorch's export names, and a CAM head in all but
// vgg_small.
func TestDiscoverHeadReference(t *testing.T) {
	meta, _ := loadRef(t)
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			h, err := DiscoverHead(sharedModel(t, "reference", name))
			if err != nil {
				t.Fatal(err)
			}
			if want := meta[name].FeatTensor.Tensor; h.Feature != want {
				t.Errorf("discovered feature map %q, want %q", h.Feature, want)
			}
			if (h.Weights == nil) != (name == "vgg_small") {
				t.Errorf("CAM head found = %v (%s); only vgg_small has none", h.Weights != nil, h.NoCAM)
			}
		})
	}
}

// TestDiscoverHeadImageNet checks the head of the four real MobileNets
// against shared/models/README.md's table, which names the feature map by
// its TFLite tensor; in the ONNX files that is the name of the node
// computing it (prefixed "node/"): a Clip, fused into its convolution.
func TestDiscoverHeadImageNet(t *testing.T) {
	featureNodes := map[string]string{
		"mobilenet_v2_1.0_224":  "node/MobilenetV2/Conv_1/Relu6",
		"mobilenet_v1_0.75_192": "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6",
		"mobilenet_v1_0.5_160":  "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6",
		"mobilenet_v1_0.25_128": "node/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6",
	}
	for name, want := range featureNodes {
		t.Run(name, func(t *testing.T) {
			m := sharedModel(t, "models", name)
			h, err := DiscoverHead(m)
			if err != nil {
				t.Fatal(err)
			}
			g := &graph{m: m, nodes: m.Nodes()}
			node := ""
			if n := g.producer(h.Feature); n != nil {
				node = cmp.Or(n.FusedWith, n.Name)
			}
			if node != want || h.Weights == nil || h.NumClasses != 1001 {
				t.Errorf("head: feature map from node %q (want %q), CAM weights %v, %d classes", node, want, h.Weights != nil, h.NumClasses)
			}
		})
	}
}

// TestNotAClassifier loads a valid graph that is no image classifier.
func TestNotAClassifier(t *testing.T) {
	m, err := inference.Load("/usr/share/libonnx-testdata/data/node/test_relu/model.onnx", inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DiscoverHead(m); !errors.Is(err, ErrNoClassifier) {
		t.Errorf("DiscoverHead on a Relu graph: %v, want ErrNoClassifier", err)
	}
}

// FuzzDiscoverHead feeds arbitrary bytes to the loader and, when a model
// loads, to discovery: errors are fine, panics and hangs are not.
func FuzzDiscoverHead(f *testing.F) {
	f.Add(assets.ShapesModel)
	for _, p := range []string{
		"/usr/share/libonnx-testdata/data/node/test_gemm_default_vector_bias/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_softmax_axis_1/model.onnx",
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := inference.LoadBytes("fuzz.onnx", data, inference.Options{MaxMemory: 256 << 20})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		_, _ = DiscoverHead(m)
	})
}
