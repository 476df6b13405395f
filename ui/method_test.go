package ui

import (
	"os"
	"strings"
	"testing"

	"camscope/inference/cam"
)

// A model without a global-average-pooling linear head cannot use CAM: the
// choice is disabled, the reason shown, and Grad-CAM used instead.
func TestCAMDisabledWithReason(t *testing.T) {
	const vgg = shared + "reference/vgg_small.onnx"
	if _, err := os.Stat(vgg); err != nil {
		t.Skip(err)
	}
	h := started(t)
	h.OpenModel(vgg)
	o := h.wait(t)
	if o.Err != nil {
		t.Skipf("vgg_small does not load here: %v", o.Err)
	}
	if ok, _ := h.s.Models()[0].Explainer.SupportsCAM(); ok {
		t.Skip("vgg_small has a CAM head")
	}
	// The CAM request failed or was switched: once the reason is known the
	// method is Grad-CAM and a run with it shows tiles.
	if !h.c.method.Disabled() || h.c.methodNote.Hidden || !strings.Contains(h.c.methodNote.Text, "CAM is off for vgg_small") {
		t.Errorf("method disabled %v, note %q", h.c.method.Disabled(), h.c.methodNote.Text)
	}
	if h.s.Request().Method != cam.GradCAM || h.c.method.Selected != methodGradCAM {
		t.Errorf("method %s, selected %s", h.s.Request().Method, h.c.method.Selected)
	}
}
