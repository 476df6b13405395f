package session

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/assets"
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
