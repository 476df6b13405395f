package ui

import (
	"os"
	"slices"
	"strings"
	"testing"

	"camscope/app/explain"
	"camscope/app/session"
)

// A model without a global-average-pooling linear head cannot use CAM: the
// menu leaves it out (and attention rollout, a transformer's), the reason is
// shown, and Grad-CAM used instead. The decision is the session's
// (session.TestCAMDoesNotApplyToVGG); this test checks that the window
// shows it.
func TestCAMDisabledWithReason(t *testing.T) {
	const vgg = shared + "reference/vgg_small.onnx"
	if _, err := os.Stat(vgg); err != nil {
		t.Fatalf("the reference models should be in ../shared/reference next to the repository (CI has them): %v", err)
	}
	h := started(t)
	h.OpenModel(vgg)
	if o := h.wait(t); o.Err != nil {
		t.Fatalf("vgg_small does not load: %v", o.Err)
	}
	if ok, _ := h.s.Models()[0].Explainer.SupportsCAM(); ok {
		t.Fatal("vgg_small has a CAM head: this test needs a model without one")
	}
	if slices.Contains(h.c.method.Options, session.MethodName(explain.CAM)) || len(h.c.method.Options) != len(session.MethodNames())-2 ||
		h.c.methodNote.Hidden || !strings.Contains(h.c.methodNote.Text, "CAM is off for vgg_small") {
		t.Errorf("menu %q, note %q", h.c.method.Options, h.c.methodNote.Text)
	}
	if h.s.Request().Method != explain.GradCAM || h.c.method.Selected != session.MethodName(explain.GradCAM) || len(h.tiles) == 0 {
		t.Errorf("method %s, selected %s, %d tiles", h.s.Request().Method, h.c.method.Selected, len(h.tiles))
	}
}
