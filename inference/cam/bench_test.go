package cam

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"camscope/inference/tensor"
)

// BenchmarkMethodsResnet18 times each method explaining the top-5 classes
// of resnet18 (forward pass, then five maps asked at once, as the explain
// command and the window ask them) against the forward pass
// alone. Every iteration runs both, one after the other, and x-forward is
// the median of their ratios, which holds on a machine whose load changes
// during the run; x-forward-cpu is the same of the process's CPU time
// (every thread's, the garbage collector's too), which a loaded machine's
// waits for a core do not inflate; ns/op is the method's time alone. Issue 13's budget for
// the gradient methods: 1.3x.
func BenchmarkMethodsResnet18(b *testing.B) {
	benchMethods(b, "resnet18", Methods())
}

// BenchmarkMethodsViT is BenchmarkMethodsResnet18 on vit_tiny, for the
// gradient methods and attention rollout. Issue 15's budget for Grad-CAM's
// top 5: 1.5x.
func BenchmarkMethodsViT(b *testing.B) {
	benchMethods(b, "vit_tiny", []Method{GradCAM, HiResCAM, Rollout})
}

// BenchmarkMethodsSwin is BenchmarkMethodsResnet18 on swin_tiny, for two
// gradient methods: its default layer is the final norm, so the backward
// pass runs through the head alone.
func BenchmarkMethodsSwin(b *testing.B) {
	benchMethods(b, "swin_tiny", []Method{GradCAM, HiResCAM})
}

// BenchmarkInnerLayerResnet18 is BenchmarkMethodsResnet18 for Grad-CAM of
// the top class and of the top 5 at resnet18's layer2 and layer3 outputs
// (28x28 and 14x14): the backward pass runs through the convolutions of the
// later stages. Issue 18's budget for the top class: 2x.
func BenchmarkInnerLayerResnet18(b *testing.B) {
	for _, layer := range []string{"/layer3/layer3.1/relu_1/Relu_output_0", "/layer2/layer2.1/relu_1/Relu_output_0"} {
		for _, top := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s/top%d", strings.Split(layer, "/")[1], top), func(b *testing.B) {
				benchLayer(b, "resnet18", layer, []Method{GradCAM}, top)
			})
		}
	}
}

func benchMethods(b *testing.B, name string, methods []Method) {
	benchLayer(b, name, "", methods, 5)
}

// benchLayer times each method's maps of the top classes at layer ("" for
// the head's) against the forward pass, as BenchmarkMethodsResnet18 says.
func benchLayer(b *testing.B, name, layer string, methods []Method, top int) {
	input := readNpy(b, "reference", "input.npy")
	m := sharedModel(b, "reference", name)
	e, err := New(m, nil, layer)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: input}
	for _, method := range methods {
		if ok, _ := e.SupportsCAM(); method == CAM && !ok {
			continue
		}
		b.Run(string(method), func(b *testing.B) {
			var explain time.Duration
			var ratios, cpuRatios []float64
			for b.Loop() {
				c0 := cpuTime(b)
				t0 := time.Now()
				if _, err := m.Run(ctx, feed); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				c1 := cpuTime(b)
				p, err := e.Forward(ctx, input, method)
				if err != nil {
					b.Fatal(err)
				}
				var ks []int
				for _, c := range p.Top(top) {
					ks = append(ks, c.Index)
				}
				if _, _, err := p.MapsAndWeights(ks); err != nil {
					b.Fatal(err)
				}
				took := time.Since(t1)
				explain += took
				ratios = append(ratios, float64(took)/float64(t1.Sub(t0)))
				cpuRatios = append(cpuRatios, float64(cpuTime(b)-c1)/float64(c1-c0))
			}
			slices.Sort(ratios)
			slices.Sort(cpuRatios)
			b.ReportMetric(float64(explain.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(ratios[len(ratios)/2], "x-forward")
			b.ReportMetric(cpuRatios[len(cpuRatios)/2], "x-forward-cpu")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSmoothingResnet18 times, for the top-5 classes of resnet18,
// aug-smoothed Grad-CAM (six forward passes and 6x5 backward passes),
// eigen-smoothed Grad-CAM, and LayerCAM combining the last two stages
// (layer4's output, 7x7, and layer3's, 14x14) from one tape at both layers
// (one forward pass, one backward pass per class), against plain Grad-CAM
// at the head. "LayerCAM, a tape per layer" is the other way of combining
// two layers: one single-layer explainer per layer. Every iteration runs
// plain Grad-CAM, then the variant; x-gradcam is the median of their
// ratios, ns/op the variant's time alone.
func BenchmarkSmoothingResnet18(b *testing.B) {
	_, input := loadRef(b)
	m := sharedModel(b, "reference", "resnet18")
	ctx := context.Background()
	head, err := New(m, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	stages := []string{"", "/layer3/layer3.1/relu_1/Relu_output_0"}
	both, err := NewLayers(m, nil, stages)
	if err != nil {
		b.Fatal(err)
	}
	var each []*Explainer
	for _, l := range stages {
		e, err := New(m, nil, l)
		if err != nil {
			b.Fatal(err)
		}
		each = append(each, e)
	}
	top5 := func(e *Explainer, method Method, opt Options) {
		p, err := e.ForwardOptions(ctx, input, method, opt)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range p.Top(5) {
			if _, err := p.Map(c.Index); err != nil {
				b.Fatal(err)
			}
		}
	}
	cases := []struct {
		name string
		run  func()
	}{
		{"aug-smooth Grad-CAM", func() { top5(head, GradCAM, Options{AugSmooth: true}) }},
		{"eigen-smooth Grad-CAM", func() { top5(head, GradCAM, Options{EigenSmooth: true}) }},
		{"LayerCAM, 2 layers, one tape", func() { top5(both, LayerCAM, Options{}) }},
		{"LayerCAM, a tape per layer", func() {
			for _, e := range each {
				top5(e, LayerCAM, Options{})
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var took time.Duration
			var ratios []float64
			for b.Loop() {
				t0 := time.Now()
				top5(head, GradCAM, Options{})
				t1 := time.Now()
				c.run()
				took += time.Since(t1)
				ratios = append(ratios, float64(time.Since(t1))/float64(t1.Sub(t0)))
			}
			slices.Sort(ratios)
			b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(ratios[len(ratios)/2], "x-gradcam")
		})
	}
}
