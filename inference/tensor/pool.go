package tensor

import (
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"

	"camscope/inference/internal/core"
)

// A run of a model allocates every activation afresh, and the same sizes
// again on the next run. Arrays the engine hands back with Recycle are kept
// here, by length, and New reuses them: that spares the garbage collector
// tens of megabytes per run (MobileNet-sized networks spend about a tenth
// of their time collecting and clearing fresh memory otherwise). Small
// arrays are kept too: allocated afresh, EfficientNet-B0's squeeze-and-
// excitation vectors (480 to 1152 values) kept landing on fresh pages, and
// their 40-odd page faults a run cost it 10% on two cores. A tensor with no
// array of its length free borrows the start of a longer one (lend).
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

// reuse returns a recycled array of n values, or nil: the calling P's own
// if it has one, else another's, else the start of a longer one (lend).
func reuse(n int) []float32 {
	if n < minPooled {
		return nil
	}
	return reuseFrom(core.Home(), n)
}

// reuseFrom is reuse from home h first. With no array of n values free,
// it lends the first n values of the shortest of h's arrays of up to
// maxLend times n values (see lend).
func reuseFrom(h, n int) []float32 {
	for i := range pool.homes {
		if b := pool.homes[(h+i)%len(pool.homes)].take(n); b != nil {
			return b
		}
	}
	return pool.homes[h].lend(n)
}

// maxLend bounds the arrays lend cuts a shorter one from: at most maxLend
// times its length.
const maxLend = 4

// lent records the arrays that lend cut shorter, by the address of their
// first value, so that Recycle hands back the whole array. The record
// holds the array weakly: an array lent to a tensor that is never
// recycled (a run's output) is collected as usual, and its record, which
// then finds nothing there, cannot mistake a later array at that address
// for it.
var lent struct {
	sync.Mutex
	m     map[uintptr]lentArray
	purge int // records at which lend next drops those of collected arrays
}

type lentArray struct {
	first weak.Pointer[float32]
	n     int // the whole array's length
}

// lend returns the first n values of the shortest of h's arrays longer
// than n and at most maxLend*n long, as an array of n values (length and
// capacity n), or nil. Without it, a run keeps an array of each length it
// ever asks for: MobileNetV2's activations take 18.4 MB of arrays, against
// 13.1 MB when shorter tensors borrow longer arrays. Fewer arrays mean
// fewer cache lines a run touches, and the weights streamed from memory on
// each run stay in the L3 cache more.
func (h *home) lend(n int) []float32 {
	h.Lock()
	best := 0
	for l, list := range h.free {
		if l > n && l <= maxLend*n && len(list) > 0 && (best == 0 || l < best) {
			best = l
		}
	}
	if best == 0 {
		h.Unlock()
		return nil
	}
	list := h.free[best]
	b := list[len(list)-1]
	h.free[best] = list[:len(list)-1]
	h.Unlock()
	pool.bytes.Add(-4 * int64(best))
	lent.Lock()
	defer lent.Unlock()
	if lent.m == nil {
		lent.m = map[uintptr]lentArray{}
	}
	if len(lent.m) >= max(lent.purge, maxLentRecords) {
		// Forget the arrays that were collected. The next purge waits
		// until the records that are left have doubled, so that many lent
		// arrays a caller keeps alive cost a pass over them now and then,
		// not at every lend.
		for k, r := range lent.m {
			if r.first.Value() == nil {
				delete(lent.m, k)
			}
		}
		lent.purge = 2 * len(lent.m)
	}
	lent.m[uintptr(unsafe.Pointer(&b[0]))] = lentArray{weak.Make(&b[0]), best}
	return b[:n:n]
}

// maxLentRecords is how many records of lent arrays lend keeps before it
// first drops those of arrays that are gone.
const maxLentRecords = 1024

// whole returns the array that lend cut b from, or b.
func whole(b []float32) []float32 {
	first := &b[0]
	lent.Lock()
	defer lent.Unlock()
	key := uintptr(unsafe.Pointer(first))
	r, ok := lent.m[key]
	if !ok {
		return b
	}
	delete(lent.m, key)
	if r.first.Value() != first || r.n < len(b) {
		return b
	}
	return unsafe.Slice(first, r.n)
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
		pool.homes[core.Home()].keep(whole(t.F))
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
