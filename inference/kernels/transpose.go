package kernels

// Transpose writes the transpose of src (rows x cols, lds values a row)
// to dst (cols x rows, ldd values a row): dst[c*ldd+r] = src[r*lds+c].
// Values are moved, not computed: every bit is kept.
func Transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transpose(active.kind, dst, ldd, src, lds, rows, cols)
}

// transposeGo is the portable transpose.
func transposeGo(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for c := range cols {
		row := dst[c*ldd : c*ldd+rows]
		for r := range row {
			row[r] = src[r*lds+c]
		}
	}
}
