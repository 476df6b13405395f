package kernels

// Sum returns the sum of v, with four accumulators, which is faster than
// one dependent chain and a little more accurate.
func Sum(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Mean returns the mean of v (NaN if v is empty): global average pooling of
// one plane, for the GlobalAveragePool operator and the trainer's own
// forward pass alike. The sum is a vector dot product with ones, a piece
// of meanPiece values at a time: Sum's four scalar chains took 0.5-0.8 ms
// of EfficientNet-B0's squeeze-excitation pooling on one Zen 5 core.
func Mean(v []float32) float32 {
	var s float32
	for i := 0; i < len(v); i += meanPiece {
		p := v[i:min(len(v), i+meanPiece)]
		s += dot(active.kind, p, ones[:len(p)])
	}
	return s / float32(len(v))
}

// meanPiece is the length of ones.
const meanPiece = 4096

// ones is the vector Mean takes dot products with.
var ones = func() []float32 {
	v := make([]float32, meanPiece)
	for i := range v {
		v[i] = 1
	}
	return v
}()
