package inference

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// weighted are the operators whose second input is a learnt weight tensor:
// the layers the sanity check re-initialises.
var weighted = map[string]bool{"Conv": true, "ConvTranspose": true, "Gemm": true, "MatMul": true}

// WeightedLayers names the nodes with learnt weights (a Conv, Gemm or
// MatMul whose second input is a constant of two or more dimensions), in
// execution order: the layers Reinitialized counts from the end.
func (m *Model) WeightedLayers() []string {
	var names []string
	for _, s := range m.steps {
		if m.isWeighted(s) {
			names = append(names, s.name)
		}
	}
	return names
}

func (m *Model) isWeighted(s *step) bool {
	if !weighted[s.opType] || len(s.inputs) < 2 {
		return false
	}
	w := m.consts[s.inputs[1]]
	return w != nil && w.DType == tensor.Float32 && w.Rank() >= 2
}

// Reinitialized returns a copy of the model whose last n weighted layers
// (WeightedLayers, counted from the output) have random weights: every
// float constant such a node reads (weights and bias) is replaced by draws
// from a normal distribution with the original tensor's mean and standard
// deviation, so activations keep their scale (Adebayo et al. 2018's
// cascading model randomisation, "Sanity Checks for Saliency Maps"). The
// draws follow seed. The model is not changed; the copy shares every other
// constant with it. It returns the re-initialised layers' names.
func (m *Model) Reinitialized(n int, seed uint64) (*Model, []string, error) {
	layers := m.WeightedLayers()
	if n < 1 || n > len(layers) {
		return nil, nil, fmt.Errorf("%s has %d layers with weights; re-initialise 1 to %d of them, not %d", m.Name, len(layers), len(layers), n)
	}
	chosen := layers[len(layers)-n:]
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := *m
	c.consts = maps.Clone(m.consts)
	c.constArrays = maps.Clone(m.constArrays)
	changed := map[string]bool{}
	for _, s := range m.steps {
		if !slices.Contains(chosen, s.name) || !m.isWeighted(s) {
			continue
		}
		for _, in := range s.inputs {
			t := m.consts[in]
			if in == "" || changed[in] || t == nil || t.DType != tensor.Float32 {
				continue
			}
			r := randomLike(t, rng)
			c.consts[in] = r
			c.constArrays[tensor.ArrayID(r)] = true
			changed[in] = true
		}
	}
	c.steps = make([]*step, len(m.steps))
	for i, s := range m.steps {
		c.steps[i] = s
		if !slices.ContainsFunc(s.inputs, func(in string) bool { return changed[in] }) {
			continue
		}
		consts := make([]*tensor.Tensor, len(s.inputs))
		for j, in := range s.inputs {
			if in != "" {
				consts[j] = c.consts[in]
			}
		}
		op, err := ops.Build(&ops.Node{OpType: s.opType, Opset: m.Opset, Attrs: s.attrs, Consts: consts, NumOutputs: len(s.outputs)})
		if err != nil {
			return nil, nil, fmt.Errorf("re-initialise node %q (%s): %w", s.name, s.opType, err)
		}
		cs := *s
		cs.op = op
		c.steps[i] = &cs
	}
	return &c, slices.Clone(chosen), nil
}

// randomLike draws a tensor of t's shape from the normal distribution of
// t's mean and standard deviation.
func randomLike(t *tensor.Tensor, rng *rand.Rand) *tensor.Tensor {
	var sum, sq float64
	for _, v := range t.F {
		sum += float64(v)
	}
	mean := sum / float64(len(t.F))
	for _, v := range t.F {
		d := float64(v) - mean
		sq += d * d
	}
	std := math.Sqrt(sq / float64(len(t.F)))
	r := tensor.New(t.Shape...)
	for i := range r.F {
		r.F[i] = float32(mean + std*rng.NormFloat64())
	}
	return r
}
