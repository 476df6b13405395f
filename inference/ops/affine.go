package ops

// scaleClamp sets dst[i] = min(max(src[i]*m + a, lo), hi) for every i of
// dst: the shared loop of BatchNormalization (with a fused Relu or Clip),
// Relu and Clip. A NaN stays NaN.
func scaleClamp(dst, src []float32, m, a, lo, hi float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1] // the assembly relies on this bound
	affineClamp(dst, src, m, a, lo, hi)
}
