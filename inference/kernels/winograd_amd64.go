//go:build amd64 && !purego

package kernels

import (
	"math"
	"slices"
)

//go:noescape
func wgInputAVX512(v *float32, vs, vrow int, x *float32, plane int, idx *int32, nch int, tmp *float32)

//go:noescape
func wgInput16AVX512(v *float32, vs, vrow int, x *float32, plane int, idx *int32, nch int, tmp *float32)

//go:noescape
func wgOutputAVX512(dst *float32, npix int, m *float32, ms, mrow int, idx *int32, masks *uint16, bias *float32, lo, hi float32, nk int, tmp *float32)

// wgVector reports whether the run's transforms can go through the
// AVX-512 loops: 16 columns at a time, offsets in int32 lanes.
func (r *wgRun) wgVector() bool {
	c := r.c
	return c.mk.kind == kindAVX512 && !c.silu && r.n*c.p.C*c.wg.hp*c.wg.wp < math.MaxInt32 && len(r.dst) < math.MaxInt32
}

// inputVector is input (see there) for AVX-512, chunk a multiple of 16:
// the columns past the last tile transform its patch again (the products
// of those columns are not used).
func (r *wgRun) inputVector(v []float32, chunk, t0, c0, c1 int, pt wgPatches) {
	wg := r.c.wg
	_ = v[35*wg.vs+(c1-1)*chunk+chunk-1]
	_ = pt.x[(c1-c0-1)*pt.stride+slices.Max(pt.off)+5*wg.wp+5]
	var idx [6 * 16]int32
	var tmp [wgPos * 16]float32
	if wg.tilesY == 4 && wg.tilesX == 4 {
		// Each 16 columns are one image's tiles (chunk and t0 are
		// multiples of 16), whose first tile's patch starts the image's
		// padded rows: its patches by permutes of those rows. Columns past
		// the last tile transform the last image again.
		img := 0
		for g := 0; g < chunk; g += 16 {
			if t0+g < r.tiles {
				img = pt.off[g]
			}
			wgInput16AVX512(&v[c0*chunk+g], wg.vs, chunk, &pt.x[img], pt.stride, &wgPerm16[0], c1-c0, &tmp[0])
		}
		return
	}
	for g := 0; g < chunk; g += 16 {
		for l := range 16 {
			for i := range 6 {
				idx[i*16+l] = int32(pt.off[g+l] + i*wg.wp)
			}
		}
		wgInputAVX512(&v[c0*chunk+g], wg.vs, chunk, &pt.x[0], pt.stride, &idx[0], c1-c0, &tmp[0])
	}
}

// wgPerm16 holds wgInput16AVX512's permutations: for column j of the
// patches, lane 4*ty+tx takes value 4*tx+j of a padded row (j < 4) or
// value 4*tx+j-2 of the row from its third value on (j >= 4).
var wgPerm16 = func() (idx [6 * 16]int32) {
	for j := range 6 {
		for l := range 16 {
			idx[j*16+l] = int32(4*(l%4) + j - 2*(j/4))
		}
	}
	return idx
}()

// outputVector is output (see there) for AVX-512, chunk a multiple of 16.
func (r *wgRun) outputVector(m []float32, chunk, t0, m0, m1 int) {
	c, wg := r.c, r.c.wg
	npix := c.oh * c.ow
	_ = m[35*wg.ms+(m1-1)*chunk+chunk-1]
	lo, hi := -float32Inf, float32Inf
	if c.clamp {
		lo, hi = c.lo, c.hi
	}
	var idx [4 * 16]int32
	var masks [4 * 16]uint16
	var tmp [wgPos * 16]float32
	for g := 0; g < chunk && t0+g < r.tiles; g += 16 {
		for l := range 16 {
			t := t0 + g + l
			if t >= r.tiles {
				for i := range 4 {
					idx[i*16+l], masks[i*16+l] = 0, 0
				}
				continue
			}
			img, ty, tx := wg.tile(t)
			o := img*c.p.M*npix + 4*ty*c.ow + 4*tx
			rows, cols := min(4, c.oh-4*ty), min(4, c.ow-4*tx)
			for i := range 4 {
				idx[i*16+l], masks[i*16+l] = int32(o+i*c.ow), 0
				if i < rows {
					masks[i*16+l] = 1<<cols - 1
				}
			}
		}
		wgOutputAVX512(&r.dst[m0*npix], npix, &m[m0*chunk+g], wg.ms, chunk, &idx[0], &masks[0], &wg.bias[m0], lo, hi, m1-m0, &tmp[0])
	}
}
