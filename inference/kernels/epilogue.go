package kernels

// epilogue applies a convolution's SiLU (ActSiLU), or GemmBias's Gelu, to
// the output rows i0..i1 and columns j0..j1 of a GEMM task that the
// micro-kernel has just finished (its last k block): a few kilobytes still
// in L1 (SiLU, and Gelu on shallow products; Gelu on deep ones takes whole
// rows of a row block, from L2), instead of a pass over the whole output
// after it.
func (t *gemmTask) epilogue(i0, i1, j0, j1 int) {
	i1, j1 = min(i1, t.m), min(j1, t.n)
	if j0 >= j1 {
		return
	}
	if t.col.gelu {
		for r := i0; r < i1; r++ {
			row := t.out[r*t.ldc+j0 : r*t.ldc+j1]
			Gelu(row, row)
		}
		return
	}
	for r := i0; r < i1; r++ {
		row := t.out[r*t.ldc+j0 : r*t.ldc+j1]
		SiLU(row, row)
	}
}
