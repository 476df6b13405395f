package display_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
)

const shared = "../../../shared"

// bigResult explains a generated w x h photo (a gradient with noise) with
// MobileNetV2, top k.
func bigResult(t testing.TB, w, h, k int) *explain.Result {
	t.Helper()
	m, err := explain.LoadModel(context.Background(), filepath.Join(shared, "models", "mobilenet_v2_1.0_224.onnx"), explain.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(12, 6))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(128 + rng.IntN(32)), 255})
		}
	}
	r, err := explain.Photo(context.Background(), m, img, explain.Request{Method: "cam", TopK: k})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func BenchmarkSave12MP(b *testing.B) {
	r := bigResult(b, 4000, 3000, 20)
	v := display.DefaultView()
	dir := b.TempDir()
	for b.Loop() {
		if _, err := display.Save(context.Background(), filepath.Join(dir, "out"), r, v, "big.jpg"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSaveBigPhotoBoundedGrid: a 12 MP photo with 4 classes gives
// full-size overlays but a grid of tiles at most GridTileSide pixels on the
// long side, and Save never holds all the overlays at once. (.ci/test runs
// it without the race detector, which would take minutes over its pixels.)
func TestSaveBigPhotoBoundedGrid(t *testing.T) {
	r := bigResult(t, 4000, 3000, 4)
	out := filepath.Join(t.TempDir(), "out")
	runtime.GC()
	base := heapBytes()
	peak := base
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				peak = max(peak, heapBytes())
			}
		}
	}()
	_, err := display.Save(context.Background(), out, r, display.DefaultView(), "big.jpg")
	close(done)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	g := pngSize(t, filepath.Join(out, "grid.png"))
	// At most 4 tiles of 1024x768 in a row or a column, with 8-pixel
	// padding and a caption line each; at the photo's size one tile alone
	// would be 4000 pixels wide.
	if g.X > 4*(display.GridTileSide+8)+8 || g.Y > 4*(768+48)+8 {
		t.Errorf("grid.png is %v, want tiles of at most %d pixels on the long side", g, display.GridTileSide)
	}
	if o := pngSize(t, filepath.Join(out, "01_"+strings.ReplaceAll(r.Classes[0].Label, " ", "_")+".png")); o != image.Pt(4000, 3000) {
		t.Errorf("overlay is %v, want the photo's 4000x3000", o)
	}
	// One 12 MP overlay is 48 MB; all 4 at once would be 192 MB, with their
	// heats three times that again.
	grew := (peak - base) >> 20
	t.Logf("heap grew by %d MiB while saving", grew)
	if grew > 450 {
		t.Errorf("the heap grew by %d MiB while saving; overlays are not made one at a time", grew)
	}
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func pngSize(t *testing.T, path string) image.Point {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	return image.Pt(c.Width, c.Height)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestSaveReplacesWholeRun: a second run replaces the first's files (none
// of the first run's extra classes stay beside the new report); a failed
// or stopped run leaves the folder as it was and no temporary folder.
func TestSaveReplacesWholeRun(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	v := display.DefaultView()
	if _, err := display.Save(context.Background(), out, bigResult(t, 64, 48, 5), v, "a.png"); err != nil {
		t.Fatal(err)
	}
	first := names(t, out)
	if len(first) != 12 {
		t.Fatalf("first run wrote %v", first)
	}
	if _, err := display.Save(context.Background(), out, bigResult(t, 64, 48, 2), v, "a.png"); err != nil {
		t.Fatal(err)
	}
	second := names(t, out)
	if len(second) != 6 {
		t.Fatalf("second run left %v, want its own 6 files only", second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := display.Save(ctx, out, bigResult(t, 64, 48, 4), v, "a.png"); err == nil {
		t.Fatal("a stopped Save reported success")
	}
	if got := names(t, out); !slices.Equal(got, second) {
		t.Errorf("a stopped run changed the folder: %v, was %v", got, second)
	}
	if got := names(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Errorf("temporary folders left beside the output: %v", got)
	}
}

// TestSaveRefusesForeignFolder: Save replaces only what CAMscope wrote.
func TestSaveRefusesForeignFolder(t *testing.T) {
	r := bigResult(t, 64, 48, 2)
	v := display.DefaultView()
	mine := t.TempDir()
	if err := os.WriteFile(filepath.Join(mine, "thesis.txt"), []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := display.Save(context.Background(), mine, r, v, "a.png")
	if err == nil || !strings.Contains(err.Error(), "thesis.txt") || !strings.Contains(err.Error(), "did not write") {
		t.Errorf("Save into a folder of the user's: %v", err)
	}
	if got := names(t, mine); !slices.Equal(got, []string{"thesis.txt"}) {
		t.Errorf("the user's folder now holds %v", got)
	}

	// An earlier run's folder with a folder where grid.png goes (the
	// issue's failed rename): refused before anything is written.
	out := filepath.Join(t.TempDir(), "out")
	if _, err := display.Save(context.Background(), out, r, v, "a.png"); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(out, "grid.png"))
	if err := os.Mkdir(filepath.Join(out, "grid.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := names(t, out)
	if _, err := display.Save(context.Background(), out, bigResult(t, 64, 48, 3), v, "a.png"); err == nil {
		t.Error("Save replaced a folder holding a folder it did not write")
	}
	if got := names(t, out); !slices.Equal(got, before) {
		t.Errorf("a refused run changed the folder: %v, was %v", got, before)
	}
}
