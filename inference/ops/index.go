package ops

// nextIndex advances idx, a row-major multi-index into shape, by one
// element, the last dimension fastest; past the last element it wraps to
// all zeros.
func nextIndex(idx, shape []int) {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}

// nextOffset advances idx like nextIndex and returns off moved with it: by
// strides[d] for each step along dimension d, back to where the dimension
// started when it wraps.
func nextOffset(idx, shape, strides []int, off int) int {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		off += strides[d]
		if idx[d] < shape[d] {
			return off
		}
		off -= strides[d] * shape[d]
		idx[d] = 0
	}
	return off
}
