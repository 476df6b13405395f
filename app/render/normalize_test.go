package render

import (
	"math"
	"testing"
)

func TestNormalize(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := map[string]struct {
		in   []float32
		relu bool
		want []float32
	}{
		"minmax":        {[]float32{2, 4, 6, 3}, false, []float32{0, 0.5, 1, 0.25}},
		"negative":      {[]float32{-2, 0, 2, 1}, false, []float32{0, 0.5, 1, 0.75}},
		"relu":          {[]float32{-2, 0, 2, 1}, true, []float32{0, 0, 1, 0.5}},
		"flat":          {[]float32{3, 3, 3, 3}, false, []float32{0, 0, 0, 0}},
		"all negative":  {[]float32{-1, -2, -3, -4}, true, []float32{0, 0, 0, 0}},
		"nan and inf":   {[]float32{nan, inf, 4, -inf}, false, []float32{0, 0, 1, 0}},
		"nan with relu": {[]float32{nan, -1, 2, 1}, true, []float32{0, 0, 1, 0.5}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Normalize(Map{W: 2, H: 2, Data: tc.in}, tc.relu)
			for i, v := range got.Data {
				if v != tc.want[i] {
					t.Fatalf("Normalize(%v) = %v, want %v", tc.in, got.Data, tc.want)
				}
			}
		})
	}
}

func TestNormalizeShared(t *testing.T) {
	a := Map{W: 2, H: 1, Data: []float32{0, 2}}
	b := Map{W: 2, H: 1, Data: []float32{-4, 4}}
	got := NormalizeShared(true, a, b)
	want := [][]float32{{0, 0.5}, {0, 1}}
	for i := range got {
		for j, v := range got[i].Data {
			if v != want[i][j] {
				t.Fatalf("NormalizeShared = %v, %v; want %v", got[0].Data, got[1].Data, want)
			}
		}
	}
	if lo, hi := Range(false, a, b); lo != -4 || hi != 4 {
		t.Errorf("Range = %g, %g; want -4, 4", lo, hi)
	}
	if lo, hi := Range(false); lo != 0 || hi != 0 {
		t.Errorf("Range of nothing = %g, %g; want 0, 0", lo, hi)
	}
}

// Used by the tests only.

// At returns the value at row i, column j.
func (m Map) At(i, j int) float32 { return m.Data[i*m.W+j] }
