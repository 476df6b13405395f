package ops

// maxRow sets dst[i] = max(dst[i], src[i]) and addRow dst[i] += src[i],
// for every i of dst: the vector loops of pooling.
func maxRow(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1] // the assembly relies on this bound
	maxInto(dst, src)
}

func addRow(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1]
	addInto(dst, src)
}
