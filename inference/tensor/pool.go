package tensor

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"camscope/inference/internal/core"
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
	maxPerSize     = 8         // arrays of one length a home keeps
)

// pool keeps the recycled arrays by home (internal/core: the P, and so the
// core, that recycled an array, which wrote or read it last) and by
// length: New takes one of its own P's first, so that a batch's passes,
// which run side by side on the cores, each get back arrays whose cache
// lines their own core holds (MobileNetV2 at batch 16 on two cores of a
// Zen 5: see BENCHMARKS.md). bytes is what every home keeps together.
var pool struct {
	bytes atomic.Int64
	homes []home
}

type home struct {
	sync.Mutex
	free map[int][][]float32
	_    [64]byte // each home's lock on cache lines of its own
}

func init() { pool.homes = make([]home, core.Homes) }

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

// reuse returns a recycled array of exactly n values, or nil: the calling
// P's own if it has one, else another's.
func reuse(n int) []float32 {
	if n < minPooled {
		return nil
	}
	return reuseFrom(core.Home(), n)
}

// reuseFrom is reuse from home h first.
func reuseFrom(h, n int) []float32 {
	for i := range pool.homes {
		if b := pool.homes[(h+i)%len(pool.homes)].take(n); b != nil {
			return b
		}
	}
	return nil
}

// take returns one of h's arrays of n values, or nil.
func (h *home) take(n int) []float32 {
	h.Lock()
	defer h.Unlock()
	list := h.free[n]
	k := len(list)
	if k == 0 {
		return nil
	}
	b := list[k-1]
	h.free[n] = list[:k-1]
	pool.bytes.Add(-4 * int64(n))
	return b
}

// Recycle hands the array of a float32 tensor back for reuse by New, in
// the calling P's home. The caller promises that nothing refers to t's
// data any more; views that do not span their whole array are ignored.
func Recycle(t *Tensor) {
	if n := len(t.F); n >= minPooled && cap(t.F) == n {
		pool.homes[core.Home()].keep(t.F)
	}
}

// keep adds b to h's arrays, unless the pool is full.
func (h *home) keep(b []float32) {
	n := len(b)
	h.Lock()
	defer h.Unlock()
	if len(h.free[n]) >= maxPerSize {
		return
	}
	// Counted before the check, so that homes keeping arrays at the same
	// time cannot pass the bound together.
	if pool.bytes.Add(4*int64(n)) > maxPooledBytes {
		pool.bytes.Add(-4 * int64(n))
		return
	}
	if h.free == nil {
		h.free = map[int][][]float32{}
	}
	h.free[n] = append(h.free[n], b)
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
