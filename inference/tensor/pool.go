package tensor

import (
	"sync"
	"unsafe"
)

// A run of a model allocates every activation afresh, and the same sizes
// again on the next run. Arrays the engine hands back with Recycle are kept
// here, by length, and New reuses them: that spares the garbage collector
// tens of megabytes per run (MobileNet-sized networks spend about a tenth
// of their time collecting and clearing fresh memory otherwise).
const (
	minPooled      = 1 << 12   // smaller arrays are cheap to allocate
	maxPooledBytes = 512 << 20 // beyond this, recycled arrays are dropped
	maxPerSize     = 8
)

var pool struct {
	sync.Mutex
	free  map[int][][]float32
	bytes int
}

// takeFloat32 returns a zeroed array of n values, reused when one is free.
func takeFloat32(n int) []float32 {
	if n >= minPooled {
		pool.Lock()
		list := pool.free[n]
		if k := len(list); k > 0 {
			b := list[k-1]
			pool.free[n] = list[:k-1]
			pool.bytes -= 4 * n
			pool.Unlock()
			clear(b)
			return b
		}
		pool.Unlock()
	}
	return make([]float32, n)
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
