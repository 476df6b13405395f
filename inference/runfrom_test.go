package inference

import (
	"context"
	"math"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

// TestRunFrom checks runs from an inner tensor of ResNet-18: from the
// feature map the head alone runs (no input is given, so nothing before it
// can), and its logits are the head's formula W·mean_yx(f) + b for a
// changed feature map; from a tensor inside the last block, whose residual
// branch reads an earlier tensor, the rest is computed from the input.
func TestRunFrom(t *testing.T) {
	ctx := context.Background()
	m := sharedModel(t, "reference", "resnet18")
	input := sharedNpy(t, "reference", "input.npy")
	const feat, mid = "/layer4/layer4.1/relu_1/Relu_output_0", "/layer4/layer4.1/relu/Relu_output_0"
	full, err := m.Run(ctx, map[string]*tensor.Tensor{"input": input}, feat, mid)
	if err != nil {
		t.Fatal(err)
	}

	same, err := m.RunFrom(ctx, map[string]*tensor.Tensor{feat: full[feat]}, logitsName)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, same[logitsName], full[logitsName]); d != 0 {
		t.Errorf("from the unchanged feature map the logits differ by %g", d)
	}

	changed := full[feat].Clone()
	c, hw := changed.Shape[1], changed.Shape[2]*changed.Shape[3]
	for i := range changed.F {
		if (i/hw)%3 == 0 {
			changed.F[i] = 0
		} else {
			changed.F[i] *= float32(1 + i%5)
		}
	}
	before := changed.Clone()
	out, err := m.RunFrom(ctx, map[string]*tensor.Tensor{feat: changed}, logitsName)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, changed, before); d != 0 {
		t.Errorf("RunFrom changed the given tensor")
	}
	w, b := m.Const("fc.weight"), m.Const("fc.bias")
	worst, scale := 0.0, 0.0
	for k := range out[logitsName].F {
		want := float64(b.F[k])
		for ch := 0; ch < c; ch++ {
			var s float64
			for _, v := range changed.F[ch*hw : (ch+1)*hw] {
				s += float64(v)
			}
			want += float64(w.F[k*c+ch]) * s / float64(hw)
		}
		worst = math.Max(worst, math.Abs(float64(out[logitsName].F[k])-want))
		scale = math.Max(scale, math.Abs(want))
	}
	if worst > 1e-5*scale {
		t.Errorf("logits from a changed feature map differ from W·mean(f)+b by %g (scale %g)", worst, scale)
	}

	both, err := m.RunFrom(ctx, map[string]*tensor.Tensor{"input": input, mid: full[mid]}, logitsName, feat)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(t, both[logitsName], full[logitsName]); d != 0 {
		t.Errorf("from the input and a tensor inside the last block the logits differ by %g", d)
	}
	if d := maxAbsDiff(t, both[feat], full[feat]); d != 0 {
		t.Errorf("from the input and a tensor inside the last block the feature map differs by %g", d)
	}

	for name, c := range map[string]struct {
		given map[string]*tensor.Tensor
		want  string
		err   string
	}{
		"unknown tensor":  {map[string]*tensor.Tensor{"nope": input}, logitsName, `no tensor named "nope"`},
		"constant":        {map[string]*tensor.Tensor{"fc.weight": w}, logitsName, "is a constant"},
		"wrong shape":     {map[string]*tensor.Tensor{feat: input}, logitsName, "the graph computes float32[1x512x7x7]"},
		"nil":             {map[string]*tensor.Tensor{feat: nil}, logitsName, "without a value"},
		"needs the input": {map[string]*tensor.Tensor{mid: full[mid]}, logitsName, `"input" is needed`},
		"unknown want":    {map[string]*tensor.Tensor{feat: full[feat]}, "nope", `no tensor named "nope"`},
	} {
		if _, err := m.RunFrom(ctx, c.given, c.want); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.err)
		}
	}
}
