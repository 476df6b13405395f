package inference

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// prepare takes the nodes in execution order, fuses what it can (fuse.go),
// builds their operators, folds everything that does not depend on the
// input's values, and measures memory with one check run on a zero input,
// so that a broken model fails here and not on the user's first photo.
//
// Constants computed here count in WeightBytes, against limit, as the file's
// own do: a small file could otherwise fold into gigabytes. Each operator
// folded gets what is left of limit as its budget, and refuses an output
// over it before allocating it. It stops, with ctx's error, at the next
// operator when ctx is cancelled.
func (m *Model) prepare(ctx context.Context, nodes []*step, limit int64, samples map[string]*tensor.Tensor, keep []string) error {
	for _, t := range m.consts {
		m.WeightBytes += tensorBytes(t)
	}
	if m.WeightBytes > limit {
		return fmt.Errorf("%w: its weights take %s, over the limit of %s", ErrTooLarge, tensor.FormatBytes(m.WeightBytes), tensor.FormatBytes(limit))
	}

	m.dropUnreadMasks(nodes, keep)
	nodes = m.fuseSiLU(nodes, keep)
	nodes = m.fuseActivations(nodes, keep)

	// Build every operator; run the ones whose inputs are all constant now.
	var steps []*step
	var err error
	var shared sharedWeights
	for _, s := range nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		consts := make([]*tensor.Tensor, len(s.inputs))
		allConst := true
		for j, in := range s.inputs {
			if in == "" {
				continue
			}
			consts[j] = m.consts[in]
			if consts[j] == nil {
				allConst = false
			}
		}
		if !allConst && shared.read(consts) > limit-m.WeightBytes {
			return fmt.Errorf("%w: node %q (%s) reads weights that other nodes read too, and the copies each of them makes for its kernels would pass the limit of %s", ErrTooLarge, s.name, s.opType, tensor.FormatBytes(limit))
		}
		s.op, err = ops.Build(&ops.Node{OpType: s.opType, Opset: m.Opset, Attrs: s.attrs, Consts: consts, NumOutputs: len(s.outputs)})
		if err != nil {
			return fmt.Errorf("node %q (%s): %w", s.name, s.opType, err)
		}
		for _, out := range s.outputs {
			m.opTypes[out] = s.opType
			if s.fusedOp != "" {
				m.opTypes[out] += "+" + s.fusedOp
			}
		}
		if allConst {
			outs, err := runStep(s, consts, ops.Budget(limit-m.WeightBytes))
			if errors.Is(err, ErrTooLarge) {
				return fmt.Errorf("%w; its weights and the constants computed from them at load already take %s of the limit of %s",
					err, tensor.FormatBytes(m.WeightBytes), tensor.FormatBytes(limit))
			}
			if err != nil {
				return err
			}
			m.setConsts(s, outs)
			m.WeightBytes += newBytes(outs, consts)
			if m.WeightBytes > limit {
				return fmt.Errorf("%w: its weights and the constants computed from them at load pass the limit of %s at node %q (%s)", ErrTooLarge, tensor.FormatBytes(limit), s.name, s.opType)
			}
			continue
		}
		steps = append(steps, s)
	}
	if steps, err = m.fuseTransformer(steps, keep); err != nil {
		return err
	}
	m.steps = steps

	// The check run: shapes of every tensor, and the values of those that
	// depend only on shapes (Shape and what is computed from it alone).
	feed := map[string]*tensor.Tensor{}
	for _, in := range m.Inputs {
		if x, ok := samples[in.Name]; ok {
			if x.DType != in.DType || !tensor.EqualShape(x.Shape, in.Shape) {
				return fmt.Errorf("sample input %q is %s, the model expects %s%s", in.Name, x, in.DType, tensor.ShapeString(in.Shape))
			}
			feed[in.Name] = x
		} else if in.DType == tensor.Int64 {
			feed[in.Name] = tensor.NewInt64(in.Shape...)
		} else {
			feed[in.Name] = tensor.New(in.Shape...)
		}
		m.shapes[in.Name] = in.Shape
	}
	for name, t := range m.consts {
		m.shapes[name] = t.Shape
	}
	// The check run records every tensor's shape and type as it computes
	// it (run), keeps the static tensors, and lets every other go after
	// its last reader: all alive at once, DenseNet-121's would take 108 MB.
	static := m.staticSteps()
	var keepStatic []string
	for i, s := range m.steps {
		if static[i] {
			keepStatic = append(keepStatic, s.outputs...)
		}
	}
	m.int64s = map[string]bool{}
	for _, in := range m.Inputs {
		if in.DType == tensor.Int64 {
			m.int64s[in.Name] = true
		}
	}
	m.lastUse = lastUses(m.steps, m.consts)
	values, err := m.run(ctx, feed, keepStatic, nil, true, limit, 1)
	if err != nil {
		return fmt.Errorf("check run on a sample input: %w", err)
	}
	for _, o := range m.Outputs {
		if _, ok := m.shapes[o.Name]; !ok {
			return fmt.Errorf("%w: graph output %q is computed by no node", ErrNotONNX, o.Name)
		}
	}
	for i := range m.Outputs {
		m.Outputs[i].Shape = m.shapes[m.Outputs[i].Name]
	}
	steps = steps[:0]
	for i, s := range m.steps {
		if static[i] {
			for _, out := range s.outputs {
				if out != "" {
					m.consts[out] = values[out]
				}
			}
			continue
		}
		steps = append(steps, s)
	}
	m.steps = steps
	m.constArrays = map[uintptr]bool{}
	for _, t := range m.consts {
		m.constArrays[tensor.ArrayID(t)] = true
	}
	m.computeLiveness()
	m.planBatches()
	m.planPlacement()
	m.planBeside()
	m.planBands()
	m.maxMemory = limit
	if m.WeightBytes+m.PeakBytes > limit {
		return fmt.Errorf("%w: it needs %s for weights and %s for activations, over the limit of %s", ErrTooLarge,
			tensor.FormatBytes(m.WeightBytes), tensor.FormatBytes(m.PeakBytes), tensor.FormatBytes(limit))
	}
	return nil
}

func (m *Model) setConsts(s *step, outs []*tensor.Tensor) {
	for j, out := range s.outputs {
		if out != "" && j < len(outs) && outs[j] != nil {
			m.consts[out] = outs[j]
		}
	}
}

// newBytes is the memory that the outputs of a step take beyond its
// inputs': outputs that are views of an input (Reshape, Identity and
// friends) add nothing.
func newBytes(outs, ins []*tensor.Tensor) int64 {
	var b int64
	for _, o := range outs {
		if o != nil && !slices.ContainsFunc(ins, func(in *tensor.Tensor) bool { return sameArray(o, in) }) {
			b += tensorBytes(o)
		}
	}
	return b
}

// sameArray reports whether a and b hold their values in one array.
func sameArray(a, b *tensor.Tensor) bool {
	if a == nil || b == nil {
		return false
	}
	if cap(a.F) > 0 && cap(b.F) > 0 {
		return &a.F[:cap(a.F)][cap(a.F)-1] == &b.F[:cap(b.F)][cap(b.F)-1]
	}
	if cap(a.I) > 0 && cap(b.I) > 0 {
		return &a.I[:cap(a.I)][cap(a.I)-1] == &b.I[:cap(b.I)][cap(b.I)-1]
	}
	return false
}

// staticSteps marks the steps whose outputs depend only on shapes: Shape,
// and the steps computed from constants and static tensors alone.
func (m *Model) staticSteps() []bool {
	static := make([]bool, len(m.steps))
	tensors := map[string]bool{}
	for i, s := range m.steps {
		static[i] = s.opType == "Shape"
		if !static[i] {
			static[i] = true
			for _, in := range s.inputs {
				if in != "" && m.consts[in] == nil && !tensors[in] {
					static[i] = false
				}
			}
		}
		if static[i] {
			for _, out := range s.outputs {
				if out != "" {
					tensors[out] = true
				}
			}
		}
	}
	return static
}

// lastUses finds, for every tensor the steps compute or are fed, the last
// step that reads it.
func lastUses(steps []*step, consts map[string]*tensor.Tensor) map[string]int {
	last := map[string]int{}
	for i, s := range steps {
		for _, in := range s.inputs {
			if in != "" && consts[in] == nil {
				last[in] = i
			}
		}
	}
	return last
}

// computeLiveness finds, for every tensor, the last step that reads it, and
// the peak bytes of activations alive at once in a run that frees each
// tensor after its last reader.
func (m *Model) computeLiveness() {
	m.lastUse = lastUses(m.steps, m.consts)
	var live, peak int64
	for _, in := range m.Inputs {
		live += 4 * int64(tensor.Size(in.Shape))
	}
	for i, s := range m.steps {
		for _, o := range s.outputs {
			if sh, ok := m.shapes[o]; ok && o != "" {
				live += 4 * int64(tensor.Size(sh))
			}
		}
		peak = max(peak, live)
		for _, in := range s.inputs {
			if m.diesAt(i, in) {
				live -= 4 * int64(tensor.Size(m.shapes[in]))
			}
		}
	}
	m.PeakBytes = peak
}

// maxKernelCopy bounds the bytes of the copy an operator makes of a
// constant it reads as weights, packed or transformed for its kernels, in
// times the constant's own: a convolution's output channels padded to a
// tile of 8 rows, Winograd's 6x6 filters for 3x3 ones (4 times), a Gemm's
// transposed B.
const maxKernelCopy = 8

// sharedWeights counts the copies of constants that several steps read.
// The file holds each constant once however many nodes read it, and each
// of them may keep its own copy of it (maxKernelCopy): a small file whose
// one large weight thousands of nodes share would make thousands of
// copies. The first reader's copy is part of the budget every model has;
// each further one counts here.
type sharedWeights struct {
	read1 map[*tensor.Tensor]bool
	bytes int64
}

// read records one step's constant inputs and returns the bytes counted
// so far.
func (w *sharedWeights) read(consts []*tensor.Tensor) int64 {
	for _, c := range consts {
		if c == nil {
			continue
		}
		if w.read1[c] {
			w.bytes += maxKernelCopy * tensorBytes(c)
			continue
		}
		if w.read1 == nil {
			w.read1 = map[*tensor.Tensor]bool{}
		}
		w.read1[c] = true
	}
	return w.bytes
}
