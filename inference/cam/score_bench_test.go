package cam

import (
	"context"
	"testing"

	"camscope/inference/tensor"
)

// BenchmarkScoreCAM times Score-CAM of one class on resnet18 (512
// channels; pytorch-grad-cam took 11.7-12.0 s on PyTorch CPU, 2 threads,
// on this kind of machine): exact, the fast variant with 32 channels, and
// one forward pass for scale. ms/pass is the time per forward pass run.
func BenchmarkScoreCAM(b *testing.B) {
	_, input := loadRef(b)
	e, err := New(sharedModel(b, "reference", "resnet18"), nil, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := e.Forward(ctx, input, CAM)
	if err != nil {
		b.Fatal(err)
	}
	k := p.Top(1)[0].Index
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Model.Run(ctx, map[string]*tensor.Tensor{e.Model.Inputs[0].Name: input}, e.Head.Logits); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
	})
	for _, c := range []struct {
		name     string
		channels int
	}{{"exact", 0}, {"fast32", 32}} {
		b.Run(c.name, func(b *testing.B) {
			passes := 0
			for b.Loop() {
				s, err := e.ScoreCAM(ctx, input, p.Feature, ScoreOptions{Channels: c.channels, Classes: []int{k}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := channelMap(s, s.feature, k); err != nil {
					b.Fatal(err)
				}
				passes += s.Passes
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(passes), "ms/pass")
			b.ReportMetric(float64(passes)/float64(b.N), "passes")
		})
	}
}

// BenchmarkAblationCAM times Ablation-CAM of one class: on resnet18 from
// its GAP head and by passes from the layer, on vgg_small (fully connected
// head) by passes.
func BenchmarkAblationCAM(b *testing.B) {
	_, input := loadRef(b)
	ctx := context.Background()
	for _, c := range []struct {
		name, model string
		byRuns      bool
	}{{"resnet18-head", "resnet18", false}, {"resnet18-passes", "resnet18", true}, {"vgg_small-passes", "vgg_small", true}} {
		b.Run(c.name, func(b *testing.B) {
			e, err := New(sharedModel(b, "reference", c.model), nil, "")
			if err != nil {
				b.Fatal(err)
			}
			p, err := e.Forward(ctx, input, GradCAM)
			if err != nil {
				b.Fatal(err)
			}
			k := p.Top(1)[0].Index
			for b.Loop() {
				a, err := e.ablation(ctx, input, p.Feature, p.Logits, c.byRuns)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := channelMap(a, a.feature, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
