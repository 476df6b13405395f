package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

func press(h *harness, k fyne.KeyName) {
	h.Window.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
}

func closeTop(h *harness) {
	h.Window.Canvas().Overlays().Remove(h.Window.Canvas().Overlays().Top())
}

func TestShortcutsOpenDialogs(t *testing.T) {
	h := started(t)
	press(h, fyne.KeyO)
	if h.Window.Canvas().Overlays().Top() == nil {
		t.Fatal("Ctrl+O opened no dialog")
	}
	closeTop(h)
	press(h, fyne.KeyS)
	top := h.Window.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Ctrl+S opened no dialog")
	}
	if !strings.Contains(test.RenderObjectToMarkup(top), "Maps, overlays and report") {
		t.Error("Ctrl+S did not open the export dialog")
	}
	closeTop(h)
}

func TestExportDialogWithNothingSaysWhatToDo(t *testing.T) {
	h := newHarness(t, Options{})
	h.ExportDialog()
	top := h.Window.Canvas().Overlays().Top()
	if top == nil || !strings.Contains(test.RenderObjectToMarkup(top), "open a photo and a model first") {
		t.Error("no dialog saying what to do")
	}
}

func TestCompareDialog(t *testing.T) {
	h := started(t)
	h.CompareDialog()
	top := h.Window.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no compare dialog")
	}
	markup := test.RenderObjectToMarkup(top)
	for _, want := range []string{"mobilenet_v2_1.0_224", "Add a model file", compareOwn, compareSame} {
		if !strings.Contains(markup, want) {
			t.Errorf("compare dialog lacks %q", want)
		}
	}
	closeTop(h)
}

func TestEscapeLeavesLargeView(t *testing.T) {
	h := started(t)
	test.Tap(h.tiles[0])
	if h.detail == nil {
		t.Fatal("no large view")
	}
	h.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.detail != nil {
		t.Error("Escape did not return to the grid")
	}
}
