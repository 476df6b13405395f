package cam

import (
	"context"
	"slices"
	"testing"
	"time"

	"camscope/inference/tensor"
)

// BenchmarkMethodsResnet18 times each method explaining the top-5 classes
// of resnet18 (forward pass, then five maps) against the forward pass
// alone. Every iteration runs both, one after the other, and x-forward is
// the median of their ratios, which holds on a machine whose load changes
// during the run; ns/op is the method's time alone. Issue 13's budget for
// the gradient methods: 1.3x.
func BenchmarkMethodsResnet18(b *testing.B) {
	_, input := loadRef(b)
	m := sharedModel(b, "reference", "resnet18")
	e, err := New(m, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: input}
	for _, method := range Methods() {
		b.Run(string(method), func(b *testing.B) {
			var explain time.Duration
			var ratios []float64
			for b.Loop() {
				t0 := time.Now()
				if _, err := m.Run(ctx, feed); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				p, err := e.Forward(ctx, input, method)
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range p.Top(5) {
					if _, err := p.Map(c.Index); err != nil {
						b.Fatal(err)
					}
				}
				took := time.Since(t1)
				explain += took
				ratios = append(ratios, float64(took)/float64(t1.Sub(t0)))
			}
			slices.Sort(ratios)
			b.ReportMetric(float64(explain.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(ratios[len(ratios)/2], "x-forward")
		})
	}
}
