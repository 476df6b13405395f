package kernels

import (
	"math"
	"testing"
)

func TestMaxIntoAddInto(t *testing.T) {
	for n := 0; n < 40; n++ {
		a, b := make([]float32, n+3), make([]float32, n+3)
		for i := range a {
			a[i] = float32(math.Sin(float64(i)))
			b[i] = float32(math.Cos(float64(i)))
		}
		m, s := append([]float32{}, a...), append([]float32{}, a...)
		MaxInto(m[:n], b)
		AddInto(s[:n], b)
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
	MaxInto(make([]float32, 5), make([]float32, 4))
}

func TestScaleClamp(t *testing.T) {
	nan := float32(math.NaN())
	for n := 0; n < 11; n++ {
		src := make([]float32, n+1)
		for i := range src {
			src[i] = float32(i) - 4
		}
		if n > 2 {
			src[2] = nan
		}
		dst := make([]float32, n+1)
		dst[n] = 99
		ScaleClamp(dst[:n], src, 2, 1, -3, 5)
		for i := 0; i < n; i++ {
			want := min(max(src[i]*2+1, -3), 5)
			if i == 2 && n > 2 {
				if dst[i] == dst[i] {
					t.Fatalf("n=%d: NaN became %v", n, dst[i])
				}
				continue
			}
			if dst[i] != want {
				t.Fatalf("n=%d i=%d: got %v, want %v", n, i, dst[i], want)
			}
		}
		if dst[n] != 99 {
			t.Fatalf("n=%d: wrote past the end", n)
		}
	}
}

func TestArith(t *testing.T) {
	for n := 0; n < 40; n++ {
		a, b := make([]float32, n+3), make([]float32, n+3)
		for i := range a {
			a[i] = float32(math.Sin(float64(i)))
			b[i] = float32(math.Cos(float64(i)))
		}
		const s = float32(0.37)
		for _, c := range []struct {
			name string
			run  func(dst []float32)
			want func(i int) float32
		}{
			{"Add", func(d []float32) { Add(d, a, b) }, func(i int) float32 { return a[i] + b[i] }},
			{"Mul", func(d []float32) { Mul(d, a, b) }, func(i int) float32 { return a[i] * b[i] }},
			{"AddScalar", func(d []float32) { AddScalar(d, a, s) }, func(i int) float32 { return a[i] + s }},
			{"MulScalar", func(d []float32) { MulScalar(d, a, s) }, func(i int) float32 { return a[i] * s }},
			{"Div", func(d []float32) { Div(d, a, b) }, func(i int) float32 { return a[i] / b[i] }},
			{"DivScalar", func(d []float32) { DivScalar(d, a, s) }, func(i int) float32 { return a[i] / s }},
		} {
			dst := make([]float32, n+1)
			dst[n] = 99
			c.run(dst[:n])
			for i := range n {
				if dst[i] != c.want(i) {
					t.Fatalf("%s n=%d i=%d: got %v, want %v", c.name, n, i, dst[i], c.want(i))
				}
			}
			if dst[n] != 99 {
				t.Fatalf("%s n=%d: wrote past the end", c.name, n)
			}
		}
	}
}
