package display

import "testing"

func TestPercent(t *testing.T) {
	for p, want := range map[float64]string{
		1: "100.0%", 0.366: "36.6%", 0.09: "9.0%", 0.001: "0.1%", 0.0004: "0.04%", 0.0001: "0.01%", 0.00009: "<0.01%", 0: "<0.01%",
	} {
		if got := Percent(p); got != want {
			t.Errorf("Percent(%g) = %q, want %q", p, got, want)
		}
	}
}
