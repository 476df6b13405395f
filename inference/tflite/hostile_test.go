package tflite_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/internal/shareddata"
	tb "camscope/inference/internal/tflitebuild"
	"camscope/inference/tflite"
)

// load loads bytes as a .tflite file and fails the test on a panic.
func load(t *testing.T, name string, data []byte) (m *inference.Model, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic %v", name, r)
		}
	}()
	m, err = inference.LoadBytes(name, data, inference.Options{MaxMemory: 256 << 20})
	if err != nil && strings.Contains(err.Error(), "internal error") {
		t.Errorf("%s: %v", name, err)
	}
	return m, err
}

// wantError checks that data fails to load with a message containing each
// of parts.
func wantError(t *testing.T, name string, data []byte, parts ...string) error {
	t.Helper()
	_, err := load(t, name, data)
	if err == nil {
		t.Fatalf("%s: loaded, want an error", name)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not say %q", name, err, p)
		}
	}
	return err
}

func TestGarbageAndWrongMagic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		b := make([]byte, rng.IntN(4096))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if len(b) >= 8 && i%2 == 0 {
			copy(b[4:], "TFL3")
		}
		load(t, "garbage.tflite", b)
	}
	wantError(t, "empty.tflite", nil, "not a TensorFlow Lite model", "0 bytes")
	n, _ := teachable(true)
	good := n.m.Bytes()
	bad := bytes.Clone(good)
	copy(bad[4:], "TFL2")
	err := wantError(t, "magic.tflite", bad, "not a TensorFlow Lite model", `"TFL3"`)
	if !errors.Is(err, tflite.ErrNotTFLite) {
		t.Errorf("wrong magic: %v does not wrap ErrNotTFLite", err)
	}
	n.m.Version = 2
	wantError(t, "version.tflite", n.m.Bytes(), "schema version 2")
}

// TestTruncatedModel cuts a real model at many points: every cut gives an
// error, or, when it only shortens the metadata appended after the
// FlatBuffer, the model without its labels.
func TestTruncatedModel(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "models", "tflite", "mobilenet_v1_0.25_128_quant.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	cuts := []int{1, 4, 7, 8, 12, 16, 64, 100, 1000}
	for i := 1; i < 150; i++ {
		cuts = append(cuts, len(data)*i/150)
	}
	for _, cut := range cuts {
		m, err := load(t, "cut.tflite", data[:cut])
		switch {
		case err == nil && cut < len(data)*9/10:
			t.Errorf("cut at %d of %d bytes: loaded", cut, len(data))
		case err == nil && m.Labels != nil:
			t.Errorf("cut at %d of %d bytes: labels still read from a cut archive", cut, len(data))
		case err != nil && !errors.Is(err, tflite.ErrNotTFLite):
			t.Errorf("cut at %d: %v, want ErrNotTFLite", cut, err)
		}
	}
}

func TestUnsupportedOperator(t *testing.T) {
	n, _ := teachable(true)
	n.m.Ops[1].Code, n.m.Ops[1].Custom, n.m.Ops[1].Options = tb.Custom, "xyz", nil
	err := wantError(t, "custom.tflite", n.m.Bytes(), `TFLite operator CUSTOM "xyz" in subgraph 0 is not supported`, "CONV_2D")
	if !errors.Is(err, inference.ErrUnsupported) {
		t.Errorf("%v does not wrap ErrUnsupported", err)
	}
	n, _ = teachable(true)
	n.m.Ops[1].Code = 39 // TRANSPOSE
	wantError(t, "transpose.tflite", n.m.Bytes(), "TFLite operator TRANSPOSE in subgraph 0 is not supported")
	n, _ = teachable(true)
	n.m.Ops[0].Options = tb.Pool(tb.Same, 1, 2, tb.ActNone)
	wantError(t, "options.tflite", n.m.Bytes(), "options of type 5 where 1 was expected")
}

// TestBufferPastTheFile: a buffer whose length, or whose external offset
// and size, claim more bytes than the file has.
func TestBufferPastTheFile(t *testing.T) {
	n, _ := teachable(true)
	w := n.m.Tensors[2].Data // the first conv's weights
	data := n.m.Bytes()
	at := bytes.Index(data, w)
	if at < 4 {
		t.Fatal("weights not found in the built file")
	}
	copy(data[at-4:], []byte{0xff, 0xff, 0xff, 0x7f})
	wantError(t, "length.tflite", data, "runs past the end of the file")

	n, _ = teachable(true)
	n.m.External = []tb.External{{Offset: 64, Size: 1 << 40}}
	useExternal(&n.m, 2)
	wantError(t, "external.tflite", n.m.Bytes(), "past the end of the file")

	n, _ = teachable(true)
	n.m.External = []tb.External{{Offset: 64, Size: 16}}
	useExternal(&n.m, 2)
	wantError(t, "external.tflite", n.m.Bytes(), "keeps its data outside the FlatBuffer")
}

// useExternal makes tensor i of m read the first External buffer, which
// comes after the empty buffer and one per other constant.
func useExternal(m *tb.Model, i int) {
	m.Tensors[i].Data = nil
	n := int32(1)
	for _, t := range m.Tensors {
		if t.Data != nil {
			n++
		}
	}
	m.Tensors[i].Buffer = n
}

func TestHugeShape(t *testing.T) {
	n, _ := teachable(true)
	n.m.Tensors[1].Shape = []int32{1, 100000, 100000, 8}
	err := wantError(t, "huge.tflite", n.m.Bytes(), "over the limit")
	if !errors.Is(err, inference.ErrTooLarge) {
		t.Errorf("%v does not wrap ErrTooLarge", err)
	}
	n, _ = teachable(true)
	n.m.Tensors[2].Data = n.m.Tensors[2].Data[:8]
	wantError(t, "short.tflite", n.m.Bytes(), "bytes of data for its shape")
	n, _ = teachable(true)
	n.m.Tensors[1].Shape = []int32{1, 7, 8, 8} // the first conv's output, which is 8x8
	wantError(t, "lying.tflite", n.m.Bytes(), `tensor "conv1" is computed with shape [1 8 8 8] where the file declares [1 8 7 8]`)
}
