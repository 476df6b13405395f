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

// TestFloatGiven: an explicit 0 is told apart from no value.
func TestFloatGiven(t *testing.T) {
	for _, c := range []struct {
		args  []string
		given bool
	}{{nil, false}, {[]string{"--f", "0"}, true}, {[]string{"--f=0.5"}, true}} {
		var f Float
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Var(&f, "f", "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if f.Given != c.given {
			t.Errorf("%q: given %v", c.args, f.Given)
		}
	}
	var f Float
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&f, "f", "")
	if err := fs.Parse([]string{"--f", "many"}); err == nil || f.Given {
		t.Errorf("--f many: err %v, given %v", err, f.Given)
	}
}
