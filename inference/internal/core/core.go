// Package core says which of the Go scheduler's processors (Ps) the calling
// goroutine runs on, so that the engine's pools of buffers (tensor arrays,
// kernel scratch) can hand a buffer back to the core that used it last: a
// P runs on one OS thread at a time, which the kernel keeps on one CPU
// while the cores are busy, and on the Zen 5 machines of issue 18 a core
// reads and writes the cache lines another core wrote last about 4 times
// slower than its own.
package core

import (
	"runtime"
	_ "unsafe" // go:linkname
)

// Homes is how many Ps the pools keep apart: runtime.GOMAXPROCS(0) or the
// number of CPUs at start, whichever is larger, up to maxHomes (further
// Ps share lists).
var Homes = min(max(runtime.NumCPU(), runtime.GOMAXPROCS(0), 1), maxHomes)

const maxHomes = 64

// Home is the pools' list for the P the calling goroutine runs on now, in
// [0, Homes). It costs a few nanoseconds (getcpu(2), the CPU itself, is a
// system call: about 1.2 µs in the VMs of issue 18, 3-5% of a MobileNetV2
// batch on one core).
func Home() int {
	p := procPin()
	procUnpin()
	return p % Homes
}

// procPin and procUnpin are the runtime's (sync.Pool's per-P lists use
// them); procPin returns the P's id.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()
