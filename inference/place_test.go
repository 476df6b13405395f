package inference

import (
	"context"
	"testing"

	"camscope/inference/tensor"
)

// TestConcatInPlace: in SqueezeNet, GoogLeNet and DenseNet every Concat's
// inputs are written side by side and the Concat copies nothing (its
// output shares their array); every Concat input and output is, bit for
// bit, what the same model computes with the placement undone (each
// Concat copying); and a run from a given placed tensor, whose Concat then
// copies, gives the logits of the whole run (from the image and that
// tensor).
func TestConcatInPlace(t *testing.T) {
	for _, c := range []struct {
		name    string
		concats int
	}{{"squeezenet1_1", 8}, {"googlenet", 9}, {"densenet121", 62}} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(sharedPath(t, "reference", c.name+".onnx"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			feed := map[string]*tensor.Tensor{m.Inputs[0].Name: sharedNpy(t, "reference", "input.npy")}
			var keep []string
			var concats []*step
			for _, s := range m.steps {
				if s.opType == "Concat" {
					concats = append(concats, s)
					keep = append(keep, s.outputs[0])
					keep = append(keep, s.inputs...)
				}
			}
			if len(concats) != c.concats {
				t.Fatalf("%d Concats, want %d", len(concats), c.concats)
			}
			placed, err := m.Run(context.Background(), feed, keep...)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range concats {
				id := tensor.ArrayID(placed[s.outputs[0]])
				for _, in := range s.inputs {
					if tensor.ArrayID(placed[in]) != id {
						t.Errorf("Concat %q copied its input %q", s.name, in)
					}
				}
			}

			var given string
			for _, s := range m.steps {
				if s.place != nil && s.place.off > 0 && given == "" {
					given = s.outputs[0]
				}
				s.place = nil
			}
			copied, err := m.Run(context.Background(), feed, keep...)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range append(keep, logitsName) {
				if !sameValues(placed[name], copied[name]) {
					t.Errorf("%q differs from the run where Concats copy", name)
				}
			}

			m.planPlacement()
			in := m.Inputs[0].Name
			from, err := m.RunFrom(context.Background(), map[string]*tensor.Tensor{in: feed[in], given: copied[given].Clone()}, logitsName)
			if err != nil {
				t.Fatal(err)
			}
			if !sameValues(from[logitsName], copied[logitsName]) {
				t.Errorf("a run from %q differs from the whole run", given)
			}
		})
	}
}

func sameValues(a, b *tensor.Tensor) bool {
	if a == nil || b == nil || !tensor.EqualShape(a.Shape, b.Shape) {
		return false
	}
	for i, v := range a.F {
		if v != b.F[i] {
			return false
		}
	}
	return true
}
