//go:build linux

package kernels

import (
	"syscall"
	"testing"
	"unsafe"
)

// guardedFloats maps n float32 values between two inaccessible pages, flush
// against the page after them (atEnd) or the page before them; a read
// outside them faults. free unmaps them.
func guardedFloats(t *testing.T, n int, atEnd bool) (x []float32, free func()) {
	t.Helper()
	page := syscall.Getpagesize()
	body := (4*n + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, body+2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range [][]byte{mem[:page], mem[page+body:]} {
		if err := syscall.Mprotect(g, syscall.PROT_NONE); err != nil {
			t.Fatal(err)
		}
	}
	start := page
	if atEnd {
		start = page + body - 4*n
	}
	x = unsafe.Slice((*float32)(unsafe.Pointer(&mem[start])), n)
	return x, func() { _ = syscall.Munmap(mem) }
}

// TestDepthwiseDirectGuarded runs the direct path's assembly on inputs
// flush against an inaccessible page on either side: a load whose offset or
// mask lets it read outside the input (whose masked-off lanes read past it)
// faults, which the value tests cannot see (the FMAs drop those lanes).
func TestDepthwiseDirectGuarded(t *testing.T) {
	ks := availableKernels()
	k := ks[len(ks)-1]
	if k.kind != kindAVX512 {
		t.Skip("no AVX-512")
	}
	saved := active
	defer func() { active = saved }()
	active = k
	for name, p := range dwDirectCases() {
		src, w, bias := convInputs(p, true, uint64(p.KH*p.KW))
		oh, ow := p.OutSize()
		want := make([]float32, p.M*oh*ow)
		conv := NewConv(p, w, bias)
		conv.Run(want, src)
		for _, atEnd := range []bool{false, true} {
			g, free := guardedFloats(t, len(src), atEnd)
			copy(g, src)
			got := make([]float32, len(want))
			conv.Run(got, g)
			free()
			if err := sameAll(got, want); err != nil {
				t.Errorf("%s at end=%v: %v", name, atEnd, err)
			}
		}
	}
}
