package inference

import (
	"fmt"
	"math"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// The transformer fusions: they run after constant folding (prepare), on
// the steps left to run, so that every constant is known whatever computed
// it (PyTorch's exports make their scalars with Constant nodes). Each node
// they change is built again.

// fuseTransformer merges, in order: the Div, Erf, Add, Mul, Mul that
// PyTorch exports for GELU into one Gelu node (fuseGeluPattern); a MatMul
// of constant weights and the Add of a constant bias into one MatMul with
// a bias (ops.FusedBias); a Gelu that follows such a MatMul into it
// (ops.FusedActivation). Tensors that vanish are never graph outputs nor
// named in keep. It returns the steps left.
func (m *Model) fuseTransformer(steps []*step, keep []string) ([]*step, error) {
	changed := map[*step]bool{}
	steps = m.fuseGeluPattern(steps, keep, changed)
	steps = m.fuseMatMulBias(steps, keep, changed)
	steps = m.fuseMatMulGelu(steps, keep, changed)
	for _, s := range steps {
		if !changed[s] {
			continue
		}
		consts := make([]*tensor.Tensor, len(s.inputs))
		for j, in := range s.inputs {
			consts[j] = m.consts[in]
		}
		op, err := ops.Build(&ops.Node{OpType: s.opType, Opset: m.Opset, Attrs: s.attrs, Consts: consts, NumOutputs: len(s.outputs)})
		if err != nil {
			return nil, fmt.Errorf("node %q (%s, fused): %w", s.name, s.opType, err)
		}
		s.op = op
		for _, out := range s.outputs {
			m.opTypes[out] = s.opType
			if s.fusedOp != "" {
				m.opTypes[out] += "+" + s.fusedOp
			}
		}
	}
	return steps, nil
}

// scalarConst returns the value of a float constant holding one value.
func (m *Model) scalarConst(name string) (float32, bool) {
	c := m.consts[name]
	if c == nil || c.DType != tensor.Float32 || c.Len() != 1 {
		return 0, false
	}
	return c.F[0], true
}

// near reports whether v is c within float32 rounding.
func near(v float32, c float64) bool {
	return math.Abs(float64(v)-c) <= 1e-6*math.Abs(c)
}

// readerOf maps each tensor read by exactly one step to that step.
func readerOf(steps []*step, f *fusion) map[string]*step {
	r := map[string]*step{}
	for _, s := range steps {
		for _, in := range s.inputs {
			if f.readers[in] == 1 {
				r[in] = s
			}
		}
	}
	return r
}

// binaryWith returns, for a two-input node of type op, its other input
// when one of them is a scalar constant for which ok holds.
func (m *Model) binaryWith(s *step, op string, ok func(float32) bool) (string, bool) {
	if s == nil || s.opType != op || len(s.inputs) != 2 || len(s.outputs) != 1 {
		return "", false
	}
	for j := range 2 {
		if v, isConst := m.scalarConst(s.inputs[j]); isConst && ok(v) {
			return s.inputs[1-j], true
		}
	}
	return "", false
}

// fuseGeluPattern replaces y = Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)
// (PyTorch's exact GELU before opset 20; either operand order, x/√2 also
// as Mul(x, 1/√2), and the 0.5 also applied to x first) by y = Gelu(x),
// when each tensor in between has no other reader.
func (m *Model) fuseGeluPattern(steps []*step, keep []string, changed map[*step]bool) []*step {
	f := m.newFusion(steps, keep)
	reader := readerOf(steps, f)
	producer := map[string]*step{}
	for _, s := range steps {
		for _, o := range s.outputs {
			producer[o] = s
		}
	}
	is := func(c float64) func(float32) bool { return func(v float32) bool { return near(v, c) } }
	for _, e := range steps {
		if e.opType != "Erf" || len(e.inputs) != 1 || len(e.outputs) != 1 || !f.private(e.inputs[0]) || !f.private(e.outputs[0]) {
			continue
		}
		d := producer[e.inputs[0]]
		x, ok := m.binaryWith(d, "Mul", is(1/math.Sqrt2))
		if !ok {
			// x/√2, not √2/x
			if x, ok = m.binaryWith(d, "Div", is(math.Sqrt2)); !ok || d.inputs[0] != x {
				continue
			}
		}
		a := reader[e.outputs[0]]
		if e2, ok := m.binaryWith(a, "Add", is(1)); !ok || e2 != e.outputs[0] || !f.private(a.outputs[0]) {
			continue
		}
		m1 := reader[a.outputs[0]]
		if m1 == nil || m1.opType != "Mul" || len(m1.inputs) != 2 || len(m1.outputs) != 1 {
			continue
		}
		other := m1.inputs[0]
		if other == a.outputs[0] {
			other = m1.inputs[1]
		}
		var y *step
		var gone []*step
		if other == x && f.private(m1.outputs[0]) {
			// Mul(Mul(x, 1 + erf), 0.5)
			y = reader[m1.outputs[0]]
			if in, ok := m.binaryWith(y, "Mul", is(0.5)); !ok || in != m1.outputs[0] {
				continue
			}
			gone = []*step{d, e, a, m1}
		} else {
			// Mul(Mul(x, 0.5), 1 + erf)
			h := producer[other]
			if in, ok := m.binaryWith(h, "Mul", is(0.5)); !ok || in != x || !f.private(other) {
				continue
			}
			y = m1
			gone = []*step{d, e, a, h}
		}
		y.opType, y.inputs, y.attrs = "Gelu", []string{x}, ops.Attrs{}
		changed[y] = true
		for _, s := range gone {
			f.fused[s] = true
		}
	}
	return f.without(steps)
}

// matMulOfWeights reports whether s is a MatMul of a constant float matrix
// B (the second input), possibly already carrying a fused bias.
func (m *Model) matMulOfWeights(s *step) bool {
	if s == nil || s.opType != "MatMul" || len(s.inputs) < 2 || len(s.outputs) != 1 {
		return false
	}
	b := m.consts[s.inputs[1]]
	return b != nil && b.DType == tensor.Float32 && b.Rank() == 2 && m.consts[s.inputs[0]] == nil
}

// fuseMatMulBias replaces y = Add(MatMul(x, W), b) (either operand order),
// W a constant matrix [K,N] and b a constant [N], by one MatMul with the
// bias (ops.FusedBias), when the product has no other reader.
func (m *Model) fuseMatMulBias(steps []*step, keep []string, changed map[*step]bool) []*step {
	f := m.newFusion(steps, keep)
	producer := map[string]*step{}
	for _, s := range steps {
		if m.matMulOfWeights(s) && len(s.inputs) == 2 && s.attrs[ops.FusedActivation] == nil {
			producer[s.outputs[0]] = s
		}
	}
	for _, add := range steps {
		if add.opType != "Add" || len(add.inputs) != 2 || len(add.outputs) != 1 {
			continue
		}
		for j := range 2 {
			mm, bias := producer[add.inputs[j]], m.consts[add.inputs[1-j]]
			if mm == nil || bias == nil || bias.DType != tensor.Float32 || bias.Rank() != 1 ||
				bias.Len() != m.consts[mm.inputs[1]].Shape[1] || !f.private(add.inputs[j]) {
				continue
			}
			attrs := ops.Attrs{ops.FusedBias: int64(1)}
			mm.inputs = []string{mm.inputs[0], mm.inputs[1], add.inputs[1-j]}
			mm.attrs, mm.outputs = attrs, add.outputs
			mm.fusedWith, mm.fusedOp = add.name, "Add"
			changed[mm] = true
			f.fused[add] = true
			delete(producer, add.inputs[j])
			break
		}
	}
	return f.without(steps)
}

// fuseMatMulGelu folds a Gelu (exact, not tanh) that is the only reader of
// a MatMul of constant weights (with or without a fused bias) into it.
func (m *Model) fuseMatMulGelu(steps []*step, keep []string, changed map[*step]bool) []*step {
	f := m.newFusion(steps, keep)
	producer := map[string]*step{}
	for _, s := range steps {
		if m.matMulOfWeights(s) && s.attrs[ops.FusedActivation] == nil {
			producer[s.outputs[0]] = s
		}
	}
	for _, g := range steps {
		if g.opType != "Gelu" || len(g.inputs) != 1 || len(g.outputs) != 1 {
			continue
		}
		if approx, err := g.attrs.String("approximate", "none"); err != nil || approx != "none" {
			continue
		}
		mm := producer[g.inputs[0]]
		if mm == nil || !f.private(g.inputs[0]) {
			continue
		}
		attrs := ops.Attrs{ops.FusedActivation: "Gelu"}
		if len(mm.inputs) == 3 {
			attrs[ops.FusedBias] = int64(1)
		}
		mm.attrs, mm.outputs = attrs, g.outputs
		mm.fusedWith = g.name
		if mm.fusedOp != "" {
			mm.fusedOp += "+Gelu"
		} else {
			mm.fusedOp = "Gelu"
		}
		changed[mm] = true
		f.fused[g] = true
	}
	return f.without(steps)
}
