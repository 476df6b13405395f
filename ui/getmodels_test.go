package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"camscope/app/catalogue"
)

func TestGetModelsDownloadAndOpen(t *testing.T) {
	model, err := os.ReadFile(mobileV1)
	if err != nil {
		needData(t, err)
	}
	labels, err := os.ReadFile(filepath.Join(filepath.Dir(mobileV1), "imagenet_labels.txt"))
	if err != nil {
		needData(t, err)
	}
	sum := sha256.Sum256(model)
	entry := catalogue.Entry{Name: "Tiny MobileNet", Path: "mobilenet/tiny.onnx", Size: int64(len(model)), SHA256: hex.EncodeToString(sum[:]), Input: 128, Classes: 1001}
	saved := catalogue.Catalogue
	catalogue.Catalogue = []catalogue.Entry{entry, {Name: "Broken", Path: "broken/broken.onnx", Size: 10, SHA256: strings.Repeat("0", 64)}}
	t.Cleanup(func() { catalogue.Catalogue = saved })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+entry.Path {
			http.Error(w, "no such file", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(model)))
		http.ServeContent(w, r, "tiny.onnx", testTime, bytes.NewReader(model))
	}))
	defer srv.Close()
	dir := t.TempDir()
	// The catalogue's models are ImageNet classifiers: their labels sit in
	// the download folder.
	if err := os.WriteFile(filepath.Join(dir, "imagenet_labels.txt"), labels, 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, ModelDir: dir, CatalogueBase: srv.URL + "/"})
	h.Start()
	h.wait(t)

	h.GetModelsDialog()
	ok, broken := h.downloads[0], h.downloads[1]
	if !hasText(h.Window.Canvas().Overlays().Top(), "128×128 input · 1001 classes") {
		t.Error("the catalogue does not say what the model takes and tells apart")
	}
	if ok.get.Hidden || !ok.use.Hidden {
		t.Fatal("a model not downloaded yet offers Open")
	}
	test.Tap(ok.get)
	h.until(t, ok.done)
	if ok.use.Hidden || !ok.get.Hidden || !strings.Contains(ok.status.Text, "installed") {
		t.Errorf("after download: status %q", ok.status.Text)
	}
	if _, err := os.Stat(filepath.Join(dir, "tiny.onnx")); err != nil {
		t.Fatal(err)
	}
	test.Tap(broken.get)
	h.until(t, broken.done)
	if broken.status.Text != "Failed." || h.Window.Canvas().Overlays().Top() == nil {
		t.Errorf("failed download: status %q", broken.status.Text)
	}
	test.Tap(ok.use)
	h.wait(t)
	if h.s.Models()[0].Name != "tiny" {
		t.Errorf("opened %s", h.s.Models()[0].Name)
	}
	// Listed afterwards: the compare dialog offers it.
	list, _ := catalogue.InstalledModels(dir)
	if len(list) != 1 || list[0].Name != "Tiny MobileNet" {
		t.Errorf("installed %+v", list)
	}
}
