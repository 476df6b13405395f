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
		if n > 0 && Mean(v) != Sum(v)/float32(n) {
			t.Fatalf("n=%d: Mean %v, want Sum/n %v", n, Mean(v), Sum(v)/float32(n))
		}
	}
	if m := Mean(nil); m == m {
		t.Fatalf("Mean of nothing is %v, want NaN", m)
	}
}
