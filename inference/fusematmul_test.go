package inference

import (
	"context"
	"testing"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// fusedCounts counts the steps of m by what the transformer fusions made
// of them, and the Erf nodes left.
func fusedCounts(m *Model) (bias, gelu, erf int) {
	for _, n := range m.Nodes() {
		if n.OpType == "MatMul" && n.Attrs[ops.FusedBias] != nil {
			bias++
		}
		if n.OpType == "MatMul" && n.Attrs[ops.FusedActivation] == "Gelu" {
			gelu++
		}
		if n.OpType == "Erf" {
			erf++
		}
	}
	return bias, gelu, erf
}

// TestFuseTransformer checks that the shared ViT and Swin exports lose
// every spelled-out GELU into the MatMul before it, and their linear
// layers' bias Adds into the products (the PyTorch comparisons of the
// logits, features, gradients and CAM weights run on these fused graphs);
// and that a tensor named in keep survives: the MLP's product before its
// bias and GELU, kept, stays readable with its value, and the logits do not
// change beyond rounding.
func TestFuseTransformer(t *testing.T) {
	for _, c := range []struct {
		name             string
		bias, gelu, erfs int
	}{
		// ViT: per block the attention's input projection, fc1 (+GELU) and
		// fc2; the output projection is a Gemm.
		{"vit_tiny", 3 * 4, 4, 0},
		// Swin: per block qkv, proj, fc1 (+GELU), fc2; patch merging has no bias.
		{"swin_tiny", 4 * 8, 8, 0},
	} {
		m := sharedModel(t, "reference", c.name)
		bias, gelu, erf := fusedCounts(m)
		if bias != c.bias || gelu != c.gelu || erf != c.erfs {
			t.Errorf("%s: %d products with a fused bias, %d with a fused GELU, %d Erf left; want %d, %d, %d", c.name, bias, gelu, erf, c.bias, c.gelu, c.erfs)
		}
	}

	const fc1 = "/encoder/layers/encoder_layer_0/mlp/mlp.0/MatMul_output_0"
	const ln2 = "/encoder/layers/encoder_layer_0/ln_2/LayerNormalization_output_0"
	kept, err := Load(sharedPath(t, "reference", "vit_tiny.onnx"), Options{Keep: []string{fc1}})
	if err != nil {
		t.Fatal(err)
	}
	bias, gelu, _ := fusedCounts(kept)
	if bias != 3*4-1 || gelu != 3 {
		t.Errorf("with %s kept: %d products with a fused bias and %d with a GELU, want 11 and 3", fc1, bias, gelu)
	}
	m := sharedModel(t, "reference", "vit_tiny")
	input := sharedNpy(t, "reference", "input.npy")
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: input}
	got, err := kept.Run(context.Background(), feed, fc1, ln2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Run(context.Background(), feed)
	if err != nil {
		t.Fatal(err)
	}
	if d, lim := maxAbsDiff(t, got[logitsName], want[logitsName]), 1e-5*float64(maxAbs(want[logitsName].F)); d > lim {
		t.Errorf("logits with %s kept differ by %g (limit %g)", fc1, d, lim)
	}
	// fc1 = ln_2's output times the layer's weights, without the bias.
	x, y := got[ln2], got[fc1]
	w := kept.Const(weightsOf(t, kept, fc1))
	k, n := w.Shape[0], w.Shape[1]
	for _, r := range []int{0, 1, 100, 196} {
		for _, j := range []int{0, 5, n - 1} {
			var s float64
			for p := range k {
				s += float64(x.F[r*k+p]) * float64(w.F[p*n+j])
			}
			if d := s - float64(y.F[r*n+j]); d > 1e-4 || d < -1e-4 {
				t.Fatalf("%s[%d,%d] = %g, want %g", fc1, r, j, y.F[r*n+j], s)
			}
		}
	}
}

// weightsOf returns the name of the weights of the MatMul that computes
// out.
func weightsOf(t *testing.T, m *Model, out string) string {
	t.Helper()
	for _, n := range m.Nodes() {
		if n.OpType == "MatMul" && len(n.Outputs) == 1 && n.Outputs[0] == out && m.Const(n.Inputs[1]) != nil {
			return n.Inputs[1]
		}
	}
	t.Fatalf("no MatMul of constant weights computes %s", out)
	return ""
}

// TestGradFusedTransformer differentiates a ViT logit with respect to its
// first block's input, so the backward pass goes through every fused
// product (bias, GELU) of the network, and compares with central finite
// differences of the replayed forward pass.
func TestGradFusedTransformer(t *testing.T) {
	const wrt = "/encoder/layers/encoder_layer_0/ln_1/LayerNormalization_output_0"
	m := sharedModel(t, "reference", "vit_tiny")
	k := transformerMeta(t)["vit_tiny"].GradK
	input := sharedNpy(t, "reference", "input.npy")
	tape, out, err := m.ForwardAll(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: input}, []string{wrt}, logitsName)
	if err != nil {
		t.Fatal(err)
	}
	fused := 0
	for _, s := range tape.steps {
		if s.opType == "MatMul" && s.attrs[ops.FusedActivation] == "Gelu" {
			fused++
		}
	}
	if fused != 4 {
		t.Fatalf("the tape goes through %d products with a fused GELU, want 4", fused)
	}
	grads, err := tape.GradsOfLogit(k)
	if err != nil {
		t.Fatal(err)
	}
	checkFiniteDifferences(t, tape, out[wrt], grads[0], k, out[logitsName].F[k], 0.02, false, 3e-2)
}
