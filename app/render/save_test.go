package render

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	img := testPhoto(32, 24)
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareImages(got, img, 0); err != nil {
		t.Error(err)
	}

	// A failed save keeps the previous file and leaves no temporary file.
	before, _ := os.ReadFile(path)
	if err := SavePNG(path, image.NewRGBA(image.Rectangle{})); err == nil {
		t.Fatal("saving an empty image succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("failed save changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after a failed save, want 1", len(entries))
	}

	if err := SavePNG(filepath.Join(dir, "missing", "x.png"), img); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
}
