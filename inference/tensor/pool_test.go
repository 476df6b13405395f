package tensor

import "testing"

func TestRecycledArraysComeBackZeroed(t *testing.T) {
	a := New(minPooled)
	for i := range a.F {
		a.F[i] = 7
	}
	Recycle(a)
	b := New(minPooled)
	if ArrayID(b) != ArrayID(a) {
		t.Fatal("New did not reuse the recycled array")
	}
	for i, v := range b.F {
		if v != 0 {
			t.Fatalf("reused array not cleared: [%d] = %v", i, v)
		}
	}
}

func TestArrayIDAndViews(t *testing.T) {
	a := New(2, minPooled)
	if ArrayID(a.Reshaped([]int{2 * minPooled})) != ArrayID(a) {
		t.Error("a reshape has another array ID than its source")
	}
	half := &Tensor{Shape: []int{minPooled}, F: a.F[:minPooled]}
	if ArrayID(half) != ArrayID(a) {
		t.Error("a prefix view has another array ID than its source")
	}
	Recycle(half) // a view that does not span its array: ignored
	if b := New(minPooled); ArrayID(b) == ArrayID(a) {
		t.Error("New handed out part of an array that is still in use")
	}
	if ArrayID(New(2)) == ArrayID(New(2)) {
		t.Error("two arrays share an ID")
	}
}

func TestNewUninitReusesWithoutClearing(t *testing.T) {
	a := New(minPooled + 1)
	a.F[0] = 5
	Recycle(a)
	b := NewUninit(minPooled + 1)
	if ArrayID(b) != ArrayID(a) || b.F[0] != 5 {
		t.Errorf("NewUninit did not hand back the recycled array as it was")
	}
	if c := NewUninit(3, 5); len(c.F) != 15 {
		t.Errorf("NewUninit(3, 5) has %d values", len(c.F))
	}
}

func TestSmallArraysArePooled(t *testing.T) {
	a := New(1152) // a squeeze-and-excitation vector of EfficientNet-B0
	Recycle(a)
	if b := New(1152); ArrayID(b) != ArrayID(a) {
		t.Error("New did not reuse a recycled array of 1152 values")
	}
	c := New(minPooled - 1)
	Recycle(c)
	if d := New(minPooled - 1); ArrayID(d) == ArrayID(c) {
		t.Error("an array under minPooled values came back from the pool")
	}
}

// An array goes back to the home that recycled it first, and to any other
// when its own has none.
func TestPoolServesItsHomeFirst(t *testing.T) {
	if len(pool.homes) < 2 {
		t.Skip("one home")
	}
	n := minPooled + 3
	a, b := make([]float32, n), make([]float32, n)
	pool.homes[0].keep(a)
	pool.homes[1].keep(b)
	if got := reuseFrom(1, n); &got[0] != &b[0] {
		t.Error("home 1 did not get back its own array")
	}
	if got := reuseFrom(1, n); &got[0] != &a[0] {
		t.Error("home 1 did not get home 0's array when it had none")
	}
	if got := reuseFrom(0, n); got != nil {
		t.Error("an array came back twice")
	}
}
