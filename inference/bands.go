package inference

import (
	"slices"

	"camscope/inference/kernels"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Bands of rows. A small CNN's first layers (convolutions and max pools,
// each reading only the one before) split poorly over two cores layer by
// layer: each layer's work is a few tens of µs, and every split hands the
// layer's data from one core to the other. A run of one input computes
// such a chain in two bands of rows instead, one a core (kernels.Apart):
// the top half of the chain's last output and the rows of every earlier
// layer it needs, and the bottom half likewise, with no hand-off until the
// last output. The rows both halves need (a 3x3 convolution's row above
// and below, more through several layers) are computed twice.
//
// Each band's operators are the whole input's on a band of rows
// (ops.Bander): the same kernel path, so every output is bit for bit the
// one a run without bands computes. Winograd convolutions take no bands
// (kernels.NewBandConv) and end a chain. Runs that time their steps, keep
// an inner tensor of the chain, compute gradients or stack a batch run the
// steps one by one.

// bandChain is the chain of steps first..last, from the graph's input.
type bandChain struct {
	first, last int
	input       string
	parts       [2]bandPart
}

// bandPart is one band: the input rows it reads, and its steps.
type bandPart struct {
	in0, in1 int // the chain input's rows
	steps    []bandStep
	out0     int // the last output's rows it computes, from out0
	// and writes, keep0 to keep1
	keep0, keep1 int
}

// bandStep is a step on a band: its operator and its inputs (nil for the
// band, the constants for the others).
type bandStep struct {
	op     ops.Op
	inputs []*tensor.Tensor
}

// bandMaxFlops bounds the chain's work, and bandStepFlops each step's:
// above them, the layers split over the cores well enough by themselves.
// With steps of up to 100M, MobileNetV2's and EfficientNet-B0's first
// steps (up to 38M each) took bands and the models 3% and 2% longer (11
// alternated rounds, two cores of a Zen 5, 2026-12-07: 3.74 -> 3.86 ms,
// 7.28 -> 7.42), while MobileNetV1 0.25 (128x128) went 0.35 -> 0.26 ms,
// MobileNetV1 0.5 (160x160) 1.03 -> 0.93 ms, and the shapes model 0.28 ->
// 0.23.
const (
	bandMaxFlops  = 100_000_000
	bandStepFlops = 16_000_000
)

// bandMaxSteps bounds the chain's steps (MobileNetV1 0.5 takes 13): the
// load tries each length down from the longest, building both bands'
// operators, and a graph of many light steps must not make that
// quadratic in its length.
const bandMaxSteps = 32

// bandMaxWeights bounds the weights of the chain's steps: each band's
// operators hold their own prepared copy (the shapes model's chain has 75
// KB, MobileNetV1 0.5's 60 KB).
const bandMaxWeights = 1 << 20

// bandMaxWork bounds the work of the two bands together, as a multiple of
// the chain's: the rows computed twice.
const bandMaxWork = 1.15

// planBands finds the longest chain from the graph's input that runs in
// bands within bandMaxFlops and bandMaxWork, if any.
func (m *Model) planBands() { m.planBandsWithin(bandMaxWork) }

// planBandsWithin is planBands with the bands' work bounded by most times
// the chain's.
func (m *Model) planBandsWithin(most float64) {
	m.bands = nil
	if len(m.Inputs) != 1 || len(m.steps) < 2 {
		return
	}
	in := m.Inputs[0].Name
	if sh := m.shapes[in]; len(sh) != 4 || sh[0] != 1 || m.dtype(in) != tensor.Float32 {
		return
	}
	readers := map[string]int{}
	for _, s := range m.steps {
		for _, n := range s.inputs {
			readers[n]++
		}
	}
	for _, o := range m.Outputs {
		readers[o.Name]++
	}
	var geoms []ops.WindowRows
	var flops, weights int64
	cur := in
	for i, s := range m.steps {
		g, ok := m.bandable(s, cur)
		if !ok || i == bandMaxSteps {
			break
		}
		var w int64
		for _, n := range s.inputs[1:] {
			if c := m.consts[n]; c != nil {
				w += tensorBytes(c)
			}
		}
		if m.stepFLOPs(s) > bandStepFlops || flops+m.stepFLOPs(s) > bandMaxFlops || weights+w > bandMaxWeights {
			break
		}
		geoms = append(geoms, g)
		flops += m.stepFLOPs(s)
		weights += w
		cur = s.outputs[0]
		if readers[cur] != 1 || i == len(m.steps)-1 {
			break
		}
	}
	for last := len(geoms) - 1; last >= 1; last-- {
		if c, ok := m.bandChain(in, last, geoms, most); ok {
			m.bands = c
			return
		}
	}
}

// bandable reports whether step s computes bands of its output from bands
// of cur, and its window along the rows.
func (m *Model) bandable(s *step, cur string) (ops.WindowRows, bool) {
	b, ok := s.op.(ops.Bander)
	if !ok || len(s.outputs) != 1 || len(s.inputs) == 0 || s.inputs[0] != cur || s.place != nil || s.beside != 0 {
		return ops.WindowRows{}, false
	}
	for _, n := range s.inputs[1:] {
		if n != "" && m.consts[n] == nil {
			return ops.WindowRows{}, false
		}
	}
	in, out := m.shapes[cur], m.shapes[s.outputs[0]]
	if len(in) != 4 || len(out) != 4 {
		return ops.WindowRows{}, false
	}
	g, err := b.Rows(in)
	// The output's rows must be what the window gives.
	if err != nil || (in[2]+g.PadT+g.PadB-g.Extent)/g.Stride+1 != out[2] {
		return ops.WindowRows{}, false
	}
	return g, true
}

// bandChain builds the two bands of the chain of steps 0..last, or
// reports false when they would take more than most times the chain's
// work or a step refuses its band.
func (m *Model) bandChain(in string, last int, geoms []ops.WindowRows, most float64) (*bandChain, bool) {
	outH := m.shapes[m.steps[last].outputs[0]][2]
	half := outH / 2
	if half == 0 {
		return nil, false
	}
	c := &bandChain{last: last, input: in}
	var whole, work int64
	for i := 0; i <= last; i++ {
		whole += m.stepFLOPs(m.steps[i])
	}
	for p, r := range [2][2]int{{0, half}, {half, outH}} {
		part, w, ok := m.bandPart(last, geoms, r[0], r[1])
		if !ok {
			return nil, false
		}
		c.parts[p] = part
		work += w
	}
	return c, float64(work) <= most*float64(whole)
}

// bandPart builds the band that computes rows a to b of step last's
// output, and reports its work.
func (m *Model) bandPart(last int, geoms []ops.WindowRows, a, b int) (bandPart, int64, bool) {
	part := bandPart{out0: a, keep0: a, keep1: b, steps: make([]bandStep, last+1)}
	var work int64
	for i := last; i >= 0; i-- {
		s, g := m.steps[i], geoms[i]
		x := m.shapes[s.inputs[0]]
		lo := a*g.Stride - g.PadT
		hi := (b-1)*g.Stride - g.PadT + g.Extent
		ia, ib := max(0, lo), min(x[2], hi)
		op, err := s.op.(ops.Bander).Band(x, ib-ia, ia-lo, hi-ib)
		if err != nil {
			return part, 0, false
		}
		part.steps[i] = bandStep{op: op, inputs: m.constInputs(s)}
		work += m.stepFLOPs(s) * int64(b-a) / int64(m.shapes[s.outputs[0]][2])
		a, b = ia, ib
	}
	part.in0, part.in1 = a, b
	return part, work, true
}

// constInputs is step s's inputs with the constants' values, nil for the
// others.
func (m *Model) constInputs(s *step) []*tensor.Tensor {
	in := make([]*tensor.Tensor, len(s.inputs))
	for j, n := range s.inputs {
		if n != "" {
			in[j] = m.consts[n]
		}
	}
	return in
}

// bandsFor reports whether a run of the steps marked in need (all if nil)
// that keeps the tensors in kept computes the chain in bands: it runs
// every step of the chain and keeps none of its inner tensors.
func (m *Model) bandsFor(need []bool, kept map[string]bool) bool {
	c := m.bands
	for i := c.first; i <= c.last; i++ {
		if need != nil && !need[i] || i < c.last && kept[m.steps[i].outputs[0]] {
			return false
		}
	}
	return true
}

// runBands computes the chain's last output from its input x, the two
// bands at once.
func (m *Model) runBands(x *tensor.Tensor) (*tensor.Tensor, error) {
	c := m.bands
	out := tensor.NewUninit(m.shapes[m.steps[c.last].outputs[0]]...)
	var errs [2]error
	run := func(p int) func() {
		return func() { errs[p] = c.parts[p].run(x, out) }
	}
	kernels.Apart(run(1), run(0))
	for _, err := range errs {
		if err != nil {
			tensor.Recycle(out)
			return nil, err
		}
	}
	return out, nil
}

// run computes the band from the chain input x and writes its rows of the
// chain's last output out.
func (part *bandPart) run(x, out *tensor.Tensor) error {
	t := rows(x, part.in0, part.in1)
	for _, bs := range part.steps {
		in := slices.Clone(bs.inputs)
		in[0] = t
		outs, err := bs.op.Run(ops.NoBudget, in)
		if t != x {
			tensor.Recycle(t)
		}
		if err != nil {
			return err
		}
		t = outs[0]
	}
	ch, oh, ow := out.Shape[1], out.Shape[2], out.Shape[3]
	bh := t.Shape[2]
	for k := 0; k < ch; k++ {
		copy(out.F[(k*oh+part.keep0)*ow:(k*oh+part.keep1)*ow], t.F[(k*bh+part.keep0-part.out0)*ow:])
	}
	tensor.Recycle(t)
	return nil
}

// rows returns rows r0 to r1 of every channel of x (1 x C x H x W): x
// itself when that is all of them.
func rows(x *tensor.Tensor, r0, r1 int) *tensor.Tensor {
	ch, h, w := x.Shape[1], x.Shape[2], x.Shape[3]
	if r0 == 0 && r1 == h {
		return x
	}
	t := tensor.NewUninit(1, ch, r1-r0, w)
	n := (r1 - r0) * w
	for k := 0; k < ch; k++ {
		copy(t.F[k*n:(k+1)*n], x.F[(k*h+r0)*w:])
	}
	return t
}
