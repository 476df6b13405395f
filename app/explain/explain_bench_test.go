package explain

import (
	"context"
	"path/filepath"
	"testing"

	"camscope/app/photo"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

const shared = "../../../shared"

// BenchmarkExplainResnet18 compares, in one run, the forward pass alone
// with explaining a photo (preprocessing, forward pass, top-5 maps) by each
// method of cam.Methods. The budgets: CAM at most 1.5x the forward pass;
// every gradient method (one forward tape, one backward pass per class) at
// most 1.3x (issue 13).
func BenchmarkExplainResnet18(b *testing.B) {
	m, err := LoadModel(context.Background(), filepath.Join(shared, "reference", "resnet18.onnx"), ModelOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := photo.Load(filepath.Join(shared, "images", "pets.png"))
	if err != nil {
		b.Fatal(err)
	}
	x, _, err := preprocess.Prepare(p.Image, m.Spec)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("forward", func(b *testing.B) {
		feed := map[string]*tensor.Tensor{m.Engine.Inputs[0].Name: x}
		for b.Loop() {
			if _, err := m.Engine.Run(ctx, feed); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, method := range cam.Methods() {
		b.Run("explain-"+string(method), func(b *testing.B) {
			for b.Loop() {
				if _, err := Photo(ctx, m, p.Image, Request{Method: method, TopK: 5}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
