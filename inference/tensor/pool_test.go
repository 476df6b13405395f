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

// With no free array of its length, a tensor borrows the start of a longer
// one (at most maxLend times as long), and recycling it hands back the
// whole array.
func TestShorterTensorsBorrowLongerArrays(t *testing.T) {
	const n = 50021 // a length no other test keeps
	long := make([]float32, 3*n)
	pool.homes[0].keep(long)
	b := reuseFrom(0, n)
	if b == nil || &b[0] != &long[0] {
		t.Fatal("an array three times as long was not lent")
	}
	if len(b) != n || cap(b) != n {
		t.Fatalf("lent array of length %d and capacity %d, want %d", len(b), cap(b), n)
	}
	bytes := pool.bytes.Load()
	Recycle(&Tensor{Shape: []int{n}, F: b})
	if got := pool.bytes.Load() - bytes; got != 4*3*n {
		t.Errorf("recycling the lent array kept %d bytes, want the whole array's %d", got, 4*3*n)
	}
	if c := reuseFrom(0, 3*n); c == nil || &c[0] != &long[0] || len(c) != 3*n {
		t.Error("the whole array did not come back to the pool")
	}
	// Recycled again at its own length, it is an ordinary array.
	Recycle(&Tensor{Shape: []int{3 * n}, F: long})
	if c := reuseFrom(0, 3*n); c == nil || &c[0] != &long[0] {
		t.Error("the array did not come back at its own length")
	}
}

func TestLendingIsBounded(t *testing.T) {
	const n = 60013
	pool.homes[0].keep(make([]float32, maxLend*n+1))
	if b := reuseFrom(0, n); b != nil {
		t.Errorf("an array of %d values was lent for %d", maxLend*n+1, n)
	}
	if b := reuseFrom(0, n+1); b == nil {
		t.Errorf("no array was lent for %d values from one of %d", n+1, maxLend*n+1)
	}
}

// A view into a lent array that does not span it (a prefix) is ignored by
// Recycle, like a view into any array, and the array's record stays for
// the tensor that owns it.
func TestLentArrayViews(t *testing.T) {
	const n = 70001
	long := make([]float32, 2*n)
	pool.homes[0].keep(long)
	b := reuseFrom(0, n)
	if b == nil || &b[0] != &long[0] {
		t.Fatal("the array was not lent")
	}
	bytes := pool.bytes.Load()
	Recycle(&Tensor{Shape: []int{n / 2}, F: b[:n/2]})
	if pool.bytes.Load() != bytes {
		t.Fatal("a prefix view of a lent array was recycled")
	}
	Recycle(&Tensor{Shape: []int{n}, F: b})
	if c := reuseFrom(0, 2*n); c == nil || &c[0] != &long[0] {
		t.Error("the owner's recycling did not hand back the whole array")
	}
}
