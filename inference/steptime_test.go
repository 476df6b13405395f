package inference

import (
	"context"
	"testing"
	"time"

	"camscope/inference/tensor"
)

// TestStepTimes: runs whose context carries a StepTimes record every step
// once a run, in the order of the model's steps, and each step's time lies
// within its run's; runs without one record nothing.
func TestStepTimes(t *testing.T) {
	m := sharedModel(t, "models", "mobilenet_v1_0.25_128")
	feed := map[string]*tensor.Tensor{m.Inputs[0].Name: tensor.New(m.Inputs[0].Shape...)}
	st := &StepTimes{}
	ctx := WithStepTimes(context.Background(), st)
	var fastest time.Duration
	for i := range 3 {
		t0 := time.Now()
		if _, err := m.Run(ctx, feed); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); i == 0 || d < fastest {
			fastest = d
		}
	}
	if _, err := m.Run(context.Background(), feed); err != nil {
		t.Fatal(err)
	}
	steps := st.Steps()
	if len(steps) != len(m.steps) {
		t.Fatalf("%d steps recorded, the model has %d", len(steps), len(m.steps))
	}
	var sum time.Duration
	for i, s := range steps {
		if s.Name != m.steps[i].name || len(s.Times) != 3 {
			t.Errorf("step %d: %q with %d times, want %q with 3", i, s.Name, len(s.Times), m.steps[i].name)
		}
		sum += s.Min()
	}
	if sum > fastest {
		t.Errorf("the steps' fastest times add up to %v, more than the fastest run (%v)", sum, fastest)
	}
}

func TestStepTimeQuantiles(t *testing.T) {
	s := StepTime{Times: []time.Duration{5, 1, 3, 9}}
	if s.Min() != 1 || s.Median() != 5 {
		t.Errorf("min %v median %v of 5,1,3,9; want 1 and 5 (the upper middle)", s.Min(), s.Median())
	}
	if s.Times[0] != 5 {
		t.Error("the quantiles reordered the recorded times")
	}
	if (StepTime{}).Median() != 0 {
		t.Error("a step without runs has a nonzero median")
	}
}
