package inference

import (
	"context"
	"fmt"
	"sort"
	"time"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Run computes the graph outputs for the given inputs (by input name), and
// also returns each inner tensor named in keep. Inputs are not modified.
// It stops early, with ctx's error, when ctx is cancelled.
func (m *Model) Run(ctx context.Context, inputs map[string]*tensor.Tensor, keep ...string) (map[string]*tensor.Tensor, error) {
	for _, in := range m.Inputs {
		t, ok := inputs[in.Name]
		if !ok {
			return nil, fmt.Errorf("run %s: input %q is missing", m.Name, in.Name)
		}
		if t.DType != in.DType || !tensor.EqualShape(t.Shape, in.Shape) {
			return nil, fmt.Errorf("run %s: input %q is %s; the model expects %s%s", m.Name, in.Name, t, in.DType, tensor.ShapeString(in.Shape))
		}
	}
	for _, k := range keep {
		if _, ok := m.shapes[k]; !ok {
			return nil, fmt.Errorf("run %s: the graph has no tensor named %q (list them with 'camscope run --list')", m.Name, k)
		}
	}
	values, err := m.run(ctx, inputs, keep, nil, false, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	out := make(map[string]*tensor.Tensor, len(m.Outputs)+len(keep))
	for _, o := range m.Outputs {
		out[o.Name] = m.lookup(values, o.Name)
	}
	for _, k := range keep {
		out[k] = m.lookup(values, k)
	}
	return out, nil
}

// RunFrom computes the tensors named in want from the values in given,
// which may name graph inputs and inner tensors (a layer's activations,
// changed, say): given values replace what the graph would compute, and
// only the steps that want needs from them run, so a run from a late layer
// costs only the rest of the network. A tensor that want needs and that is
// neither given nor computed from what is given is an error; constants
// cannot be given. Given tensors are not modified.
func (m *Model) RunFrom(ctx context.Context, given map[string]*tensor.Tensor, want ...string) (map[string]*tensor.Tensor, error) {
	for name, t := range given {
		sh, ok := m.shapes[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("run %s: the graph has no tensor named %q (list them with 'camscope run --list')", m.Name, name)
		case m.consts[name] != nil:
			return nil, fmt.Errorf("run %s: %q is a constant of the model and cannot be given", m.Name, name)
		case t == nil:
			return nil, fmt.Errorf("run %s: tensor %q is given without a value", m.Name, name)
		case !tensor.EqualShape(t.Shape, sh) || t.DType != m.dtype(name):
			return nil, fmt.Errorf("run %s: tensor %q is given as %s; the graph computes %s%s", m.Name, name, t, m.dtype(name), tensor.ShapeString(sh))
		}
	}
	need, err := m.stepsFor(given, want)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	values, err := m.run(ctx, given, want, need, false, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	out := make(map[string]*tensor.Tensor, len(want))
	for _, w := range want {
		out[w] = m.lookup(values, w)
	}
	return out, nil
}

// stepsFor marks the steps that computing want from given takes: those
// that want reaches going back through the graph, stopping at given values
// and constants.
func (m *Model) stepsFor(given map[string]*tensor.Tensor, want []string) ([]bool, error) {
	missing := map[string]bool{}
	for _, w := range want {
		if _, ok := m.shapes[w]; !ok {
			return nil, fmt.Errorf("the graph has no tensor named %q (list them with 'camscope run --list')", w)
		}
		if given[w] == nil && m.consts[w] == nil {
			missing[w] = true
		}
	}
	need := make([]bool, len(m.steps))
	for i := len(m.steps) - 1; i >= 0 && len(missing) > 0; i-- {
		s := m.steps[i]
		for _, o := range s.outputs {
			if missing[o] {
				need[i] = true
			}
		}
		if !need[i] {
			continue
		}
		for _, o := range s.outputs {
			delete(missing, o)
		}
		for _, in := range s.inputs {
			if in != "" && given[in] == nil && m.consts[in] == nil {
				missing[in] = true
			}
		}
	}
	for name := range missing {
		return nil, fmt.Errorf("tensor %q is needed, and is neither given nor computed from the given tensors", name)
	}
	return need, nil
}

// dtype is the element type of a graph input or inner tensor, as the check
// run at load found it.
func (m *Model) dtype(name string) tensor.DType {
	if m.int64s[name] {
		return tensor.Int64
	}
	return tensor.Float32
}

func (m *Model) lookup(values map[string]*tensor.Tensor, name string) *tensor.Tensor {
	if t, ok := values[name]; ok {
		return t
	}
	return m.consts[name]
}

// run executes the steps, or only those marked in need when need is not
// nil; a step's output that inputs already holds keeps the given value.
// With keepAll (the check run at load) it records each tensor's shape and
// type in m.shapes and m.int64s, hands no array back to the pool (the
// garbage collector takes what its last reader leaves), and checks the
// bytes computed so far against limit as it goes: each operator gets what
// is left of limit as its budget, and refuses an output over it before
// allocating it.
// With batch n above 1, every tensor stacks n items (batch.go).
func (m *Model) run(ctx context.Context, inputs map[string]*tensor.Tensor, keep []string, need []bool, keepAll bool, limit int64, n int) (map[string]*tensor.Tensor, error) {
	values := make(map[string]*tensor.Tensor, len(m.steps)+len(inputs))
	for k, v := range inputs {
		values[k] = v
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	fed := map[uintptr]bool{}
	for _, v := range inputs {
		fed[tensor.ArrayID(v)] = true
	}
	var live int64
	arrays := map[int][]float32{} // placed outputs' arrays (place.go)
	timer := stepTimesOf(ctx)
	for i := 0; i < len(m.steps); i++ {
		s := m.steps[i]
		if need != nil && !need[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// A chain in bands of rows (bands.go), in a run of one input that
		// is not the check run, times no step and keeps none of its inner
		// tensors.
		if i == 0 && m.bands != nil && n == 1 && !keepAll && timer == nil && m.bandsFor(need, kept) {
			c := m.bands
			out, err := m.runBands(values[c.input])
			if err != nil {
				return nil, err
			}
			values[m.steps[c.last].outputs[0]] = out
			for j := c.first; j <= c.last; j++ {
				m.release(j, values, kept, fed) // the chain's input, if step j reads it last
			}
			i = c.last
			continue
		}
		in, err := m.stepInputs(s, values)
		if err != nil {
			return nil, err
		}
		// A pair of steps side by side (beside.go), in a run of one input
		// that is not the check run and times no step.
		if s.beside != 0 && n == 1 && !keepAll && timer == nil && (need == nil || need[i+1]) {
			next := m.steps[i+1]
			inNext, err := m.stepInputs(next, values)
			if err != nil {
				return nil, err
			}
			outs, outsNext, err := m.runBeside(s, next, in, inNext, arrays)
			if err != nil {
				return nil, err
			}
			m.keepOutputs(s, outs, inputs, values)
			m.release(i, values, kept, fed)
			i++
			m.keepOutputs(next, outsNext, inputs, values)
			m.release(i, values, kept, fed)
			continue
		}
		budget := ops.NoBudget
		if keepAll {
			budget = ops.Budget(limit - live)
		}
		var outs []*tensor.Tensor
		var t0 time.Time
		if timer != nil {
			t0 = time.Now()
		}
		switch {
		case n > 1:
			outs, err = m.runBatchStep(i, s, in, n)
		case s.place != nil:
			outs, err = m.runPlaced(s, in, arrays)
		default:
			outs, err = runStep(s, in, budget)
		}
		if err != nil {
			return nil, err
		}
		if timer != nil {
			timer.add(m, i, time.Since(t0))
		}
		m.keepOutputs(s, outs, inputs, values)
		if keepAll {
			for j, name := range s.outputs {
				if name == "" || j >= len(outs) || inputs[name] != nil || outs[j] == nil {
					continue
				}
				m.shapes[name] = outs[j].Shape
				if outs[j].DType == tensor.Int64 {
					m.int64s[name] = true
				}
				live += tensorBytes(outs[j])
				if live > limit {
					return nil, fmt.Errorf("%w: its activations pass %s at node %q", ErrTooLarge, tensor.FormatBytes(limit), s.name)
				}
			}
			m.release(i, values, kept, nil)
			continue
		}
		m.release(i, values, kept, fed)
	}
	return values, nil
}

// stepInputs looks up the values of step s's inputs (nil for a missing
// optional one).
func (m *Model) stepInputs(s *step, values map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	in := make([]*tensor.Tensor, len(s.inputs))
	for j, name := range s.inputs {
		if name == "" {
			continue
		}
		in[j] = m.lookup(values, name)
		if in[j] == nil {
			return nil, fmt.Errorf("node %q (%s): input %q has no value", s.name, s.opType, name)
		}
	}
	return in, nil
}

// runOne runs step s in a run of one input: into its place in arrays
// when it has one (place.go).
func (m *Model) runOne(s *step, in []*tensor.Tensor, arrays map[int][]float32) ([]*tensor.Tensor, error) {
	if s.place != nil {
		return m.runPlaced(s, in, arrays)
	}
	return runStep(s, in, ops.NoBudget)
}

// keepOutputs records step s's outputs in values, but for those inputs
// gives.
func (m *Model) keepOutputs(s *step, outs []*tensor.Tensor, inputs, values map[string]*tensor.Tensor) {
	for j, name := range s.outputs {
		if name == "" || j >= len(outs) || inputs[name] != nil {
			continue
		}
		values[name] = outs[j]
	}
}

// diesAt reports whether step i is the last reader of tensor name and
// the graph does not output it: its value can go once step i has run.
func (m *Model) diesAt(i int, name string) bool {
	last, ok := m.lastUse[name]
	return ok && last == i && !m.outputs[name]
}

// release drops the tensors that step i reads last from values, but for
// the graph's outputs and those kept, and hands their arrays back to the
// pool (recycle) unless fed is nil (the check run).
func (m *Model) release(i int, values map[string]*tensor.Tensor, kept map[string]bool, fed map[uintptr]bool) {
	for _, name := range m.steps[i].inputs {
		if m.diesAt(i, name) && !kept[name] {
			t := values[name]
			delete(values, name)
			if fed != nil {
				m.recycle(t, values, fed)
			}
		}
	}
}

// recycle hands a dead activation's array back for reuse, unless something
// still refers to it: a constant, a caller's input, or a live tensor that
// shares its data (Reshape, Identity and friends return views).
func (m *Model) recycle(t *tensor.Tensor, live map[string]*tensor.Tensor, fed map[uintptr]bool) {
	id := tensor.ArrayID(t)
	if id == 0 || m.constArrays[id] || fed[id] {
		return
	}
	for _, v := range live {
		if tensor.ArrayID(v) == id {
			return
		}
	}
	tensor.Recycle(t)
}

// tensorBytes is the memory a tensor's values take.
func tensorBytes(t *tensor.Tensor) int64 {
	if t.DType == tensor.Int64 {
		return 8 * int64(len(t.I))
	}
	return 4 * int64(len(t.F))
}

// runStep runs one operator within budget, turning a panic in it into an
// error: a model file is untrusted input, and the program must report, not
// crash.
func runStep(s *step, in []*tensor.Tensor, budget ops.Budget) (outs []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("node %q (%s) failed: %v", s.name, s.opType, r)
		}
	}()
	outs, err = s.op.Run(budget, in)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", s.name, s.opType, err)
	}
	want := 0
	for _, o := range s.outputs {
		if o != "" {
			want++
		}
	}
	if len(outs) < want {
		return nil, fmt.Errorf("node %q (%s) produced %d outputs, the graph uses %d", s.name, s.opType, len(outs), want)
	}
	return outs, nil
}

// TensorNames lists every tensor of the graph with its shape, in the order
// they are computed (inputs first, constants last), for `run --list`.
func (m *Model) TensorNames() []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, in := range m.Inputs {
		add(in.Name)
	}
	for _, s := range m.steps {
		for _, o := range s.outputs {
			if _, ok := m.shapes[o]; ok {
				add(o)
			}
		}
	}
	var consts []string
	for n := range m.consts {
		if !seen[n] {
			consts = append(consts, n)
		}
	}
	sort.Strings(consts)
	return append(names, consts...)
}
