package inference

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadErrors checks that each kind of bad model file gets a clear error
// that says what is wrong, and never a panic.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(sharedPath(t, "models", "mobilenet_v1_0.25_128.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		path string
		opt  Options
		is   error
		says []string
	}{
		"missing file": {path: filepath.Join(dir, "nope.onnx"), says: []string{"does not exist"}},
		"folder":       {path: dir, says: []string{"is a folder"}},
		"empty":        {path: write("empty.onnx", nil), is: ErrNotONNX, says: []string{"empty"}},
		"garbage":      {path: write("garbage.onnx", []byte("\xff\xfe\x00this is not a model at all\x01\x02")), is: ErrNotONNX},
		"text":         {path: write("notes.onnx", []byte("hello, I am a text file\n")), is: ErrNotONNX},
		"truncated":    {path: write("half.onnx", good[:len(good)/2]), is: ErrNotONNX, says: []string{"complete"}},
		"png":          {path: sharedPath(t, "images", "bird.png"), is: ErrNotONNX},
		"too large":    {path: sharedPath(t, "reference", "resnet18.onnx"), opt: Options{MaxMemory: 60 << 20}, is: ErrTooLarge, says: []string{"limit"}},
		"unsupported operator": {
			path: "/usr/share/libonnx-testdata/data/node/test_einsum_inner_prod/model.onnx",
			is:   ErrUnsupported, says: []string{"Einsum", `node "z"`}},
		"old opset": {path: "/usr/share/libonnx-testdata/data/node/test_globalaveragepool/model.onnx", says: []string{"opset 1", "7 to 18"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Load(c.path, c.opt)
			if err == nil {
				t.Fatalf("loaded %s without error (%d nodes)", c.path, m.NumNodes())
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: errors are fine, panics and
// hangs are not (package cam's FuzzDiscoverHead goes on to head discovery).
func FuzzLoad(f *testing.F) {
	for _, p := range []string{
		"/usr/share/libonnx-testdata/data/node/test_relu/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_conv_with_strides_and_asymmetric_padding/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_gemm_default_vector_bias/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_maxpool_2d_ceil/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_reshape_negative_dim/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_constant/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_gather_0/model.onnx",
		"/usr/share/libonnx-testdata/data/node/test_softmax_axis_1/model.onnx",
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
			f.Add(b[:len(b)*2/3])
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\x08\x07\x12\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := LoadBytes("fuzz.onnx", data, Options{MaxMemory: 256 << 20}); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
