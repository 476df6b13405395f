package cam

import (
	"context"
	"math"
	"testing"

	"camscope/inference/tensor"
)

// plainAblation zeroes each channel of the layer's activations in turn,
// runs the model from the layer (given the input too, so that branches
// around the layer are recomputed) and returns the logits of the input and
// those with each channel zeroed, written out plainly.
func plainAblation(t *testing.T, e *Explainer, x, feat *tensor.Tensor, channels []int) (y []float64, ablated [][]float64) {
	t.Helper()
	run := func(f *tensor.Tensor) []float64 {
		out, err := e.Model.RunFrom(context.Background(), map[string]*tensor.Tensor{e.Model.Inputs[0].Name: x, e.Layer: f}, e.Head.Logits)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(out[e.Head.Logits].F))
		for i, f := range out[e.Head.Logits].F {
			v[i] = float64(f)
		}
		return v
	}
	hw := feat.Shape[2] * feat.Shape[3]
	for _, ch := range channels {
		f := feat.Clone()
		for p := range hw {
			f.F[ch*hw+p] = 0
		}
		ablated = append(ablated, run(f))
	}
	return run(feat), ablated
}

// TestAblationCAMMatchesPlainLoop checks Ablation-CAM against a plain loop
// of runs with one channel zeroed, for two classes, with the weights
// (y_k - y_k^(c)) / y_k: on vgg_small (a fully connected head, so passes
// from the layer); on resnet18 both ways, from its GAP head (no pass) and
// by passes; and at a layer inside resnet18's last block, whose residual
// branch goes around the layer, on 12 channels' weights (the plain loop
// recomputes the whole network for each). It also counts the passes: one
// per channel that is not zero everywhere, plus the pass that keeps the
// residual branch.
func TestAblationCAMMatchesPlainLoop(t *testing.T) {
	_, input := loadRef(t)
	for _, c := range []struct {
		name, model, layer string
		byRuns             bool // force passes where AblationCAM would read the head
		passes             bool // whether it runs passes
	}{
		{"vgg_small", "vgg_small", "", false, true},
		{"resnet18/from the head", "resnet18", "", false, false},
		{"resnet18/by passes", "resnet18", "", true, true},
		{"resnet18/inside the last block", "resnet18", "/layer4/layer4.1/relu/Relu_output_0", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			e, err := New(sharedModel(t, "reference", c.model), nil, c.layer)
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Forward(ctx, input, GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			feat := p.Feature
			var a *Ablation
			if c.byRuns {
				a, err = e.ablation(ctx, input, feat, p.Logits, true)
			} else {
				a, err = e.AblationCAM(ctx, input, feat, p.Logits)
			}
			if err != nil {
				t.Fatal(err)
			}
			hw := feat.Shape[2] * feat.Shape[3]
			want := 0
			if c.passes {
				for ch := range feat.Shape[1] {
					if lo, hi := minMax(feat.F[ch*hw : (ch+1)*hw]); lo != 0 || hi != 0 {
						want++
					}
				}
				if c.layer != "" {
					want++
				}
			}
			if a.Passes != want {
				t.Errorf("%d forward passes, want %d", a.Passes, want)
			}
			channels := make([]int, feat.Shape[1])
			for ch := range channels {
				channels[ch] = ch
			}
			if c.layer != "" {
				channels = channels[:12]
			}
			y, ablated := plainAblation(t, e, input, feat, channels)
			for _, k := range []int{p.Top(1)[0].Index, p.Top(2)[1].Index} {
				weights := make([]float64, len(channels))
				for i := range channels {
					weights[i] = (y[k] - ablated[i][k]) / y[k]
				}
				if c.layer == "" {
					got, err := channelMap(a, a.feature, k)
					if err != nil {
						t.Fatal(err)
					}
					checkMap(t, "Ablation-CAM", got, plainMap(feat, channels, weights))
					continue
				}
				got, err := a.ChannelWeights(k)
				if err != nil {
					t.Fatal(err)
				}
				for i, ch := range channels {
					if d := math.Abs(float64(got[ch]) - weights[i]); d > 1e-4*maxAbs(weights) {
						t.Errorf("class %d channel %d: weight %g, plain loop %g", k, ch, got[ch], weights[i])
					}
				}
			}
		})
	}
}

// maxAbs is the largest |v|.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x, -x)
	}
	return m
}
