package tflite_test

import (
	"context"
	"os"
	"testing"

	"camscope/inference"
	"camscope/inference/internal/shareddata"
	"camscope/inference/tensor"
)

// BenchmarkLoadTFLite loads MobileNetV2 (uint8, 3.6 MB) from its bytes:
// reading the FlatBuffer, dequantizing the weights, building and checking
// the graph. Target: under 150 ms.
func BenchmarkLoadTFLite(b *testing.B) {
	data, err := os.ReadFile(shareddata.Path(b, "models", "tflite", "mobilenet_v2_1.0_224_quant.tflite"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := inference.LoadBytes("mobilenet_v2.tflite", data, inference.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForward runs MobileNetV2 from its TFLite file and from its ONNX
// twin on the same input, in one binary so that the two compare: the
// TFLite graph's one extra node is the transpose of the input to NCHW.
// Target: within 10%.
func BenchmarkForward(b *testing.B) {
	x := tensor.New(1, 3, 224, 224)
	for i := range x.F {
		x.F[i] = float32(i%255)/127.5 - 1
	}
	for _, c := range []struct {
		name  string
		model *inference.Model
		input *tensor.Tensor
	}{
		{"tflite", tfliteModel(b, "mobilenet_v2_1.0_224"), toNHWC(x)},
		{"onnx", onnxModel(b, "mobilenet_v2_1.0_224"), x},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := map[string]*tensor.Tensor{c.model.Inputs[0].Name: c.input}
			for b.Loop() {
				if _, err := c.model.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
