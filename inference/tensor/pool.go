package tensor

import (
	"sync"
	"unsafe"
)

// A run of a model allocates every activation afresh, and the same sizes
// again on the next run. Arrays the engine hands back with Recycle are kept
// here, by length, and New reuses them: that spares the garbage collector
// tens of megabytes per run (MobileNet-sized networks spend about a tenth
// of their time collecting and clearing fresh memory otherwise). Small
// arrays are kept too: allocated afresh, EfficientNet-B0's squeeze-and-
// excitation vectors (480 to 1152 values) kept landing on fresh pages, and
// their 40-odd page faults a run cost it 10% on two cores.
const (
	minPooled      = 1 << 4    // smaller arrays are cheap to allocate
	maxPooledBytes = 512 << 20 // beyond this, recycled arrays are dropped
	maxPerSize     = 8
)

var pool struct {
	sync.Mutex
	free  map[int][][]float32
	bytes int
}

// NewUninit returns a float32 tensor whose values are unspecified (a
// recycled array is not cleared): for operators that write every element of
// their output, such as convolutions.
func NewUninit(shape ...int) *Tensor {
	n := checkedSize(shape)
	if b := reuse(n); b != nil {
		return &Tensor{Shape: append([]int(nil), shape...), F: b}
	}
	return &Tensor{Shape: append([]int(nil), shape...), F: make([]float32, n)}
}

// takeFloat32 returns a zeroed array of n values, reused when one is free.
func takeFloat32(n int) []float32 {
	if b := reuse(n); b != nil {
		clear(b)
		return b
	}
	return make([]float32, n)
}

// reuse returns a recycled array of exactly n values, or nil.
func reuse(n int) []float32 {
	if n < minPooled {
		return nil
	}
	pool.Lock()
	defer pool.Unlock()
	list := pool.free[n]
	k := len(list)
	if k == 0 {
		return nil
	}
	b := list[k-1]
	pool.free[n] = list[:k-1]
	pool.bytes -= 4 * n
	return b
}

// Recycle hands the array of a float32 tensor back for reuse by New. The
// caller promises that nothing refers to t's data any more; views that do
// not span their whole array are ignored.
func Recycle(t *Tensor) {
	n := len(t.F)
	if n < minPooled || cap(t.F) != n {
		return
	}
	pool.Lock()
	defer pool.Unlock()
	if pool.bytes+4*n > maxPooledBytes || len(pool.free[n]) >= maxPerSize {
		return
	}
	if pool.free == nil {
		pool.free = map[int][][]float32{}
	}
	pool.free[n] = append(pool.free[n], t.F)
	pool.bytes += 4 * n
}

// ArrayID identifies the array behind a tensor's data: two tensors whose
// data overlap (a reshape shares its input's data) have the same ID. 0 for
// tensors without float data.
func ArrayID(t *Tensor) uintptr {
	if t == nil || cap(t.F) == 0 {
		return 0
	}
	full := t.F[:cap(t.F)]
	return uintptr(unsafe.Pointer(&full[cap(full)-1]))
}
