package tflite_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

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
// twin on the same input, alternately, so that a busy machine slows both
// alike: it reports each one's median and their ratio. The graphs differ
// only by the TFLite one's transpose of its input to NCHW. Target: a
// ratio within 1.10.
func BenchmarkForward(b *testing.B) {
	x := tensor.New(1, 3, 224, 224)
	for i := range x.F {
		x.F[i] = float32(i%255)/127.5 - 1
	}
	lite, twin := tfliteModel(b, "mobilenet_v2_1.0_224"), onnxModel(b, "mobilenet_v2_1.0_224")
	runs := []struct {
		model *inference.Model
		feed  map[string]*tensor.Tensor
		times []time.Duration
	}{
		{model: lite, feed: map[string]*tensor.Tensor{lite.Inputs[0].Name: toNHWC(x)}},
		{model: twin, feed: map[string]*tensor.Tensor{twin.Inputs[0].Name: x}},
	}
	for b.Loop() {
		for i := range runs {
			start := time.Now()
			if _, err := runs[i].model.Run(context.Background(), runs[i].feed); err != nil {
				b.Fatal(err)
			}
			runs[i].times = append(runs[i].times, time.Since(start))
		}
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	tl, on := median(runs[0].times), median(runs[1].times)
	b.ReportMetric(tl, "tflite-ms")
	b.ReportMetric(on, "onnx-ms")
	b.ReportMetric(tl/on, "ratio")
}
