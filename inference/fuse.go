package inference

import (
	"math"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// The graph rewriting passes that prepare runs before building operators:
// each merges nodes into one that does the same work in one pass over the
// data. The nodes they take and return are in execution order.

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

// without returns nodes less the ones merged away.
func (f *fusion) without(nodes []*step) []*step {
	out := nodes[:0:0]
	for _, n := range nodes {
		if !f.fused[n] {
			out = append(out, n)
		}
	}
	return out
}

// fusable are the operators that can apply a Relu or Clip as they write
// their output (ops.FusedActivation).
var fusable = map[string]bool{"Conv": true, "Add": true, "BatchNormalization": true}

// fusableSiLU are the operators that can also apply a SiLU (ops.SiLU, made by
// fuseSiLU) as they write their output: a convolution computes it on each
// block of output while that is in cache (EfficientNet's every conv).
var fusableSiLU = map[string]bool{"Conv": true}

// fuseActivations folds a Relu or Clip that is the only reader of the output
// of a Conv, Add or BatchNormalization, or a SiLU that is the only reader of
// a Conv's output, into that node, which then applies it
// as it writes its output: one pass over the activations instead of two. The
// node's own output then no longer exists as a tensor, so outputs of the
// graph and tensors named in keep are never fused away. It returns the nodes
// without the fused ones.
func (m *Model) fuseActivations(nodes []*step, keep []string) []*step {
	f := m.newFusion(nodes, keep)
	producer := map[string]*step{}
	for _, n := range nodes {
		if fusable[n.opType] && len(n.outputs) == 1 {
			producer[n.outputs[0]] = n
		}
	}
	for _, a := range nodes {
		if (a.opType != "Relu" && a.opType != "Clip" && a.opType != ops.SiLU) || len(a.inputs) == 0 || len(a.outputs) != 1 {
			continue
		}
		prod := producer[a.inputs[0]]
		x := a.inputs[0]
		if prod == nil || !f.private(x) || (a.opType == ops.SiLU && !fusableSiLU[prod.opType]) {
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
	return f.without(nodes)
}

// fuseSiLU replaces s = Sigmoid(x); y = Mul(x, s) (either operand order),
// where s has no other reader, by one y = SiLU(x) node (ops.SiLU).
func (m *Model) fuseSiLU(nodes []*step, keep []string) []*step {
	f := m.newFusion(nodes, keep)
	sigmoid := map[string]*step{}
	for _, n := range nodes {
		if n.opType == "Sigmoid" && len(n.inputs) == 1 && len(n.outputs) == 1 {
			sigmoid[n.outputs[0]] = n
		}
	}
	for _, mul := range nodes {
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
	return f.without(nodes)
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

// dropUnreadMasks removes the mask output of Dropout nodes when nothing
// reads it (no node, not a graph output, not a tensor to keep): in inference
// the mask is all ones, and writing it costs a pass over a tensor as large
// as the input in 64-bit integers (Swin's sixteen Dropout nodes took more
// time than all its matrix products).
func (m *Model) dropUnreadMasks(nodes []*step, keep []string) {
	f := m.newFusion(nodes, keep)
	for _, n := range nodes {
		if n.opType != "Dropout" || len(n.outputs) != 2 {
			continue
		}
		if mask := n.outputs[1]; mask == "" || f.readers[mask] == 0 && !m.outputs[mask] && !f.kept[mask] {
			n.outputs = n.outputs[:1]
		}
	}
}
