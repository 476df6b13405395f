package ops

import (
	"math"
	"testing"
)

func TestRows(t *testing.T) {
	for n := 0; n < 40; n++ {
		a, b := make([]float32, n+3), make([]float32, n+3)
		for i := range a {
			a[i] = float32(math.Sin(float64(i)))
			b[i] = float32(math.Cos(float64(i)))
		}
		m, s := append([]float32{}, a...), append([]float32{}, a...)
		maxRow(m[:n], b)
		addRow(s[:n], b)
		for i := range a {
			wantM, wantS := max(a[i], b[i]), a[i]+b[i]
			if i >= n {
				wantM, wantS = a[i], a[i] // past the row: untouched
			}
			if m[i] != wantM || s[i] != wantS {
				t.Fatalf("n=%d i=%d: max %v add %v, want %v %v", n, i, m[i], s[i], wantM, wantS)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a short source did not panic")
		}
	}()
	maxRow(make([]float32, 5), make([]float32, 4))
}
