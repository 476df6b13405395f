package inference

import (
	"context"
	"testing"

	"camscope/inference/tensor"
)

// TestBeside: two convolutions in a row of which neither reads the other's
// output and of outputs up to besideBytes are paired, the smaller first
// (a Fire module's expand1x1 and expand3x3: SqueezeNet's four at 13x13,
// not the larger ones; GoogLeNet's first two branches from 14x14 on); a run with
// the pairs side by side gives, bit for bit, every tensor of the run with
// them one after the other (the logits, each expand layer's output, placed
// in its Concat), and a batch gives each input's single run.
func TestBeside(t *testing.T) {
	fire := batchModel(t, "fire")
	for _, c := range []struct {
		name  string
		m     *Model
		pairs int
	}{{"fire", fire, 1}, {"squeezenet1_1", sharedModel(t, "reference", "squeezenet1_1"), 4}, {"googlenet", sharedModel(t, "reference", "googlenet"), 7}} {
		t.Run(c.name, func(t *testing.T) {
			m := c.m
			var keep []string
			pairs := 0
			for i, s := range m.steps {
				if s.beside == 0 {
					continue
				}
				pairs++
				next := m.steps[i+1]
				keep = append(keep, s.outputs[0], next.outputs[0])
				if reads(next, s) || s.opType != "Conv" || next.opType != "Conv" || m.outBytes(s) > besideBytes || m.outBytes(next) > besideBytes {
					t.Errorf("%q paired with %q", s.name, next.name)
				}
				if first := s.beside == besideFirst; first != (m.stepFLOPs(s) <= m.stepFLOPs(next)) {
					t.Errorf("%q (%d FLOPs) paired with %q (%d) goes first: %v", s.name, m.stepFLOPs(s), next.name, m.stepFLOPs(next), first)
				}
			}
			if pairs != c.pairs {
				t.Errorf("%d pairs, want %d", pairs, c.pairs)
			}
			if c.name == "fire" && (fire.steps[1].beside != besideFirst || fire.steps[1].outputs[0] != "e1r") {
				t.Errorf("expand1x1 not first beside expand3x3")
			}
			ins, _ := batchInputs(t, m, 2)
			feed := map[string]*tensor.Tensor{m.Inputs[0].Name: ins[0]}
			keep = append(keep, m.Outputs[0].Name)
			beside, err := m.Run(context.Background(), feed, keep...)
			if err != nil {
				t.Fatal(err)
			}
			saved := make([]uint8, len(m.steps))
			for i, s := range m.steps {
				saved[i], s.beside = s.beside, 0
			}
			alone, err := m.Run(context.Background(), feed, keep...)
			for i, s := range m.steps {
				s.beside = saved[i]
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range keep {
				if d := firstDifference(beside[name], alone[name]); d != "" {
					t.Errorf("%q side by side: %s", name, d)
				}
			}
			if c.name == "fire" {
				checkBatch(t, m, 3, m.BatchPass(3), m.LatePass(3))
			}
		})
	}
}
