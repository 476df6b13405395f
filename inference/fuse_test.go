package inference

import (
	"context"
	"math"
	"os"
	"testing"

	"camscope/inference/decode"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// TestFuseResiduals checks the residual sums fused into convolutions
// (fuseResiduals) against the same graphs with every Add's inputs kept,
// which leaves each Add a step of its own: the logits bit for bit, alone
// and in a batch of 2, the fused steps counted (MobileNetV2's ten
// projections with a residual, EfficientNet-B0's nine, ResNet-18's eight
// second convolutions with the Relu after the sum), and each fused Conv's
// residual its last input, the pre-sum output gone from the graph, and a
// tensor to keep respected.
func TestFuseResiduals(t *testing.T) {
	input := sharedNpy(t, "reference", "input.npy")
	for _, tc := range []struct {
		dir, name string
		fused     int
		op        string
	}{
		{"models", "mobilenet_v2_1.0_224", 10, "Conv+Add"},
		{"reference", "efficientnet_b0", 9, "Conv+Add"},
		{"reference", "resnet18", 8, "Conv+Add+Relu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := sharedPath(t, tc.dir, tc.name+".onnx")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			g, err := decode.Read(data, decode.Options{MaxMemory: DefaultMaxMemory})
			if err != nil {
				t.Fatal(err)
			}
			var addInputs []string
			for _, n := range g.Nodes {
				if n.OpType == "Add" {
					addInputs = append(addInputs, n.Inputs...)
				}
			}
			fused := sharedModel(t, tc.dir, tc.name)
			plain, err := Load(path, Options{Keep: addInputs})
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for _, n := range fused.Nodes() {
				if n.Attrs[ops.FusedAdd] == nil {
					continue
				}
				count++
				out := n.Outputs[0]
				if n.OpType != "Conv" || fused.ProducerOp(out) != tc.op || n.FusedWith == "" || n.Inputs[len(n.Inputs)-1] == "" {
					t.Errorf("%s: %s, producer %s", n.Name, n.OpType, fused.ProducerOp(out))
				}
			}
			if count != tc.fused {
				t.Errorf("%d residual sums fused, want %d", count, tc.fused)
			}
			for _, n := range plain.Nodes() {
				if n.Attrs[ops.FusedAdd] != nil {
					t.Errorf("%s fused although its inputs are kept", n.Name)
				}
			}
			gone := 0
			for _, x := range addInputs {
				if _, ok := fused.Shape(x); !ok {
					gone++
				}
			}
			if gone != tc.fused {
				t.Errorf("%d of the sums' terms gone from the fused graph, want %d", gone, tc.fused)
			}
			in := map[string]*tensor.Tensor{fused.Inputs[0].Name: input}
			want, err := plain.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fused.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(got[logitsName], want[logitsName]) {
				t.Fatal("the fused graph's logits differ from the unfused graph's")
			}
			two, err := Stack(input, input)
			if err != nil {
				t.Fatal(err)
			}
			batch, err := fused.RunBatch(context.Background(), 2, map[string]*tensor.Tensor{fused.Inputs[0].Name: two})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if !sameBits(Item(batch[logitsName], 2, i), want[logitsName]) {
					t.Errorf("batch item %d differs from the unfused graph's run", i)
				}
			}
			// The gradient at the input goes back through every fused step.
			var grads [2]*tensor.Tensor
			for i, m := range []*Model{fused, plain} {
				tape, _, err := m.ForwardAll(context.Background(), in, []string{m.Inputs[0].Name}, logitsName)
				if err != nil {
					t.Fatal(err)
				}
				g, err := tape.GradsOfLogit(7)
				if err != nil {
					t.Fatal(err)
				}
				grads[i] = g[0]
			}
			if !sameBits(grads[0], grads[1]) {
				t.Error("the fused graph's gradient at the input differs from the unfused graph's")
			}
		})
	}
}

// sameBits reports whether a and b hold the same float32 values, bit for bit.
func sameBits(a, b *tensor.Tensor) bool {
	if !tensor.EqualShape(a.Shape, b.Shape) || len(a.F) != len(b.F) {
		return false
	}
	for i, v := range a.F {
		if math.Float32bits(v) != math.Float32bits(b.F[i]) {
			return false
		}
	}
	return true
}
