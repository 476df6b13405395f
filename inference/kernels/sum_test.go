package kernels

import (
	"math"
	"testing"
)

func TestSumMean(t *testing.T) {
	for n := 0; n < 40; n++ {
		v := make([]float32, n)
		want := 0.0
		for i := range v {
			v[i] = float32(math.Sin(float64(i)))
			want += float64(v[i])
		}
		if got := Sum(v); math.Abs(float64(got)-want) > 1e-6*float64(max(n, 1)) {
			t.Fatalf("n=%d: Sum %v, want %v", n, got, want)
		}
	}
	// Mean: planes shorter and longer than its pieces of ones, against a
	// float64 sum, for every kernel (the dot product's vector and scalar
	// loops).
	forEachKernel(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 7, 8, 31, 33, 49, 100, 4095, 4096, 4097, 12544, 3*meanPiece + 5} {
			v := make([]float32, n)
			want, mag := 0.0, 0.0
			for i := range v {
				v[i] = float32(math.Sin(float64(i)))
				want += float64(v[i])
				mag += math.Abs(float64(v[i]))
			}
			want /= float64(n)
			if got := Mean(v); math.Abs(float64(got)-want) > 1e-6*mag/float64(n) {
				t.Fatalf("n=%d: Mean %v, want %v", n, got, want)
			}
		}
	})
	if m := Mean(nil); m == m {
		t.Fatalf("Mean of nothing is %v, want NaN", m)
	}
}
