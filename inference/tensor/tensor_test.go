package tensor

import (
	"math"
	"testing"
)

func TestBroadcastShape(t *testing.T) {
	cases := map[string]struct {
		a, b, want []int
		ok         bool
	}{
		"same":       {[]int{2, 3}, []int{2, 3}, []int{2, 3}, true},
		"scalar":     {[]int{2, 3}, nil, []int{2, 3}, true},
		"channel":    {[]int{1, 8, 4, 4}, []int{8, 1, 1}, []int{1, 8, 4, 4}, true},
		"both grow":  {[]int{3, 1}, []int{1, 4}, []int{3, 4}, true},
		"mismatch":   {[]int{2, 3}, []int{4}, nil, false},
		"rank grows": {[]int{5}, []int{2, 1}, []int{2, 5}, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := BroadcastShape(c.a, c.b)
			if (err == nil) != c.ok || c.ok && !EqualShape(got, c.want) {
				t.Errorf("BroadcastShape(%v, %v) = %v, %v; want %v", c.a, c.b, got, err, c.want)
			}
		})
	}
}

func TestStrides(t *testing.T) {
	if got := Strides([]int{2, 3, 4}); !EqualShape(got, []int{12, 4, 1}) {
		t.Errorf("Strides = %v", got)
	}
}

func TestNewRefusesHugeShapes(t *testing.T) {
	for _, shape := range [][]int{{1 << 20, 1 << 20}, {4, -1}, {1 << 62, 1 << 62}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v) did not refuse", shape)
				}
			}()
			New(shape...)
		}()
	}
	if n := New(2, 0, 3).Len(); n != 0 {
		t.Errorf("empty tensor has %d elements", n)
	}
}

func TestNonzeroSpan(t *testing.T) {
	for _, c := range []struct {
		v      []float32
		lo, hi int
	}{
		{nil, 0, 0},
		{[]float32{0, 0, 0}, 0, 0},
		{[]float32{1}, 0, 1},
		{[]float32{0, 2, 0, 3, 0, 0}, 1, 4},
		{[]float32{4, 0, 0, 5}, 0, 4},
		{[]float32{0, 0, -1}, 2, 3},
	} {
		if lo, hi := NonzeroSpan(c.v); lo != c.lo || hi != c.hi {
			t.Errorf("NonzeroSpan(%v) = %d, %d; want %d, %d", c.v, lo, hi, c.lo, c.hi)
		}
	}
}

// TestNonzeroSpanLong: spans of long slices, whose zeros are skipped by
// words, at every offset from an 8-byte boundary and every position of the
// nonzero values, -0 counted as zero.
func TestNonzeroSpanLong(t *testing.T) {
	buf := make([]float32, 41)
	for start := range 2 {
		for first := start; first < len(buf); first++ {
			for last := first; last < len(buf); last += 3 {
				clear(buf)
				for i := range buf {
					if i < first || i > last {
						buf[i] = float32(math.Copysign(0, -1))
					}
				}
				buf[first], buf[last] = 1, -2
				if lo, hi := NonzeroSpan(buf[start:]); lo != first-start || hi != last-start+1 {
					t.Fatalf("offset %d, nonzero at %d and %d: NonzeroSpan = %d, %d", start, first, last, lo, hi)
				}
			}
		}
		clear(buf)
		if lo, hi := NonzeroSpan(buf[start:]); lo != 0 || hi != 0 {
			t.Errorf("offset %d, all zero: NonzeroSpan = %d, %d", start, lo, hi)
		}
	}
}
