package inference

import (
	"context"
	"fmt"
	"math"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// prepare orders the nodes, builds their operators, folds everything that
// does not depend on the input's values, and measures memory with one check
// run on a zero input, so that a broken model fails here and not on the
// user's first photo.
func (m *Model) prepare(nodes []*step, limit int64, samples map[string]*tensor.Tensor, keep []string) error {
	order, err := m.topoSort(nodes)
	if err != nil {
		return err
	}
	for _, t := range m.consts {
		m.WeightBytes += tensorBytes(t)
	}
	if m.WeightBytes > limit {
		return fmt.Errorf("%w: its weights take %s, over the limit of %s", ErrTooLarge, formatBytes(m.WeightBytes), formatBytes(limit))
	}

	order = m.fuseSiLU(nodes, order, keep)
	order = m.fuseActivations(nodes, order, keep)

	// Build every operator; run the ones whose inputs are all constant now.
	var steps []*step
	for _, i := range order {
		s := nodes[i]
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
			outs, err := runStep(s, consts)
			if err != nil {
				return err
			}
			m.setConsts(s, outs)
			continue
		}
		steps = append(steps, s)
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
	values, err := m.run(context.Background(), feed, nil, true, limit)
	if err != nil {
		return fmt.Errorf("check run on a sample input: %w", err)
	}
	for name, t := range values {
		m.shapes[name] = t.Shape
	}
	for _, o := range m.Outputs {
		if _, ok := m.shapes[o.Name]; !ok {
			return fmt.Errorf("%w: graph output %q is computed by no node", ErrNotONNX, o.Name)
		}
	}
	for i := range m.Outputs {
		m.Outputs[i].Shape = m.shapes[m.Outputs[i].Name]
	}
	static := map[string]bool{}
	steps = steps[:0]
	for _, s := range m.steps {
		isStatic := s.opType == "Shape"
		if !isStatic {
			isStatic = true
			for _, in := range s.inputs {
				if in != "" && m.consts[in] == nil && !static[in] {
					isStatic = false
				}
			}
		}
		if isStatic {
			for _, out := range s.outputs {
				if out != "" {
					static[out] = true
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
	if m.WeightBytes+m.PeakBytes > limit {
		return fmt.Errorf("%w: it needs %s for weights and %s for activations, over the limit of %s", ErrTooLarge,
			formatBytes(m.WeightBytes), formatBytes(m.PeakBytes), formatBytes(limit))
	}
	return nil
}

// fusion is one pass that merges nodes: it knows how many nodes read each
// tensor (counted when the pass starts, since an earlier pass may have
// rewired inputs) and which tensors must survive, and collects the nodes
// merged away.
type fusion struct {
	m       *Model
	readers map[string]int
	kept    map[string]bool
	fused   map[*step]bool
}

func (m *Model) newFusion(nodes []*step, keep []string) *fusion {
	f := &fusion{m: m, readers: map[string]int{}, kept: map[string]bool{}, fused: map[*step]bool{}}
	for _, n := range nodes {
		for _, in := range n.inputs {
			f.readers[in]++
		}
	}
	for _, k := range keep {
		f.kept[k] = true
	}
	return f
}

// private reports whether tensor x may vanish into a merged node: one node
// reads it, and it is neither a graph output nor a tensor to keep.
func (f *fusion) private(x string) bool {
	return f.readers[x] == 1 && !f.m.outputs[x] && !f.kept[x]
}

// without returns order less the nodes merged away.
func (f *fusion) without(nodes []*step, order []int) []int {
	out := order[:0:0]
	for _, i := range order {
		if !f.fused[nodes[i]] {
			out = append(out, i)
		}
	}
	return out
}

// fusable are the operators that can apply a Relu or Clip as they write
// their output (ops.FusedActivation).
var fusable = map[string]bool{"Conv": true, "Add": true, "BatchNormalization": true}

// fuseActivations folds a Relu or Clip that is the only reader of the output
// of a Conv, Add or BatchNormalization into that node, which then applies it
// as it writes its output: one pass over the activations instead of two. The
// node's own output then no longer exists as a tensor, so outputs of the
// graph and tensors named in keep are never fused away. It returns the order
// without the fused nodes.
func (m *Model) fuseActivations(nodes []*step, order []int, keep []string) []int {
	f := m.newFusion(nodes, keep)
	producer := map[string]*step{}
	for _, n := range nodes {
		if fusable[n.opType] && len(n.outputs) == 1 {
			producer[n.outputs[0]] = n
		}
	}
	for _, i := range order {
		a := nodes[i]
		if (a.opType != "Relu" && a.opType != "Clip") || len(a.inputs) == 0 || len(a.outputs) != 1 {
			continue
		}
		prod := producer[a.inputs[0]]
		x := a.inputs[0]
		if prod == nil || !f.private(x) {
			continue
		}
		attrs := make(ops.Attrs, len(prod.attrs)+3)
		for k, v := range prod.attrs {
			attrs[k] = v
		}
		attrs[ops.FusedActivation] = a.opType
		if a.opType == "Clip" {
			lo, hi, ok := m.clipBounds(a)
			if !ok {
				continue
			}
			attrs[ops.FusedMin], attrs[ops.FusedMax] = lo, hi
		}
		prod.attrs = attrs
		prod.outputs = a.outputs
		prod.fusedWith, prod.fusedOp = a.name, a.opType
		f.fused[a] = true
	}
	return f.without(nodes, order)
}

// fuseSiLU replaces s = Sigmoid(x); y = Mul(x, s) (either operand order),
// where s has no other reader, by one y = SiLU(x) node (ops.SiLU).
func (m *Model) fuseSiLU(nodes []*step, order []int, keep []string) []int {
	f := m.newFusion(nodes, keep)
	sigmoid := map[string]*step{}
	for _, n := range nodes {
		if n.opType == "Sigmoid" && len(n.inputs) == 1 && len(n.outputs) == 1 {
			sigmoid[n.outputs[0]] = n
		}
	}
	for _, i := range order {
		mul := nodes[i]
		if mul.opType != "Mul" || len(mul.inputs) != 2 || len(mul.outputs) != 1 {
			continue
		}
		for j := range 2 {
			s, x := sigmoid[mul.inputs[j]], mul.inputs[1-j]
			if s == nil || s.inputs[0] != x || !f.private(s.outputs[0]) {
				continue
			}
			mul.opType, mul.inputs, mul.attrs = ops.SiLU, []string{x}, ops.Attrs{}
			f.fused[s] = true
			break
		}
	}
	return f.without(nodes, order)
}

// clipBounds returns a Clip node's bounds when they are known at load:
// attributes before opset 11, constant inputs from 11 on.
func (m *Model) clipBounds(s *step) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if m.Opset < 11 {
		var err1, err2 error
		lo, err1 = s.attrs.Float("min", lo)
		hi, err2 = s.attrs.Float("max", hi)
		return lo, hi, err1 == nil && err2 == nil
	}
	bound := func(j int, def float32) (float32, bool) {
		if j >= len(s.inputs) || s.inputs[j] == "" {
			return def, true
		}
		c := m.consts[s.inputs[j]]
		if c == nil || c.DType != tensor.Float32 || c.Len() != 1 {
			return 0, false
		}
		return c.F[0], true
	}
	lo, ok1 := bound(1, lo)
	hi, ok2 := bound(2, hi)
	return lo, hi, ok1 && ok2
}

func (m *Model) setConsts(s *step, outs []*tensor.Tensor) {
	for j, out := range s.outputs {
		if out != "" && j < len(outs) && outs[j] != nil {
			m.consts[out] = outs[j]
		}
	}
}

// topoSort returns the node indices in an order where every node comes after
// the nodes it reads from. ONNX files are meant to be sorted already; this
// keeps their order where it is valid and repairs it where it is not.
func (m *Model) topoSort(nodes []*step) ([]int, error) {
	avail := map[string]bool{"": true}
	for name := range m.consts {
		avail[name] = true
	}
	for _, in := range m.Inputs {
		avail[in.Name] = true
	}
	produced := map[string]bool{}
	for _, n := range nodes {
		for _, o := range n.outputs {
			if o == "" {
				continue
			}
			if produced[o] || avail[o] && o != "" {
				return nil, fmt.Errorf("%w: tensor %q is computed twice (node %q)", ErrNotONNX, o, n.name)
			}
			produced[o] = true
		}
	}
	done := make([]bool, len(nodes))
	order := make([]int, 0, len(nodes))
	for len(order) < len(nodes) {
		progress := false
		for i, n := range nodes {
			if done[i] {
				continue
			}
			ready := true
			for _, in := range n.inputs {
				if !avail[in] {
					ready = false
					break
				}
			}
			if !ready {
				continue
			}
			done[i], progress = true, true
			order = append(order, i)
			for _, o := range n.outputs {
				avail[o] = true
			}
		}
		if !progress {
			for i, n := range nodes {
				if done[i] {
					continue
				}
				for _, in := range n.inputs {
					if !avail[in] && !produced[in] {
						return nil, fmt.Errorf("%w: node %q (%s) reads tensor %q, which is not an input, an initializer or any node's output", ErrNotONNX, n.name, n.opType, in)
					}
				}
			}
			return nil, fmt.Errorf("%w: the graph has a cycle", ErrNotONNX)
		}
	}
	return order, nil
}

// computeLiveness finds, for every tensor, the last step that reads it, and
// the peak bytes of activations alive at once in a run that frees each
// tensor after its last reader.
func (m *Model) computeLiveness() {
	m.lastUse = map[string]int{}
	for i, s := range m.steps {
		for _, in := range s.inputs {
			if in != "" && m.consts[in] == nil {
				m.lastUse[in] = i
			}
		}
	}
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
			if last, ok := m.lastUse[in]; ok && last == i && !m.outputs[in] {
				live -= 4 * int64(tensor.Size(m.shapes[in]))
			}
		}
	}
	m.PeakBytes = peak
}

func tensorBytes(t *tensor.Tensor) int64 {
	if t.DType == tensor.Int64 {
		return 8 * int64(len(t.I))
	}
	return 4 * int64(len(t.F))
}
