package kernels

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelFor checks that every index is visited exactly once: by one
// caller (the team's path), by many at once (the others start goroutines),
// and after the team has gone to sleep.
func TestParallelFor(t *testing.T) {
	check := func(n, w int) {
		counts := make([]atomic.Int32, n)
		parallelFor(n, w, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				counts[i].Add(1)
			}
		})
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("n=%d w=%d: index %d visited %d times", n, w, i, c)
			}
		}
	}
	for _, n := range []int{1, 2, 3, 7, 100, 1001} {
		for _, w := range []int{1, 2, 3, 8} {
			check(n, w)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				check(97, 2)
			}
		}()
	}
	wg.Wait()
	time.Sleep(3 * teamSpin)
	check(1000, 2)
}

// TestJobEnds: a job's caller takes chunks from the front and the team
// from the back, each chunk once, meeting wherever they do.
func TestJobEnds(t *testing.T) {
	var got []string
	var j *job
	j = newJob(func(i0, i1 int) {
		if len(got) == 0 {
			got = append(got, fmt.Sprintf("back %d-%d", i0, i1))
			j.work(true) // the front takes all that is left meanwhile
			return
		}
		got = append(got, fmt.Sprintf("front %d-%d", i0, i1))
	}, 8, 4)
	j.work(false)
	want := []string{"back 6-8", "front 0-2", "front 2-4", "front 4-6"}
	if !slices.Equal(got, want) {
		t.Errorf("chunks taken %q, want %q", got, want)
	}
	if d := j.done.Load(); d != 4 {
		t.Errorf("%d chunks done, want 4", d)
	}
}

// TestShareCores: while k goroutines share the cores, a parallel loop
// takes its share of them, and all of them again after.
func TestShareCores(t *testing.T) {
	all := runtime.GOMAXPROCS(0)
	done := ShareCores(2)
	if got, want := Procs(), max(1, all/2); got != want {
		t.Errorf("two sharing %d cores: Procs() = %d, want %d", all, got, want)
	}
	if got := workersFor(1 << 40); got != max(1, all/2) {
		t.Errorf("two sharing %d cores: a large job takes %d workers, want %d", all, got, max(1, all/2))
	}
	done()
	if got := Procs(); got != all {
		t.Errorf("after sharing: Procs() = %d, want %d", got, all)
	}
}

// A scratch buffer goes back to the home (P) that handed it back first,
// and to any other when its own has none of its size.
func TestScratchServesItsHomeFirst(t *testing.T) {
	if len(scratch) < 2 {
		t.Skip("one home")
	}
	const n, class = 3000, 12 // 2049 to 4096 values
	for h := range scratch {
		s := &scratch[h][class]
		s.Lock()
		saved := s.free
		s.free = nil
		s.Unlock()
		defer func() { s.Lock(); s.free = saved; s.Unlock() }()
	}
	a, b := make([]float32, n, 1<<class), make([]float32, n, 1<<class)
	scratch[0].put(&a)
	scratch[1].put(&b)
	if got := scratchFrom(1, 2500); &(*got)[0] != &b[0] || len(*got) != 2500 {
		t.Error("home 1 did not get back its own buffer, cut to the length asked")
	}
	if got := scratchFrom(1, n); &(*got)[0] != &a[0] {
		t.Error("home 1 did not get home 0's buffer when it had none")
	}
}

// TestBeside: both functions run, each once; on two cores or more, first
// runs on another goroutine at the same time as then, with loops of one
// worker, while then's loops take every core; a panic in first comes back
// on the caller, and the team works as before after it.
func TestBeside(t *testing.T) {
	procs := Procs()
	for range 100 {
		var firstProcs, thenProcs, firstRuns, thenRuns int
		started := make(chan struct{})
		Beside(func() {
			firstRuns++
			firstProcs = Procs()
			if procs > 1 {
				<-started // then runs meanwhile
			}
		}, func() {
			thenRuns++
			thenProcs = Procs()
			if procs > 1 {
				close(started)
			}
		})
		if firstRuns != 1 || thenRuns != 1 {
			t.Fatalf("first ran %d times, then %d", firstRuns, thenRuns)
		}
		if firstProcs != 1 || thenProcs != procs {
			t.Fatalf("first's loops take %d workers, then's %d, want 1 and %d", firstProcs, thenProcs, procs)
		}
	}
	func() {
		defer func() {
			if r := recover(); r != "first" {
				t.Errorf("recovered %v, want first's panic", r)
			}
		}()
		Beside(func() { panic("first") }, func() {})
		t.Error("Beside returned after first panicked")
	}()
	if Procs() != procs {
		t.Errorf("after the panic, Procs() = %d, want %d", Procs(), procs)
	}
	var n atomic.Int32
	parallelFor(100, 2, func(i0, i1 int) { n.Add(int32(i1 - i0)) })
	if n.Load() != 100 {
		t.Errorf("after the panic, a parallel loop did %d of 100", n.Load())
	}
}
