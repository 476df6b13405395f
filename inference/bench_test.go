package inference

import (
	"context"
	"path"
	"testing"

	"camscope/inference/tensor"
)

// BenchmarkModels times one forward pass of the models the issue sets
// targets for (ONNX Runtime 1.30 on this 2-core machine: resnet18 17.7 ms,
// MobileNetV2-224 4.1 ms, efficientnet_b0 6.5 ms; see ../shared/reference),
// and the two vision transformers.
func BenchmarkModels(b *testing.B) {
	for _, name := range []string{"reference/resnet18", "models/mobilenet_v2_1.0_224", "reference/efficientnet_b0", "reference/squeezenet1_1", "reference/googlenet", "reference/densenet121", "reference/vit_tiny", "reference/swin_tiny"} {
		b.Run(path.Base(name), func(b *testing.B) {
			m := sharedModel(b, path.Dir(name), path.Base(name))
			feed := map[string]*tensor.Tensor{m.Inputs[0].Name: tensor.New(m.Inputs[0].Shape...)}
			for i := range feed[m.Inputs[0].Name].F {
				feed[m.Inputs[0].Name].F[i] = float32(i%251)/125 - 1
			}
			for range 3 {
				if _, err := m.Run(context.Background(), feed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Run(context.Background(), feed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
			b.ReportMetric(float64(m.FLOPs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkBatch times 16 inputs of ResNet-18, MobileNetV2 and vit_tiny
// run one by one (Run), stacked through the graph in one pass, and as
// RunBatch runs them (BatchPass at a time), in images per second. Run
// each sub-benchmark as its own process, in turn, to compare them while
// the machine's load moves.
func BenchmarkBatch(b *testing.B) {
	const n = 16
	for _, name := range []string{"reference/resnet18", "models/mobilenet_v2_1.0_224", "reference/vit_tiny"} {
		for _, way := range []string{"single", "stacked16", "batch16"} {
			b.Run(path.Base(name)+"/"+way, func(b *testing.B) {
				m := sharedModel(b, path.Dir(name), path.Base(name))
				items, all := batchInputs(b, m, n)
				in := m.Inputs[0].Name
				ctx := context.Background()
				for b.Loop() {
					var err error
					switch way {
					case "single":
						for _, x := range items {
							if _, err = m.Run(ctx, map[string]*tensor.Tensor{in: x}); err != nil {
								break
							}
						}
					case "stacked16":
						_, err = m.runBatch(ctx, n, n, 0, map[string]*tensor.Tensor{in: all}, nil)
					default:
						_, err = m.RunBatch(ctx, n, map[string]*tensor.Tensor{in: all})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
