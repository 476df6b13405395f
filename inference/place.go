package inference

import (
	"fmt"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Concatenation without copies. A Concat along the channels of a single
// image copies every input into a new array: DenseNet's blocks concatenate
// all the feature maps before each layer, which copies a growing tensor
// again and again, and every Inception or Fire module copies its
// branches. Instead, planPlacement gives the operators that compute a
// Concat's inputs (convolutions and pools, ops.Placer) their slices of one
// array, side by side in the Concat's order; each writes its output there,
// and the Concat finds its inputs adjacent and returns them as one view
// (ops' Concat). The inputs stay tensors of their own, so taps, kept
// tensors and gradients see what they saw before. A Concat whose inputs
// did not come out adjacent (a run from given inner tensors, a batch)
// copies as before.

// placement is where a step writes its output in a run: values off to
// off+size of the run's array number group.
type placement struct {
	group, off int
}

// planPlacement places the inputs of the Concats it can, in the arrays
// whose sizes it records in m.groups. It takes the Concats from the last
// one back, so that a DenseNet block's final Concat, which reads every
// feature map of the block, places them all, and each earlier Concat of
// the block, reading the first few, finds them adjacent at its start.
func (m *Model) planPlacement() {
	m.groups = nil
	placed := map[string]bool{}
	producer := map[string]*step{}
	for _, s := range m.steps {
		s.place = nil
		for _, o := range s.outputs {
			producer[o] = s
		}
	}
	for i := len(m.steps) - 1; i >= 0; i-- {
		s := m.steps[i]
		if s.opType != "Concat" || len(s.outputs) != 1 || !m.channelConcat(s) {
			continue
		}
		seen := map[string]bool{}
		ok := true
		for _, in := range s.inputs {
			p := producer[in]
			ok = ok && in != "" && !seen[in] && !placed[in] && p != nil && len(p.outputs) == 1 && !m.int64s[in]
			if !ok {
				break
			}
			seen[in] = true
			pl, isPlacer := p.op.(ops.Placer)
			ok = isPlacer && pl.Placeable()
		}
		if !ok {
			continue
		}
		off := 0
		for _, in := range s.inputs {
			producer[in].place = &placement{group: len(m.groups), off: off}
			placed[in] = true
			off += tensor.Size(m.shapes[in])
		}
		m.groups = append(m.groups, off)
	}
}

// channelConcat reports whether step s concatenates float32 tensors along
// an axis with only ones before it, so that each input is one run of
// values in the output.
func (m *Model) channelConcat(s *step) bool {
	out := s.outputs[0]
	shape, ok := m.shapes[out]
	if !ok || m.int64s[out] {
		return false
	}
	axis, err := s.attrs.Int("axis", 1)
	if err != nil {
		return false
	}
	if axis < 0 {
		axis += int64(len(shape))
	}
	if axis < 0 || int(axis) >= len(shape) {
		return false
	}
	return tensor.Size(shape[:axis]) == 1
}

// runPlaced runs step s into its place in arrays, the run's arrays by
// group, allocating the group's array on first use; a panic becomes an
// error, as in runStep.
func (m *Model) runPlaced(s *step, in []*tensor.Tensor, arrays map[int][]float32) (outs []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("node %q (%s) failed: %v", s.name, s.opType, r)
		}
	}()
	a := m.groupArray(arrays, s.place.group)
	size := tensor.Size(m.shapes[s.outputs[0]])
	out, err := s.op.(ops.Placer).RunInto(in, a[s.place.off:s.place.off+size])
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", s.name, s.opType, err)
	}
	return []*tensor.Tensor{out}, nil
}

// groupArray returns the array of placement group g from arrays, made on
// first use.
func (m *Model) groupArray(arrays map[int][]float32, g int) []float32 {
	a, ok := arrays[g]
	if !ok {
		a = tensor.NewUninit(m.groups[g]).F
		arrays[g] = a
	}
	return a
}
