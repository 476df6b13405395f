package cli

import (
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeBigJPEG writes a w x h JPEG to path: a colour gradient with noise, so
// that it compresses like a photo rather than like a flat picture.
func writeBigJPEG(t testing.TB, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(12, 6))
	for y := range h {
		for x := range w {
			n := rng.IntN(32)
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(128 + n), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteBigJPEG writes the benchmark's photo where CAMSCOPE_BIG_JPEG
// says, for measuring the built binary (README, "Safety: photos and output").
func TestWriteBigJPEG(t *testing.T) {
	path := os.Getenv("CAMSCOPE_BIG_JPEG")
	if path == "" {
		t.Skip("set CAMSCOPE_BIG_JPEG to a file to write the 4000x3000 benchmark photo")
	}
	writeBigJPEG(t, path, 4000, 3000)
}

// BenchmarkExplain12MP is the README's memory and time case: a 4000x3000
// JPEG, MobileNetV2, top 20, every file written.
func BenchmarkExplain12MP(b *testing.B) {
	dir := b.TempDir()
	photo := filepath.Join(dir, "big.jpg")
	writeBigJPEG(b, photo, 4000, 3000)
	for b.Loop() {
		if code, _, stderr := runCLI(b, "explain", "--image", photo, "--model", mobilenet, "--top", "20", "--out", filepath.Join(dir, "out")); code != ExitOK {
			b.Fatalf("exit %d: %s", code, stderr)
		}
	}
}
