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

// forRows calls row(r, off) for each row r of an output of rows*last
// values whose row index runs over shape (row-major, rows in all), with
// off the source offset of row r: base plus each index times its stride.
// Rows are split over the cores when there are many values.
func forRows(rows, last int, shape, strides []int, base int, row func(r, off int)) {
	parallelFor(rows, last, func(r0, r1 int) {
		idx := make([]int, len(shape))
		off, q := base, r0
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = q % shape[d]
			q /= shape[d]
			off += idx[d] * strides[d]
		}
		for r := r0; r < r1; r++ {
			row(r, off)
			off = nextOffset(idx, shape, strides, off)
		}
	})
}
