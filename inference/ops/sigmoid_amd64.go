//go:build !purego

package ops

// sigmoid4 is sigmoidSlice four lanes at a time, in SSE (the amd64
// baseline); it handles len(dst) rounded down to a multiple of four and
// relies on src being at least as long. See sigmoid_amd64.s.
//
//go:noescape
func sigmoid4(dst, src []float32)

// sigmoidVector computes a prefix of dst with vector instructions and
// returns its length.
func sigmoidVector(dst, src []float32) int {
	_ = src[:len(dst)]
	sigmoid4(dst, src)
	return len(dst) &^ 3
}
