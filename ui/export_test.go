package ui

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"camscope/app/atomicfile"
)

// TestSaveDialogKeepsExistingFile replaces an existing file through the
// Save dialog: a failed save leaves it whole (Fyne's own save dialog
// truncated it before the save ran, and the failure removed it), a
// successful one replaces it.
func TestSaveDialogKeepsExistingFile(t *testing.T) {
	h := newHarness(t, Options{})
	dir := t.TempDir()
	h.fyne.Preferences().SetString(prefFolder, dir)
	path := filepath.Join(dir, "grid.png")
	if err := os.WriteFile(path, []byte("the user's picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	saveAs := func(save func(string) error) {
		t.Helper()
		h.saveDialog("grid.png", save)
		tapButton(t, h.Window, "Save")
		tapButton(t, h.Window, "Yes") // replace grid.png?
		if !strings.HasPrefix(h.status.Text, "Saving grid.png") {
			t.Errorf("status %q while saving", h.status.Text)
		}
		// The save runs off the UI goroutine, then says how it went.
		select {
		case f := <-h.queue:
			f()
		case <-time.After(time.Minute):
			t.Fatal("the save did not finish")
		}
	}

	var asked string
	saveAs(func(p string) error {
		asked = p
		return atomicfile.Write(p, func(w io.Writer) error {
			io.WriteString(w, "half a PNG")
			return errors.New("the disk is full")
		})
	})
	if asked != path {
		t.Fatalf("saved to %q, want %q", asked, path)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "the user's picture" {
		t.Fatalf("after a failed save the file holds %q (%v), want it as it was", got, err)
	}
	if !hasText(h.Window.Canvas().Overlays().Top(), "disk is full") {
		t.Error("the failure is not shown")
	}
	h.Window.Canvas().Overlays().Remove(h.Window.Canvas().Overlays().Top())

	saveAs(func(p string) error {
		return atomicfile.Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err })
	})
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("after a successful save the file holds %q, want new", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the folder holds %d files, want only grid.png", len(ents))
	}
}

// tapButton taps the button labelled text in the window's top overlay.
func tapButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog to tap %q in", text)
	}
	var found *widget.Button
	walk(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %q button in the dialog", text)
	}
	test.Tap(found)
}

func hasText(o fyne.CanvasObject, sub string) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		switch l := o.(type) {
		case *widget.Label:
			found = found || strings.Contains(l.Text, sub)
		case *widget.RichText:
			found = found || strings.Contains(l.String(), sub)
		}
	})
	return found
}

func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			walk(child, visit)
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			walk(child, visit)
		}
	}
}
