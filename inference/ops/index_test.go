package ops

import (
	"slices"
	"testing"
)

// TestNextIndexAndOffset walks a 2x3x4 index space and checks every step
// against the index and offset computed from scratch.
func TestNextIndexAndOffset(t *testing.T) {
	shape, strides := []int{2, 3, 4}, []int{100, 10, 1}
	idx, off := make([]int, 3), 0
	for k := 0; k < 2*3*4; k++ {
		want := []int{k / 12, k / 4 % 3, k % 4}
		if !slices.Equal(idx, want) || off != 100*want[0]+10*want[1]+want[2] {
			t.Fatalf("step %d: index %v offset %d, want %v and %d", k, idx, off, want, 100*want[0]+10*want[1]+want[2])
		}
		plain := slices.Clone(idx)
		nextIndex(plain, shape)
		off = nextOffset(idx, shape, strides, off)
		if !slices.Equal(plain, idx) {
			t.Fatalf("step %d: nextIndex gives %v, nextOffset %v", k, plain, idx)
		}
	}
	if !slices.Equal(idx, []int{0, 0, 0}) || off != 0 {
		t.Errorf("past the end: index %v offset %d, want wrapped to zero", idx, off)
	}
}
