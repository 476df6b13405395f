package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
)

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func storageURI(t *testing.T, path string) fyne.URI {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return storage.NewFileURI(abs)
}

var testTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// needData fails the test when the reference data in ../shared is missing:
// CI has it, so a missing file is a broken setup, not a reason to skip.
func needData(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("the reference data should be in ../shared next to the repository: %v", err)
	}
}
