package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/assets"
	"camscope/inference/preprocess"
)

// The app starts offline: the built-in model explains the sample scene.
func TestDefaultModelExplainsSample(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	p := SamplePhoto()
	if p == nil {
		t.Fatal("no sample photo")
	}
	res, err := explain.Photo(context.Background(), m, p.Image, explain.Request{Method: "cam", TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Classes) != 3 || res.Classes[0].Label == "" {
		t.Fatalf("classes %+v", res.Classes)
	}
	t.Logf("%s: %s", p.Name, display.Title(res.Classes[0]))
}

// TestSamplesAreRecognised: the built-in model names the dominant shape of
// every sample scene shipped with it (sample_CLASS.png).
func TestSamplesAreRecognised(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(assets.ShapesSamples, "shapes/sample_*.png")
	if err != nil || len(names) < 8 {
		t.Fatalf("samples %v, %v", names, err)
	}
	for _, name := range names {
		data, err := assets.ShapesSamples.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := photo.Decode(data, name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := explain.Photo(context.Background(), m, p.Image, explain.Request{Method: "cam", TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(name, "shapes/sample_"), ".png")
		if got := res.Classes[0].Label; got != want {
			t.Errorf("%s: top class %s (%.2f), want %s", name, got, res.Classes[0].Prob, want)
		}
	}
}

// TestImageNetModelIsGooglesFile: the built-in ImageNet model is the file
// its NOTICE names, unchanged, and it names a dog breed first for the
// shared photo of two dogs, with the 1001 labels it carries inside.
func TestImageNetModelIsGooglesFile(t *testing.T) {
	notice, err := os.ReadFile("../../assets/mobilenet/NOTICE")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(assets.MobileNetV2)
	if want := hex.EncodeToString(sum[:]); !strings.Contains(strings.Join(strings.Fields(string(notice)), ""), want) {
		t.Fatalf("embedded file's sha256 %s is not the one its NOTICE gives", want)
	}
	m, err := ImageNetModel("", preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != ImageNetName || len(m.Labels) != 1001 || m.Labels[0] != "background" {
		t.Fatalf("model %q with %d labels (first %q)", m.Name, len(m.Labels), m.Labels[0])
	}
	p, err := photo.Load("../../../shared/images/pets.png")
	if err != nil {
		t.Fatal(err)
	}
	res, err := explain.Photo(context.Background(), m, p.Image, explain.Request{Method: "cam", TopK: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Classes[0].Label; got != "Italian greyhound" {
		t.Errorf("top class %q, want Italian greyhound", got)
	}
}

// The window's --model takes the built-in models by the names the
// commands use.
func TestLoadBuiltinByName(t *testing.T) {
	load := DefaultFuncs().LoadModel
	for path, want := range map[string]string{ShapesPath: BuiltinName, ImageNetPath: ImageNetName} {
		m, err := load(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != want {
			t.Errorf("%s: %s, want %s", path, m.Name, want)
		}
	}
}
