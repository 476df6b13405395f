//go:build !purego

package ops

// maxInto and addInto are four-wide SSE loops (part of the amd64
// baseline, so no feature check is needed); see rows_amd64.s.

//go:noescape
func maxInto(dst, src []float32)

//go:noescape
func addInto(dst, src []float32)
