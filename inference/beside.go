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
// convolution that does not read its output, each of the two computes at
// most besideBytes, and the first frees no tensor (so that a run holds no
// more at once than PeakBytes).
func (m *Model) planBeside() {
	for _, s := range m.steps {
		s.beside = 0
	}
	for i := 0; i+1 < len(m.steps); i++ {
		a, b := m.steps[i], m.steps[i+1]
		if a.opType != "Conv" || b.opType != "Conv" || reads(b, a) || m.frees(i) ||
			m.outBytes(a) > besideBytes || m.outBytes(b) > besideBytes {
			continue
		}
		a.beside = besideThen
		if m.stepFLOPs(a) <= m.stepFLOPs(b) {
			a.beside = besideFirst
		}
		i++
	}
}

// besideBytes bounds the output of each step of a pair: SqueezeNet's
// Fire modules at 27x27 and 55x55 (373 and 774 KB outputs) ran slower side
// by side in the model (fire2 308-331 -> 342-345 us, fire4 227-244 -> 262),
// though faster alone; those at 13x13 (130 and 173 KB) faster (fire6
// 167 -> 137-144, fire8 232-236 -> 212-213).
const besideBytes = 256 << 10

// outBytes is the bytes of step s's first output.
func (m *Model) outBytes(s *step) int64 {
	return 4 * int64(tensor.Size(m.shapes[s.outputs[0]]))
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
		if m.diesAt(i, in) {
			return true
		}
	}
	return false
}

// runBeside runs steps a and b (the step after it) at once, the smaller
// first (kernels.Beside), each as run would: into its place when it has
// one.
func (m *Model) runBeside(a, b *step, inA, inB []*tensor.Tensor, arrays map[int][]float32) (outsA, outsB []*tensor.Tensor, err error) {
	// Made here, so that the two do not write the map at once.
	for _, s := range []*step{a, b} {
		if s.place != nil {
			m.groupArray(arrays, s.place.group)
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
