//go:build amd64 && !purego

package kernels

// MaxPool2D's kernel in AVX-512 (maxpool_amd64.s).

//go:noescape
func maxPool512(dst, src *float32, planes, h, w, oh, ow, kh, sh, padT int, chunks *poolChunk, nchunks, kind int) (nan int)

//go:noescape
func maxPoolFlat512(dst, src *float32, planes, hw, w int, masks *uint16, nvec int) (nan int)

var hasMaxPool = hasAVX512

// maxPoolRun runs the kernel, and reports whether a window may hold a NaN
// (see maxpool_amd64.s).
func maxPoolRun(p *MaxPool2D, dst, src *float32, planes int) bool {
	if p.kind == poolFlat3 {
		return maxPoolFlat512(dst, src, planes, p.h*p.w, p.w, &p.flat[0], len(p.flat)/8) != 0
	}
	return maxPool512(dst, src, planes, p.h, p.w, p.oh, p.ow, p.kh, p.sh, p.padT, &p.chunks[0], len(p.chunks), p.kind) != 0
}
