package inference

import "camscope/inference/tensor"

// FLOPs is the number of floating-point operations of one run, counting a
// multiply-add as two, over the layers that dominate a CNN (Conv, Gemm,
// MatMul); the rest is memory-bound and small.
func (m *Model) FLOPs() int64 {
	var total int64
	for _, s := range m.steps {
		total += m.stepFLOPs(s)
	}
	return total
}

// stepFLOPs is step s's part of FLOPs: 0 for the operators it leaves out.
func (m *Model) stepFLOPs(s *step) int64 {
	switch s.opType {
	case "Conv":
		w, out := m.shapes[s.inputs[1]], m.shapes[s.outputs[0]]
		if len(w) < 3 || len(out) < 3 {
			return 0
		}
		// Each output value sums C/group x kernel products.
		return 2 * int64(tensor.Size(out)) * int64(tensor.Size(w[1:]))
	case "Gemm", "MatMul":
		a, out := m.shapes[s.inputs[0]], m.shapes[s.outputs[0]]
		if len(a) == 0 {
			return 0
		}
		k := a[len(a)-1]
		if s.opType == "Gemm" {
			if ta, _ := s.attrs.Int("transA", 0); ta != 0 {
				k = a[0]
			}
		}
		return 2 * int64(tensor.Size(out)) * int64(k)
	}
	return 0
}
