package session

import (
	"context"
	"testing"

	"camscope/app/explain"
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
	t.Logf("%s: %s", p.Name, res.Classes[0].Title())
}
