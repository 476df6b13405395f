package render

import (
	"image"
	"image/color"
	"strconv"
	"testing"
)

func TestColorBarGoldens(t *testing.T) {
	for _, cm := range Colormaps() {
		checkGolden(t, "colorbar_"+cm.Name()+".png", ColorBar(cm, 256, 16, ColorBarOptions{}))
	}
	white := color.RGBA{255, 255, 255, 255}
	checkGolden(t, "colorbar_ticks_horizontal.png", ColorBar(Viridis, 300, 44, ColorBarOptions{
		Ticks: LinearTicks(0, 1, 5), Background: white,
	}))
	checkGolden(t, "colorbar_ticks_vertical.png", ColorBar(Jet, 64, 200, ColorBarOptions{
		Vertical: true, Ticks: LinearTicks(-0.5, 2.5, 4), Background: white,
	}))
}

func TestColorBarEnds(t *testing.T) {
	h := ColorBar(Inferno, 512, 4, ColorBarOptions{})
	if got, want := h.RGBAAt(0, 0), Inferno.At(0); got != want {
		t.Errorf("left end = %v, want %v", got, want)
	}
	if got, want := h.RGBAAt(511, 3), Inferno.At(1); got != want {
		t.Errorf("right end = %v, want %v", got, want)
	}
	v := ColorBar(Inferno, 4, 512, ColorBarOptions{Vertical: true})
	if got, want := v.RGBAAt(0, 0), Inferno.At(1); got != want {
		t.Errorf("top = %v, want %v", got, want)
	}
	if got, want := v.RGBAAt(0, 511), Inferno.At(0); got != want {
		t.Errorf("bottom = %v, want %v", got, want)
	}
	if b := ColorBar(Gray, 10, 10, ColorBarOptions{}).Bounds(); b != image.Rect(0, 0, 10, 10) {
		t.Errorf("bounds %v", b)
	}
}

func TestLinearTicks(t *testing.T) {
	got := LinearTicks(-1, 1, 3)
	want := []Tick{{0, "-1"}, {0.5, "0"}, {1, "1"}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("LinearTicks = %v, want %v", got, want)
		}
	}
}

// Used by the tests only.

// LinearTicks returns n evenly spaced ticks (n >= 2) from 0 to 1, labelled
// with the raw values they stand for when the bar spans [lo, hi], such as
// the shared scale returned by Range.
func LinearTicks(lo, hi float64, n int) []Tick {
	if n < 2 {
		n = 2
	}
	ticks := make([]Tick, n)
	for i := range ticks {
		p := float64(i) / float64(n-1)
		ticks[i] = Tick{p, strconv.FormatFloat(lo+p*(hi-lo), 'g', 3, 64)}
	}
	return ticks
}
