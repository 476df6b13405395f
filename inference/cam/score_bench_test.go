package cam

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"camscope/inference/preprocess"
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

// BenchmarkScoreCAMFastAgreement is not a timing: it measures how well the
// fast variant with 32 representatives agrees with exact Score-CAM on the
// real MobileNets and every sample photo (64 cases, a few minutes), and
// reports the Pearson correlation of the top class's maps: the smallest,
// the median, and how many fall below 0.95.
func BenchmarkScoreCAMFastAgreement(b *testing.B) {
	photos, err := filepath.Glob(filepath.Join(sharedPath(b, "images"), "*.png"))
	if err != nil || len(photos) == 0 {
		b.Fatalf("no sample photos: %v", err)
	}
	ctx := context.Background()
	var rs []float64
	for range b.N {
		rs = rs[:0]
		for _, c := range []struct {
			model string
			size  int
		}{{"mobilenet_v2_1.0_224", 224}, {"mobilenet_v1_0.75_192", 192}, {"mobilenet_v1_0.5_160", 160}, {"mobilenet_v1_0.25_128", 128}} {
			e, err := New(sharedModel(b, "models", c.model), nil, "")
			if err != nil {
				b.Fatal(err)
			}
			for _, photo := range photos {
				x := preparedPhoto(b, filepath.Base(photo), preprocess.TFSlim(c.size))
				p, err := e.Forward(ctx, x, GradCAM)
				if err != nil {
					b.Fatal(err)
				}
				exact, err := e.ScoreCAM(ctx, x, p.Feature, ScoreOptions{})
				if err != nil {
					b.Fatal(err)
				}
				k := p.Top(1)[0].Index
				fast, err := e.ScoreCAM(ctx, x, p.Feature, ScoreOptions{Channels: 32, Classes: []int{k}})
				if err != nil {
					b.Fatal(err)
				}
				want, err := channelMap(exact, exact.feature, k)
				if err != nil {
					b.Fatal(err)
				}
				got, err := channelMap(fast, fast.feature, k)
				if err != nil {
					b.Fatal(err)
				}
				r := pearson(want.Data, got.Data)
				b.Logf("%s %s: %.4f", c.model, filepath.Base(photo), r)
				rs = append(rs, r)
			}
		}
	}
	slices.Sort(rs)
	below := 0
	for _, r := range rs {
		if r < 0.95 {
			below++
		}
	}
	b.ReportMetric(rs[0], "min-pearson")
	b.ReportMetric(rs[len(rs)/2], "median-pearson")
	b.ReportMetric(float64(below), "below-0.95")
	b.ReportMetric(float64(len(rs)), "cases")
}
