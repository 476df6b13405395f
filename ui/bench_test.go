package ui

import (
	"os"
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
// MobileNet V2; explain-ms is the model's share (preprocess, forward, maps)
// of the last run.
func BenchmarkOpenPhoto(b *testing.B) { benchOpen(b, mobileV2) }

// BenchmarkOpenPhotoResNet18 is the same with ResNet-18 (random weights:
// the time is what matters).
func BenchmarkOpenPhotoResNet18(b *testing.B) { benchOpen(b, shared+"reference/resnet18.onnx") }

func benchOpen(b *testing.B, model string) {
	if _, err := os.Stat(model); err != nil {
		b.Fatalf("%v: the shared models belong in ../shared, beside this checkout", err)
	}
	h := newHarness(b, Options{ImagePath: catPhoto, ModelPaths: []string{model}})
	h.Start()
	if o := h.wait(b); o.Err != nil {
		b.Fatal(o.Err)
	}
	var d, ex []time.Duration
	photos := []string{dogPhoto, catPhoto}
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		h.OpenPhoto(photos[i%2])
		if o := h.wait(b); o.Err != nil {
			b.Fatal(o.Err)
		}
		d = append(d, time.Since(t0))
		t := h.s.Results()[0].Timings
		ex = append(ex, t.Preprocess+t.Forward+t.Maps)
	}
	sort.Slice(ex, func(i, j int) bool { return ex[i] < ex[j] })
	b.ReportMetric(float64(ex[len(ex)/2].Microseconds())/1000, "explain-ms")
	median(b, d)
}
