package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"camscope/app/explain"
	"camscope/inference/cam"
)

func unlabelled(n int) *explain.Model {
	return &explain.Model{Name: "net", Path: "net.onnx", Explainer: &cam.Explainer{Head: &cam.Head{NumClasses: n}}}
}

// A 1000- or 1001-class model without labels can take the shipped ImageNet
// labels (background first for 1001) or a labels file; a file of the wrong
// length is refused with a sentence.
func TestSessionSetLabels(t *testing.T) {
	for _, n := range []int{1000, 1001} {
		h := newSession(t)
		h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{unlabelled(n)}})
		h.apply(t)
		if !h.ImageNetLabelsFit() || !strings.Contains(h.LabelsNote(), "ImageNet") {
			t.Fatalf("%d classes: fit %v, note %q", n, h.ImageNetLabelsFit(), h.LabelsNote())
		}
		if err := h.SetLabels(""); err != nil {
			t.Fatal(err)
		}
		h.apply(t)
		m := h.Models()[0]
		if got := m.Explainer.Label(n - 1000); got != "tench" || h.LabelsNote() != "" || m.LabelsPath != ImageNetLabelsName {
			t.Errorf("%d classes: class %d is %q, note %q, from %q", n, n-1000, got, h.LabelsNote(), m.LabelsPath)
		}
		if r := h.Results()[0]; r.Model != m {
			t.Errorf("%d classes: the results were not explained again with the labels", n)
		}
		if cached, _ := h.runner.models.get("net.onnx"); cached != m {
			t.Errorf("%d classes: reopening the model would lose its labels", n)
		}
	}
	h := newSession(t)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{unlabelled(3)}})
	h.apply(t)
	if h.ImageNetLabelsFit() || h.LabelsNote() == "" {
		t.Errorf("3 classes: ImageNet fits %v, note %q", h.ImageNetLabelsFit(), h.LabelsNote())
	}
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.txt"), filepath.Join(dir, "good.txt")
	os.WriteFile(bad, []byte("a\nb\n"), 0o644)
	os.WriteFile(good, []byte("red\ngreen\nblue\n"), 0o644)
	if err := h.SetLabels(bad); err == nil || !strings.Contains(err.Error(), "2 labels but the model has 3 classes") {
		t.Errorf("a file of 2 labels for 3 classes: %v", err)
	}
	if err := h.SetLabels(good); err != nil {
		t.Fatal(err)
	}
	h.apply(t)
	if got := h.Models()[0].Explainer.Label(2); got != "blue" {
		t.Errorf("class 2 is %q, want blue", got)
	}
}
