package kernels

// epilogue applies a convolution's SiLU (ActSiLU) to the output rows i0..i1
// and columns j0..j1 of a GEMM task that the micro-kernel has just finished
// (its last k block): a few kilobytes still in L1, instead of a pass over the
// whole output after it.
func (t *gemmTask) epilogue(i0, i1, j0, j1 int) {
	i1, j1 = min(i1, t.m), min(j1, t.n)
	if j0 >= j1 {
		return
	}
	for r := i0; r < i1; r++ {
		row := t.out[r*t.ldc+j0 : r*t.ldc+j1]
		SiLU(row, row)
	}
}
