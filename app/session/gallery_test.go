package session

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"camscope/app/explain"
	"camscope/assets"
)

// The gallery has the shipped photos, small, and all eight shapes scenes,
// each of which decodes.
func TestSamples(t *testing.T) {
	var shapes []string
	photos := 0
	for _, smp := range Samples() {
		p, err := smp.Photo()
		if err != nil {
			t.Fatalf("%s: %v", smp.Name, err)
		}
		if smp.Shapes {
			shapes = append(shapes, strings.TrimSuffix(strings.TrimPrefix(smp.Name, "sample_"), ".png"))
			continue
		}
		photos++
		if len(smp.Data) > 300<<10 || p.Image.Rect.Dx() > 1024 || p.Image.Rect.Dy() > 1024 {
			t.Errorf("%s: %d bytes, %v: too large to ship", smp.Name, len(smp.Data), p.Image.Rect.Size())
		}
	}
	if want := strings.Fields(assets.ShapesLabels); !slices.Equal(shapes, want) {
		t.Errorf("shapes scenes %v, want all eight: %v", shapes, want)
	}
	if photos < 4 {
		t.Errorf("%d photos in the gallery, want at least 4", photos)
	}
}

// builtinSession is a session whose built-in models are fakes named as
// the real ones.
func builtinSession(t *testing.T) *sessionHarness {
	h := newSession(t)
	h.runner.funcs.DefaultModel = func() (*explain.Model, error) { return camModel(BuiltinName), nil }
	h.runner.funcs.PhotoModel = func() (*explain.Model, error) { return camModel(ImageNetName), nil }
	return h
}

func sample(t *testing.T, name string) Sample {
	t.Helper()
	i := slices.IndexFunc(Samples(), func(s Sample) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("no sample %s", name)
	}
	return Samples()[i]
}

func firstModel(h *sessionHarness) string {
	if len(h.Models()) == 0 {
		return ""
	}
	return h.Models()[0].Name
}

// A shapes scene gets the shapes model and a shipped photo the ImageNet
// one; the shapes model on a photo says it knows only eight shapes; the
// built-in models can be chosen again after another model was opened.
func TestSessionSamplesAndBuiltins(t *testing.T) {
	h := builtinSession(t)
	h.Start("", nil)
	h.apply(t)
	if firstModel(h) != BuiltinName || h.ModelNote() != "" {
		t.Fatalf("start: %s, note %q", firstModel(h), h.ModelNote())
	}
	if err := h.OpenSample(sample(t, "pets.jpg")); err != nil {
		t.Fatal(err)
	}
	h.apply(t)
	if firstModel(h) != ImageNetName || h.ModelNote() != "" || h.PhotoPath() != "" {
		t.Fatalf("a shipped photo: %s, note %q, path %q", firstModel(h), h.ModelNote(), h.PhotoPath())
	}
	if err := h.OpenSample(sample(t, "sample_star.png")); err != nil {
		t.Fatal(err)
	}
	h.apply(t)
	if firstModel(h) != BuiltinName || h.Photo().Name != "sample_star.png" || h.ModelNote() != "" {
		t.Fatalf("a shapes scene: %s on %s, note %q", firstModel(h), h.Photo().Name, h.ModelNote())
	}
	h.OpenPhoto("dogs.png")
	h.apply(t)
	if firstModel(h) != ImageNetName || h.PhotoPath() != "dogs.png" {
		t.Fatalf("a photo after the scenes: %s, path %q", firstModel(h), h.PhotoPath())
	}
	// Another model, then back to the shapes model: on a photo, a note.
	h.Submit(Job{Photo: h.Photo(), Models: []*explain.Model{camModel("resnet")}})
	h.apply(t)
	h.OpenBuiltin(BuiltinName)
	h.apply(t)
	if firstModel(h) != BuiltinName || h.PhotoPath() != "dogs.png" {
		t.Fatalf("back to shapes: %s on %q", firstModel(h), h.PhotoPath())
	}
	if note := h.ModelNote(); !strings.Contains(note, "only eight shapes") || !strings.Contains(note, ImageNetName) {
		t.Errorf("shapes model on a photo: note %q", note)
	}
	// Chosen by the user, the shapes model stays for the next photo.
	h.OpenPhoto("cat.png")
	h.apply(t)
	if firstModel(h) != BuiltinName || h.ModelNote() == "" {
		t.Errorf("next photo: %s, note %q", firstModel(h), h.ModelNote())
	}
	h.OpenBuiltin(ImageNetName)
	h.apply(t)
	if firstModel(h) != ImageNetName || h.ModelNote() != "" || h.Photo().Name != "cat.png" {
		t.Errorf("back to MobileNetV2: %s on %s, note %q", firstModel(h), h.Photo().Name, h.ModelNote())
	}
	// A shipped photo keeps a model the user chose.
	h.Submit(Job{Photo: h.Photo(), Models: []*explain.Model{camModel("resnet")}})
	h.apply(t)
	if err := h.OpenSample(sample(t, "cat.jpg")); err != nil {
		t.Fatal(err)
	}
	h.apply(t)
	if firstModel(h) != "resnet" {
		t.Errorf("a shipped photo replaced the user's model with %s", firstModel(h))
	}
}

// The arrow keys walk the gallery when a gallery picture is shown.
func TestSessionNeighbourSample(t *testing.T) {
	h := builtinSession(t)
	if _, ok := h.NeighbourSample(1); ok {
		t.Error("a neighbour with no photo")
	}
	h.Start("", nil) // the heart scene
	h.apply(t)
	all := Samples()
	next, ok := h.NeighbourSample(1)
	if !ok || next.Name != "sample_pentagon.png" {
		t.Fatalf("after the heart: %q, %v", next.Name, ok)
	}
	if err := h.OpenSample(all[len(all)-1]); err != nil {
		t.Fatal(err)
	}
	h.apply(t)
	if next, _ := h.NeighbourSample(1); next.Name != all[0].Name {
		t.Errorf("after the last: %q, want the first, %s", next.Name, all[0].Name)
	}
	if prev, _ := h.NeighbourSample(-1); prev.Name != all[len(all)-2].Name {
		t.Errorf("before the last: %q", prev.Name)
	}
	h.OpenPhoto("cat.png")
	h.apply(t)
	if _, ok := h.NeighbourSample(1); ok {
		t.Error("a gallery neighbour for a photo of the user's")
	}
}

// Arrow keys walk the photos of the photo's folder, in name order, around.
func TestSessionNeighbourPhoto(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", "b.JPG", "c.txt", "d.webp", "sub.png/"} {
		p := filepath.Join(dir, n)
		var err error
		if strings.HasSuffix(n, "/") {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, nil, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	h := newSession(t)
	if got := h.NeighbourPhoto(1); got != "" {
		t.Errorf("no photo: next %q", got)
	}
	h.Submit(Job{PhotoPath: filepath.Join(dir, "b.JPG"), Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	for _, tc := range []struct {
		step int
		want string
	}{{1, "d.webp"}, {-1, "a.png"}, {2, "a.png"}, {-2, "d.webp"}, {3, "b.JPG"}} {
		if got := h.NeighbourPhoto(tc.step); got != filepath.Join(dir, tc.want) {
			t.Errorf("step %d: %q, want %s", tc.step, got, tc.want)
		}
	}
}
