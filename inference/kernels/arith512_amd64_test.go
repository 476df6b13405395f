//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestArith512: the AVX-512 loops give the bits of the SSE loops (which
// NaN survives, the sign of a zero; AddClamp's other loop is Go, whose
// min and max agree on NaNs but not on the sign of zeros) and, on ordinary
// values, of the plain formulas, at every length from 0 to 100, writing nothing past dst.
func TestArith512(t *testing.T) {
	if !hasAVX512 {
		t.Skip("the CPU has no AVX-512")
	}
	defer func(saved bool) { arith512 = saved }(arith512)
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Copysign(math.NaN(), -1)), 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))}
	for n := 0; n <= 100; n++ {
		a, b, acc := make([]float32, n+1), make([]float32, n+1), make([]float32, n+1)
		plain := true
		for i := range a {
			a[i], b[i], acc[i] = r.Float32()*4-2, r.Float32()*4-2, r.Float32()*4-2
			if n > 0 && i == r.IntN(n) {
				a[i], acc[i] = special[r.IntN(len(special))], special[r.IntN(len(special))]
				plain = false
			}
		}
		for _, c := range []struct {
			name string
			run  func(dst []float32)
			want func(i int) float32
		}{
			{"Add", func(d []float32) { Add(d, a, b) }, func(i int) float32 { return a[i] + b[i] }},
			{"ScaleClamp", func(d []float32) { ScaleClamp(d, a, 1.7, -0.3, -1, 1.5) }, func(i int) float32 { return min(max(a[i]*1.7-0.3, -1), 1.5) }},
			{"MulScalar", func(d []float32) { MulScalar(d, a, 0.37) }, func(i int) float32 { return a[i] * 0.37 }},
			{"MaxInto", func(d []float32) { copy(d, acc); MaxInto(d, a) }, func(i int) float32 { return max(acc[i], a[i]) }},
			{"AddInto", func(d []float32) { copy(d, acc); AddInto(d, a) }, func(i int) float32 { return acc[i] + a[i] }},
			{"AddClamp", func(d []float32) { AddClamp(d, a, b, -0.5, 1.25) }, func(i int) float32 { return min(max(a[i]+b[i], -0.5), 1.25) }},
		} {
			var got [2][]float32
			for k, wide := range []bool{false, true} {
				arith512 = wide
				got[k] = make([]float32, n+1)
				got[k][n] = 99
				c.run(got[k][:n])
				if got[k][n] != 99 {
					t.Fatalf("%s n=%d (AVX-512 %v): wrote past the end", c.name, n, wide)
				}
			}
			for i := range n {
				x, y := got[0][i], got[1][i]
				same := math.Float32bits(x) == math.Float32bits(y)
				if c.name == "AddClamp" {
					same = x == y || x != x && y != y
				}
				if !same {
					t.Fatalf("%s n=%d i=%d: AVX-512 %v, SSE %v", c.name, n, i, got[1][i], got[0][i])
				}
				if w := c.want(i); plain && got[1][i] != w {
					t.Fatalf("%s n=%d i=%d: got %v, want %v", c.name, n, i, got[1][i], w)
				}
			}
		}
	}
}

// TestMaskWithin: both loops of MaskWithin pass g exactly where y lies
// strictly between the bounds (y at a bound, NaN or infinite included) and
// write 0 elsewhere, at every length from 0 to 100, nothing past dst.
func TestMaskWithin(t *testing.T) {
	defer func(saved bool) { arith512 = saved }(arith512)
	r := rand.New(rand.NewPCG(7, 8))
	const lo, hi = -0.5, 1.25
	edge := []float32{lo, hi, math.Nextafter32(lo, 0), math.Nextafter32(hi, 0), math.Nextafter32(lo, -1), math.Nextafter32(hi, 2),
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for n := 0; n <= 100; n++ {
		g, y := make([]float32, n), make([]float32, n)
		for i := range y {
			g[i] = r.Float32()*4 - 2
			y[i] = r.Float32()*4 - 2
			if r.IntN(2) == 0 {
				y[i] = edge[r.IntN(len(edge))]
			}
		}
		for _, wide := range []bool{false, hasAVX512} {
			arith512 = wide
			d := make([]float32, n+1)
			for i := range d {
				d[i] = 99
			}
			MaskWithin(d[:n], g, y, lo, hi)
			if d[n] != 99 {
				t.Fatalf("n=%d (AVX-512 %v): wrote past the end", n, wide)
			}
			for i := range n {
				want := float32(0)
				if y[i] > lo && y[i] < hi {
					want = g[i]
				}
				if math.Float32bits(d[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d i=%d y=%v (AVX-512 %v): got %v, want %v", n, i, y[i], wide, d[i], want)
				}
			}
		}
	}
}
