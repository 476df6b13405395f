package fastpng

import (
	"bytes"
	"errors"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// photoLike is a w x h opaque picture that compresses like a photo: a
// gradient with noise, and a flat band that LZ matching shortens.
func photoLike(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(100 + rng.IntN(40)), 255}
			if y < h/4 {
				c = color.RGBA{30, 60, 90, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func roundTrip(t *testing.T, img image.Image) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("image/png cannot read the output: %v", err)
	}
	return got
}

func samePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	b := want.Bounds()
	if got.Bounds().Size() != b.Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), b.Size())
	}
	g := got.Bounds().Min
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r0, g0, b0, a0 := got.At(g.X+x, g.Y+y).RGBA()
			r1, g1, b1, a1 := want.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got.At(g.X+x, g.Y+y), want.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
}

// TestRoundTrip decodes the output with image/png, an independent reader,
// for sizes from one pixel to several bands (a 1700x1400 picture is three
// 4 MiB bands), and for a sub-image whose rows do not start at Pix[0].
func TestRoundTrip(t *testing.T) {
	for _, sz := range []image.Point{{1, 1}, {1, 300}, {300, 1}, {33, 17}, {1700, 1400}} {
		img := photoLike(sz.X, sz.Y, uint64(sz.X))
		samePixels(t, roundTrip(t, img), img)
	}
	big := photoLike(200, 150, 3)
	sub := big.SubImage(image.Rect(17, 9, 180, 140)).(*image.RGBA)
	samePixels(t, roundTrip(t, sub), sub)
}

// TestTranslucentFallsBack: a picture with transparency keeps its alpha
// (image/png writes it, unpremultiplied).
func TestTranslucentFallsBack(t *testing.T) {
	img := photoLike(40, 30, 5)
	img.SetRGBA(3, 4, color.RGBA{10, 20, 30, 40})
	got := roundTrip(t, img)
	if c := color.NRGBAModel.Convert(got.At(3, 4)).(color.NRGBA); c != (color.NRGBA{63, 127, 191, 40}) {
		t.Fatalf("translucent pixel %v, want {63 127 191 40}", c)
	}
	if got.At(0, 0) != color.Color(color.NRGBA{30, 60, 90, 255}) {
		t.Fatalf("opaque pixel %v", got.At(0, 0))
	}
}

func TestCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	data := make([]byte, 200000)
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	for _, cut := range []int{0, 1, 5551, 65521, 100000, 200000} {
		a, b := data[:cut], data[cut:]
		if got, want := combine(adler32.Checksum(a), adler32.Checksum(b), len(b)), adler32.Checksum(data); got != want {
			t.Errorf("cut %d: combine = %08x, want %08x", cut, got, want)
		}
	}
}

type failingWriter struct{ left int }

var errFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errFull
	}
	f.left -= len(p)
	return len(p), nil
}

// TestWriteErrorStopsCleanly: a writer that fails part-way gives its error,
// and every band's goroutine ends.
func TestWriteErrorStopsCleanly(t *testing.T) {
	img := photoLike(1700, 1400, 9)
	before := runtime.NumGoroutine()
	for _, left := range []int{0, 10, 100000} {
		if err := Encode(&failingWriter{left: left}, img); !errors.Is(err, errFull) {
			t.Fatalf("after %d bytes: error %v, want %v", left, err, errFull)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left running, %d before", n, before)
	}
}

// BenchmarkEncode12MP compares fastpng with image/png at png.BestSpeed on a
// 4000x3000 photo-like picture; both report the output size.
func BenchmarkEncode12MP(b *testing.B) {
	img := photoLike(4000, 3000, 1)
	for _, bc := range []struct {
		name string
		enc  func(*bytes.Buffer) error
	}{
		{"fastpng", func(w *bytes.Buffer) error { return Encode(w, img) }},
		{"image-png-BestSpeed", func(w *bytes.Buffer) error {
			enc := png.Encoder{CompressionLevel: png.BestSpeed}
			return enc.Encode(w, img)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := bc.enc(&buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len())/1e6, "MB")
		})
	}
}
