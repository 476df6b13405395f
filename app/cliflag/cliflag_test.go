package cliflag

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestStringsRepeats(t *testing.T) {
	var s Strings
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&s, "model", "")
	if err := fs.Parse([]string{"--model", "a.onnx", "--model=b.onnx"}); err != nil {
		t.Fatal(err)
	}
	if want := (Strings{"a.onnx", "b.onnx"}); !reflect.DeepEqual(s, want) {
		t.Fatalf("got %v, want %v", s, want)
	}
	if s.String() != "a.onnx,b.onnx" {
		t.Errorf("String() = %q", s.String())
	}
}
