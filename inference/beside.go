package inference

import (
	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// Steps side by side. A Fire module's expand1x1 and expand3x3 both read
// the squeeze's output, and neither reads the other's: a run of one input
// computes such a pair at once (kernels.Beside), the smaller convolution
// on one core alone while the other core starts the larger, whose loops
// the first core joins when it is done, instead of each split over both
// cores in turn. Each computes what it computes alone. A run that times
// its steps (StepTimes, `bench --layers`) runs them one after the other.

// besideFirst and besideThen mark a step that runs at once with the step
// after it, first (the smaller) or then.
const (
	besideFirst = 1 + iota
	besideThen
)

// planBeside pairs each convolution with the next step when that is a
// convolution that does not read its output, and the first of the two
// frees no tensor (so that a run holds no more at once than PeakBytes).
func (m *Model) planBeside() {
	for _, s := range m.steps {
		s.beside = 0
	}
	for i := 0; i+1 < len(m.steps); i++ {
		a, b := m.steps[i], m.steps[i+1]
		if a.opType != "Conv" || b.opType != "Conv" || reads(b, a) || m.frees(i) {
			continue
		}
		a.beside = besideThen
		if m.stepFLOPs(a) <= m.stepFLOPs(b) {
			a.beside = besideFirst
		}
		i++
	}
}

// reads reports whether step b reads an output of step a.
func reads(b, a *step) bool {
	for _, in := range b.inputs {
		for _, o := range a.outputs {
			if in != "" && in == o {
				return true
			}
		}
	}
	return false
}

// frees reports whether step i is the last reader of a tensor.
func (m *Model) frees(i int) bool {
	for _, in := range m.steps[i].inputs {
		if last, ok := m.lastUse[in]; ok && last == i && !m.outputs[in] {
			return true
		}
	}
	return false
}

// runBeside runs steps a and b (the step after it) at once, the smaller
// first (kernels.Beside), each as run would: into its place when it has
// one.
func (m *Model) runBeside(a, b *step, inA, inB []*tensor.Tensor, arrays map[int][]float32) (outsA, outsB []*tensor.Tensor, err error) {
	for _, s := range []*step{a, b} {
		if s.place != nil {
			if _, ok := arrays[s.place.group]; !ok {
				arrays[s.place.group] = tensor.NewUninit(m.groups[s.place.group]).F
			}
		}
	}
	var errA, errB error
	runA := func() { outsA, errA = m.runOne(a, inA, arrays) }
	runB := func() { outsB, errB = m.runOne(b, inB, arrays) }
	if a.beside == besideFirst {
		kernels.Beside(runA, runB)
	} else {
		kernels.Beside(runB, runA)
	}
	if errA != nil {
		return nil, nil, errA
	}
	return outsA, outsB, errB
}
