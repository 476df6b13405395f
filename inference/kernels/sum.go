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
// forward pass alike.
func Mean(v []float32) float32 { return Sum(v) / float32(len(v)) }
