package session

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/onnxpb"
)

// loadError is the engine's error on x -> Relu -> y declaring the opset.
func loadError(t *testing.T, opset int64) error {
	t.Helper()
	b, err := (&onnxpb.Model{Opset: opset, Graph: onnxpb.Graph{
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 4}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}},
		Nodes:   []onnxpb.Node{{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}},
	}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, err = inference.LoadBytes("m.onnx", b, inference.Options{})
	if err == nil {
		t.Fatalf("a model of opset %d loaded", opset)
	}
	return err
}

// TestModelHint: the advice after a model that did not open fits why: a
// model with an operator the engine lacks, or of an opset it does not run,
// is an ONNX classifier, so telling the user to open one would be wrong.
func TestModelHint(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("node %q: %w %q", "n1", inference.ErrUnsupported, "Foo"), "cannot run this model yet"},
		{fmt.Errorf("model: %w", cam.ErrNoClassifier), "a score per class"},
		{fmt.Errorf("m.onnx: %w", loadError(t, 22)), "opset from 7 to 21"},
		{loadError(t, 6), "opset from 7 to 21"},
		{fmt.Errorf("%w: 5 GiB", inference.ErrTooLarge), "smaller model"},
		{errors.New("not an ONNX model: unexpected EOF"), "Open an image classifier with one image input"},
	} {
		got := modelHint(c.err)
		if !strings.Contains(got, c.want) {
			t.Errorf("%v: hint %q, want it to say %q", c.err, got, c.want)
		}
		if c.want != "Open an image classifier with one image input" && strings.Contains(got, "Open an ONNX") {
			t.Errorf("%v: hint %q tells the user to open an ONNX classifier", c.err, got)
		}
	}
}
