package inference

import (
	"context"
	"slices"
	"sync"
	"time"
)

// StepTimes records how long each step of a model's runs takes, for
// `camscope bench --layers`: where a forward pass spends its time, layer
// by layer. A run whose context carries one (WithStepTimes) adds each
// step's duration to it; runs without one pay nothing.
type StepTimes struct {
	mu    sync.Mutex
	steps []StepTime // by step, filled on first use
}

// StepTime is one step (a graph node, with the activation fused into it)
// and its durations, one per run that reached it.
type StepTime struct {
	Name, Op string
	Times    []time.Duration
}

// Min and Median are the step's fastest and middle run (0 without runs).
func (s StepTime) Min() time.Duration { return s.quantile(0) }

func (s StepTime) Median() time.Duration { return s.quantile(0.5) }

func (s StepTime) quantile(q float64) time.Duration {
	if len(s.Times) == 0 {
		return 0
	}
	t := slices.Clone(s.Times)
	slices.Sort(t)
	return t[int(q*float64(len(t)-1)+0.5)]
}

type stepTimesKey struct{}

// WithStepTimes returns a context whose runs of any model record their
// steps' durations in st. Give each model its own StepTimes.
func WithStepTimes(ctx context.Context, st *StepTimes) context.Context {
	return context.WithValue(ctx, stepTimesKey{}, st)
}

// Steps returns the steps recorded, in the order they run (a copy).
func (st *StepTimes) Steps() []StepTime {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]StepTime, 0, len(st.steps))
	for _, s := range st.steps {
		if len(s.Times) > 0 {
			out = append(out, StepTime{Name: s.Name, Op: s.Op, Times: slices.Clone(s.Times)})
		}
	}
	return out
}

// stepTimesOf returns the StepTimes ctx carries, or nil.
func stepTimesOf(ctx context.Context) *StepTimes {
	st, _ := ctx.Value(stepTimesKey{}).(*StepTimes)
	return st
}

// add records that step i of m took d.
func (st *StepTimes) add(m *Model, i int, d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.steps) != len(m.steps) {
		st.steps = make([]StepTime, len(m.steps))
		for j, s := range m.steps {
			op := s.opType
			if s.fusedOp != "" {
				op += "+" + s.fusedOp
			}
			st.steps[j] = StepTime{Name: s.name, Op: op}
		}
	}
	st.steps[i].Times = append(st.steps[i].Times, d)
}
