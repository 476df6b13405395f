package ui

import (
	"sort"
	"testing"
	"time"
)

// median reports the median of the measured durations as "median-ms".
func median(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) > 0 {
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "median-ms")
	}
}

// BenchmarkSliderToTiles is an opacity slider move re-blending the 5 tiles
// of a 1280x800 window (what a frame then uploads).
func BenchmarkSliderToTiles(b *testing.B) {
	h := started(b)
	b.ReportAllocs()
	var d []time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		h.c.opacity.SetValue(float64(20 + i%60))
		d = append(d, time.Since(t0))
	}
	median(b, d)
}

// BenchmarkSliderToFrame adds the software rendering of the whole window
// (an upper bound: the desktop driver only re-uploads the tile textures).
func BenchmarkSliderToFrame(b *testing.B) {
	h := started(b)
	var d []time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		h.c.opacity.SetValue(float64(20 + i%60))
		h.Window.Canvas().Capture()
		d = append(d, time.Since(t0))
	}
	median(b, d)
}

// BenchmarkOpenPhoto is opening a photo until its 5 tiles are shown, with
// MobileNet V2.
func BenchmarkOpenPhoto(b *testing.B) {
	h := started(b)
	var d []time.Duration
	photos := []string{dogPhoto, catPhoto}
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		h.OpenPhoto(photos[i%2])
		if o := h.wait(b); o.Err != nil {
			b.Fatal(o.Err)
		}
		d = append(d, time.Since(t0))
	}
	median(b, d)
	b.ReportMetric(float64(h.results[0].Timings.Forward.Microseconds()+h.results[0].Timings.Maps.Microseconds()+h.results[0].Timings.Preprocess.Microseconds())/1000, "explain-ms")
}
