package kernels

import "math"

// Flags of a micro-kernel call: what happens to the MR x NR product tile
// before it is stored.
const (
	// kAccumulate adds the tile to C instead of overwriting C.
	kAccumulate = 1 << iota
	// kBias adds bias[r] to row r of the tile.
	kBias
	// kClamp clamps the tile to [lo, hi] (the fused activation).
	kClamp
)

// maxTile bounds MR*NR over all micro-kernels (scratch tiles are this big).
const maxTile = 16 * 32

// kernelKind names a micro-kernel implementation.
type kernelKind uint8

const (
	kindGo kernelKind = iota
	kindAVX2
	kindAVX512
)

// microKernel is one implementation of the GEMM inner tile:
// C[MR x NR] (op)= Apanel(kc x MR)^T * Bpanel(kc x NR). A panels hold MR
// values per k step, B panels NR values per k step (see packA and the B
// packers), so the register-blocking shape decides the packed layouts.
type microKernel struct {
	kind   kernelKind
	mr, nr int
	name   string
	// aIn says the kernel can also read MR rows of a row-major A in place
	// (see gemm), with B packed or strided.
	aIn bool
}

// goKernel is the portable kernel: a 4x4 tile keeps its 16 accumulators in
// registers on every 64-bit architecture Go supports.
var goKernel = microKernel{kind: kindGo, mr: 4, nr: 4, name: "go"}

// active is the kernel new Gemm calls and new Convs use: the fastest one the
// CPU supports. Tests switch it to cover every available kernel.
var active = bestKernel()

func bestKernel() microKernel {
	ks := availableKernels()
	return ks[len(ks)-1]
}

// clampValues turns an activation into the [lo, hi] interval of kClamp, and
// reports whether clamping is needed at all.
func clampValues(a Activation) (lo, hi float32, ok bool) {
	switch a.Kind {
	case ActRelu:
		return 0, float32Inf, true
	case ActClip:
		return a.Min, a.Max, true
	}
	return 0, 0, false
}

var float32Inf = float32(math.Inf(1))

// negZero is -0, which added to a value changes nothing (+0 would turn a
// -0 into +0).
var negZero = float32(math.Copysign(0, -1))

// goMicro4x4 is goKernel's tile: C[4x4] (op)= A^T B over kc steps, B packed
// or in place (see microKernel.run).
func goMicro4x4(kc int, a, b []float32, ldb int, offs []int, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	if ldb == 0 {
		ldb = 4
	}
	a = a[:kc*4]
	for p := 0; p < kc; p++ {
		ap := a[p*4 : p*4+4 : p*4+4]
		o := p * ldb
		if offs != nil {
			o = offs[p]
		}
		bp := b[o : o+4 : o+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	storeRow4(c[0*ldc:], [4]float32{c00, c01, c02, c03}, 0, flags, bias, lo, hi)
	storeRow4(c[1*ldc:], [4]float32{c10, c11, c12, c13}, 1, flags, bias, lo, hi)
	storeRow4(c[2*ldc:], [4]float32{c20, c21, c22, c23}, 2, flags, bias, lo, hi)
	storeRow4(c[3*ldc:], [4]float32{c30, c31, c32, c33}, 3, flags, bias, lo, hi)
}

func storeRow4(c []float32, v [4]float32, r, flags int, bias []float32, lo, hi float32) {
	c = c[:4]
	for j := range v {
		x := v[j]
		if flags&kAccumulate != 0 {
			x += c[j]
		}
		if flags&kBias != 0 {
			x += bias[r]
		}
		if flags&kClamp != 0 {
			x = clamp(x, lo, hi)
		}
		c[j] = x
	}
}

func clamp(x, lo, hi float32) float32 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
