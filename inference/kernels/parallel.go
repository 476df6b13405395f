package kernels

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"camscope/inference/internal/core"
)

// minFlopsPerWorker is the work below which another goroutine costs more
// (start, wake-up, its own B packing) than it saves: about 20 µs of one core.
const minFlopsPerWorker = 2_000_000

// workersFor returns how many goroutines a job of the given size should use.
func workersFor(flops int) int {
	return max(1, min(Procs(), flops/minFlopsPerWorker))
}

// Procs is how many goroutines a parallel loop may use now:
// runtime.GOMAXPROCS(0), shared among the goroutines that ShareCores
// announced.
func Procs() int {
	if solo[core.Home()].Load() {
		return 1
	}
	procs := runtime.GOMAXPROCS(0)
	if s := int(sharers.Load()); s > 1 {
		procs = max(1, procs/s)
	}
	return procs
}

// sharers is how many goroutines have said (ShareCores) that they run
// kernels at the same time.
var sharers atomic.Int32

// ShareCores says that k goroutines are about to run kernels at the same
// time (the passes of a batch), until the returned function is called:
// meanwhile each parallel loop takes its share of the cores, so that the
// k goroutines, rather than k teams of them, keep the cores busy, each core
// working on data it wrote itself.
func ShareCores(k int) (done func()) {
	sharers.Add(int32(k))
	return func() { sharers.Add(-int32(k)) }
}

// Beside runs first and then on two cores at once, when the team is free:
// first on a team goroutine, alone (its loops take one worker), and then
// on the calling goroutine, whose loops the team goroutine joins once
// first is done. So a small step beside a larger one that reads the same
// input (a Fire module's expand1x1 beside its expand3x3) keeps one core
// busy while the other starts the larger, instead of each being split over
// both cores, which costs more than it saves for the small one. Give the
// smaller as first, so that the caller does not wait for it after then.
// Each computes what it computes alone: a kernel's results do not depend
// on how many workers share it (as the batch tests, whose passes share
// the cores, and inference's TestBeside check). When the team is busy or
// there is one core, first and then run one after the other on the
// caller. A panic in first comes back on the caller, after then.
func Beside(first, then func()) { beside(first, then, false) }

// Apart is Beside with then's loops on one worker too: two computations
// that each keep to their own data, one a core.
func Apart(first, then func()) { beside(first, then, true) }

// beside is Beside, with then alone on the caller if alone.
func beside(first, then func(), alone bool) {
	if Procs() < 2 || !team.busy.CompareAndSwap(false, true) {
		first()
		then()
		return
	}
	team.start()
	var failed any
	side := newJob(func(int, int) {
		h := core.Home()
		solo[h].Store(true)
		defer func() {
			solo[h].Store(false)
			failed = recover()
		}()
		first()
	}, 1, 1)
	team.publish(side)
	team.busy.Store(false) // then's loops take the team again
	if alone {
		h := core.Home()
		solo[h].Store(true)
		func() {
			defer solo[h].Store(false)
			then()
		}()
	} else {
		then()
	}
	side.work(true) // unless a team goroutine has taken it
	side.wait()
	if failed != nil {
		panic(failed)
	}
}

// solo marks the Ps whose goroutine runs Beside's first, whose loops
// take one worker (Procs). A goroutine moved to another P meanwhile (rare:
// the kernels do not block) runs its loops with more workers, or leaves
// the other's with fewer, for a while: slower, never different.
var solo = make([]atomic.Bool, core.Homes)

// chunksPerWorker is how many pieces parallelFor cuts the work into per
// goroutine: goroutines that finish early (or got more of a shared, busy CPU)
// take the pieces others have not started. 4 rather than 2: while the
// machine was slow for everyone (another guest on the cores: a core's own
// writes at 65 instead of 100 GB/s, every model 10-30% slower), 13 models
// took 0.94x and 0.97x the time (geometric means, builds alternated),
// and at its usual pace 1.00x (2026-12-07, Zen 5, BENCHMARKS.md).
const chunksPerWorker = 4

// parallelFor calls fn(i0, i1) for consecutive parts of [0, n) that cover
// it, on w goroutines including the calling one. The other goroutines are
// the team's, which stay awake for a while between calls, so that a network
// of many small layers does not pay a goroutine start and a wake-up per
// layer; when the team is busy (another run at the same time) they are
// started afresh.
func parallelFor(n, w int, fn func(i0, i1 int)) {
	w = max(1, min(w, n))
	parallelParts(n, w, min(n, w*chunksPerWorker), fn)
}

// parallelParts is parallelFor cutting [0, n) into parts parts (at least
// w, at most n).
func parallelParts(n, w, parts int, fn func(i0, i1 int)) {
	if w == 1 {
		fn(0, n)
		return
	}
	j := newJob(fn, n, parts)
	if team.busy.CompareAndSwap(false, true) {
		defer team.busy.Store(false) // also should fn panic
		team.start()
		team.publish(j)
		j.work(true)
		j.wait()
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for i := 0; i < w-1; i++ {
		go func() {
			defer wg.Done()
			j.work(false)
		}()
	}
	j.work(true)
	wg.Wait()
}

// ParallelFor is parallelFor, for the operators' own loops.
func ParallelFor(n, w int, fn func(i0, i1 int)) { parallelFor(n, w, fn) }

// job is one parallelFor call: the caller takes its chunks from the
// front, the other goroutines from the back, so that (until they meet)
// each writes the same part of its output layer after layer.
type job struct {
	fn        func(i0, i1 int)
	n, chunks int
	span      atomic.Int64 // chunks not yet taken: the front in the low 32 bits, the end in the high
	done      atomic.Int64 // chunks finished
}

// newJob returns the job of calling fn over [0, n) in chunks parts.
func newJob(fn func(i0, i1 int), n, chunks int) *job {
	j := &job{fn: fn, n: n, chunks: chunks}
	j.span.Store(int64(chunks) << 32)
	return j
}

// work runs chunks of j, from the front or from the back, until none is
// left.
func (j *job) work(front bool) {
	for {
		s := j.span.Load()
		lo, hi := s&(1<<32-1), s>>32
		if lo >= hi {
			return
		}
		c, next := lo, s+1
		if !front {
			c, next = hi-1, s-1<<32
		}
		if !j.span.CompareAndSwap(s, next) {
			continue
		}
		j.fn(j.n*int(c)/j.chunks, j.n*(int(c)+1)/j.chunks)
		j.done.Add(1)
	}
}

// wait returns when every chunk of j has finished. The chunks it waits
// for are running, so it looks again and again, and lets the scheduler
// run something else only now and then (spinChecks): a goroutine locked to
// its thread, like a GUI toolkit's main goroutine, cannot yield without
// handing its processor to another thread through the kernel, and
// yielding at every look cost such a caller about 10 µs a loop.
func (j *job) wait() {
	for i := 1; j.done.Load() < int64(j.chunks); i++ {
		if i%spinChecks == 0 {
			runtime.Gosched()
		}
	}
}

// spinChecks is how many times a waiting goroutine looks at an atomic
// between two yields (a few microseconds).
const spinChecks = 4096

// teamSpin is how long a team goroutine keeps looking for the next job
// before it sleeps: longer than the gap between two layers of a network.
const teamSpin = 200 * time.Microsecond

// helpers are runtime.GOMAXPROCS(0)-1 goroutines (as many as at first
// use) that help the one parallelFor call that holds busy.
type helpers struct {
	busy     atomic.Bool
	once     sync.Once
	gen      atomic.Uint64       // bumped for every published job
	job      atomic.Pointer[job] // the latest
	sleeping atomic.Int32
	wake     chan struct{}
}

// team is the process's helpers.
var team helpers

func (t *helpers) start() {
	t.once.Do(func() {
		n := max(1, runtime.GOMAXPROCS(0)-1)
		t.wake = make(chan struct{}, n)
		for range n {
			go t.help()
		}
	})
}

// publish hands j to the team, waking sleepers.
func (t *helpers) publish(j *job) {
	t.job.Store(j)
	t.gen.Add(1)
	for range t.sleeping.Load() {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// help is a team goroutine: it works on each job published, spinning (and
// yielding) for teamSpin after each before it sleeps until the next.
func (t *helpers) help() {
	var seen uint64
	for {
		deadline := time.Now().Add(teamSpin)
		for t.gen.Load() == seen {
			if time.Now().Before(deadline) {
				runtime.Gosched()
				continue
			}
			// Announce the sleep before the last look, so that publish
			// either sees a sleeper to wake or this look sees its job.
			t.sleeping.Add(1)
			if t.gen.Load() == seen {
				<-t.wake
			}
			t.sleeping.Add(-1)
			deadline = time.Now().Add(teamSpin)
		}
		seen = t.gen.Load()
		t.job.Load().work(false)
	}
}

// scratch recycles float32 buffers between calls and goroutines, so that
// running a layer does not allocate and concurrent runs never share one.
// Buffers are kept by the P that handed them back (internal/core), which
// getScratch serves first, so that the passes of a batch running side by
// side on the cores each get buffers their own core used last; and by
// power-of-two capacity, so that a small request never takes (and a large
// one never drops) a buffer of the wrong size. Unlike a sync.Pool, the free
// lists survive garbage collections: a forward pass would otherwise
// reallocate megabytes of scratch after every collection.
var scratch = make([]scratchHome, core.Homes)

// scratchHome is one P's buffers, by size class.
type scratchHome [64]struct {
	sync.Mutex
	free []*[]float32
}

// maxFree bounds the buffers kept per size class and P (a few per
// goroutine that may run kernels at once).
const maxFree = 16

// getScratch returns a buffer of n values (contents undefined); hand it back
// with putScratch.
func getScratch(n int) *[]float32 {
	return scratchFrom(core.Home(), n)
}

// scratchFrom is getScratch from home h first, then from the others.
func scratchFrom(h, n int) *[]float32 {
	class := bits.Len(uint(max(n, 1) - 1))
	for i := range scratch {
		s := &scratch[(h+i)%len(scratch)][class]
		s.Lock()
		if k := len(s.free); k > 0 {
			p := s.free[k-1]
			s.free = s.free[:k-1]
			s.Unlock()
			*p = (*p)[:n]
			return p
		}
		s.Unlock()
	}
	b := make([]float32, n, 1<<class)
	return &b
}

func putScratch(p *[]float32) { scratch[core.Home()].put(p) }

// put keeps p in h, unless h has maxFree of its size.
func (h *scratchHome) put(p *[]float32) {
	s := &h[bits.Len(uint(cap(*p)-1))]
	s.Lock()
	if len(s.free) < maxFree {
		s.free = append(s.free, p)
	}
	s.Unlock()
}
