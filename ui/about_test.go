package ui

import (
	"testing"

	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// TestAboutNamesBothModels: About names the two built-in models, where the
// ImageNet one comes from and its licence.
func TestAboutNamesBothModels(t *testing.T) {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.AboutDialog()
	top := h.Window.Canvas().Overlays().Top()
	for _, want := range []string{session.ImageNetName, session.BuiltinName, "google-coral/test_data", "Apache License 2.0"} {
		if !hasText(top, want) {
			t.Errorf("About does not say %q", want)
		}
	}
}
