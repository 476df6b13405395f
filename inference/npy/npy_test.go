package npy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

const refDir = "../../../shared/reference"

func TestReadReferenceFiles(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(refDir, "meta.json"))
	if err != nil {
		t.Fatalf("%v: the shared reference data belongs in ../shared/reference, beside this checkout", err)
	}
	var meta map[string]struct {
		FeatShape    []int   `json:"feat_shape"`
		LogitsAbsmax float64 `json:"logits_absmax"`
		FeatAbsmax   float64 `json:"feat_absmax"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	in, err := ReadFile(filepath.Join(refDir, "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(in.Shape, []int{1, 3, 224, 224}) || in.DType != tensor.Float32 {
		t.Fatalf("input.npy: got %s", in)
	}
	for name, m := range meta {
		for _, kind := range []string{"feat", "grad", "logits"} {
			p := filepath.Join(refDir, name+"_"+kind+".npy")
			got, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want := m.FeatShape
			if kind == "logits" {
				want = []int{1, 1000}
			}
			if !tensor.EqualShape(got.Shape, want) {
				t.Errorf("%s: shape %v, want %v", p, got.Shape, want)
			}
			absmax := 0.0
			for _, v := range got.F {
				absmax = math.Max(absmax, math.Abs(float64(v)))
			}
			switch kind {
			case "feat":
				checkClose(t, p, absmax, m.FeatAbsmax)
			case "logits":
				checkClose(t, p, absmax, m.LogitsAbsmax)
			}
		}
	}
}

func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, want) {
		t.Errorf("%s: absmax %v, meta.json says %v", what, got, want)
	}
}

// TestRewriteReferenceIsByteIdentical checks that our writer produces exactly
// the bytes NumPy wrote.
func TestRewriteReferenceIsByteIdentical(t *testing.T) {
	p := filepath.Join(refDir, "resnet18_logits.npy")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v: the shared reference data belongs in ../shared/reference, beside this checkout", err)
	}
	tt, err := Read(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, tt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), orig) {
		t.Errorf("rewritten file differs from NumPy's:\n%q\n%q", buf.Bytes()[:128], orig[:128])
	}
}

func TestRoundTrip(t *testing.T) {
	cases := map[string]*tensor.Tensor{
		"scalar":    tensor.FromFloat32(nil, []float32{3.5}),
		"vector":    tensor.FromFloat32([]int{3}, []float32{1, float32(math.Inf(-1)), -0}),
		"empty":     tensor.New(2, 0, 3),
		"nchw":      tensor.New(1, 3, 4, 5),
		"int64":     tensor.FromInt64([]int{2, 2}, []int64{math.MinInt64, -1, 0, math.MaxInt64}),
		"rank8":     tensor.New(1, 2, 1, 2, 1, 2, 1, 2),
		"nan":       tensor.FromFloat32([]int{1}, []float32{float32(math.NaN())}),
		"subnormal": tensor.FromFloat32([]int{1}, []float32{math.SmallestNonzeroFloat32}),
	}
	for i := range cases["nchw"].F {
		cases["nchw"].F[i] = float32(i)*0.25 - 7
	}
	dir := t.TempDir()
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".npy")
			var buf bytes.Buffer
			if err := Write(&buf, want); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(p)
			if hl := int(binary.LittleEndian.Uint16(raw[8:])); (10+hl)%64 != 0 {
				t.Errorf("data starts at %d, not 64-byte aligned", 10+hl)
			}
			got, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShape(got.Shape, want.Shape) || got.DType != want.DType {
				t.Fatalf("got %s, want %s", got, want)
			}
			for i := range want.F {
				if math.Float32bits(got.F[i]) != math.Float32bits(want.F[i]) {
					t.Errorf("F[%d] = %v, want %v", i, got.F[i], want.F[i])
				}
			}
			for i := range want.I {
				if got.I[i] != want.I[i] {
					t.Errorf("I[%d] = %v, want %v", i, got.I[i], want.I[i])
				}
			}
		})
	}
}

// build makes a .npy byte stream with an arbitrary version and header.
func build(major byte, dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{major, 0})
	hdr := dict + "\n"
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

func f32bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func TestReadVersionsAndSpellings(t *testing.T) {
	data := f32bytes(1, 2, 3, 4, 5, 6)
	cases := map[string][]byte{
		"v1":            build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data),
		"v2":            build(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data),
		"v3":            build(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data),
		"key order":     build(1, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", data),
		"double quotes": build(1, `{"descr": "<f4", "fortran_order": False, "shape": (2,3)}`, data),
		"long ints":     build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", data),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShape(got.Shape, []int{2, 3}) || got.F[5] != 6 {
				t.Errorf("got %s %v", got, got.F)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	data := f32bytes(1, 2)
	cases := map[string]struct {
		in   []byte
		want error
		msg  string
	}{
		"empty":         {nil, ErrNotNpy, "empty"},
		"text":          {[]byte("hello, this is not an array"), ErrNotNpy, "NUMPY"},
		"version 4":     {build(4, ok, data), ErrVersion, "4.0"},
		"fortran":       {build(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data), ErrFortranOrder, "ascontiguousarray"},
		"float64":       {build(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f32bytes(1, 2, 3, 4)), ErrDType, `"<f8"`},
		"big endian":    {build(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data), ErrDType, `">f4"`},
		"structured":    {build(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data), ErrHeader, "quoted string"},
		"truncated":     {build(1, ok, data[:7]), ErrTruncated, "8 data bytes expected, 7 present"},
		"no data":       {build(1, ok, nil), ErrTruncated, ""},
		"header cut":    {build(1, ok, nil)[:30], ErrTruncated, "header"},
		"huge shape":    {build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", data), ErrTooLarge, ""},
		"overflow dim":  {build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data), ErrTooLarge, ""},
		"negative dim":  {build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data), ErrHeader, ""},
		"missing key":   {build(1, "{'descr': '<f4', 'shape': (2,), }", data), ErrHeader, "fortran_order"},
		"extra key":     {build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data), ErrHeader, `"x"`},
		"duplicate key": {build(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data), ErrHeader, "twice"},
		"not a dict":    {build(1, "[1, 2]", data), ErrHeader, ""},
		"int not tuple": {build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", data), ErrHeader, "comma"},
		"absurd header": {append(build(2, "", nil)[:8], 0xff, 0xff, 0xff, 0x7f), ErrHeader, "limit"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.in))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err %q does not mention %q", err, c.msg)
			}
		})
	}
}

func TestReadFileNamesThePath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.npy")
	os.WriteFile(p, []byte("nope"), 0o644)
	_, err := ReadFile(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v, want it to name %s", err, p)
	}
}

func TestReadLeavesFollowingBytes(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, tensor.FromFloat32([]int{2}, []float32{1, 2}))
	Write(&buf, tensor.FromInt64([]int{1}, []int64{7}))
	a, err := Read(&buf)
	if err != nil || a.F[1] != 2 {
		t.Fatalf("first: %v %v", a, err)
	}
	b, err := Read(&buf)
	if err != nil || b.I[0] != 7 {
		t.Fatalf("second: %v %v", b, err)
	}
}

func TestWriteRejectsInconsistentTensor(t *testing.T) {
	bad := &tensor.Tensor{Shape: []int{1000}, F: make([]float32, 3)}
	if err := Write(io.Discard, bad); err == nil {
		t.Fatal("writing a tensor that holds 3 of its 1000 values succeeded")
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, tensor.FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	f.Add(buf.Bytes())
	buf.Reset()
	Write(&buf, tensor.FromInt64([]int{1}, []int64{5}))
	f.Add(buf.Bytes())
	f.Add(build(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32bytes(1)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, got); err != nil {
			t.Fatalf("cannot write back what was read: %v", err)
		}
		again, err := Read(&out)
		if err != nil || !tensor.EqualShape(again.Shape, got.Shape) || again.DType != got.DType {
			t.Fatalf("round trip changed %s into %v (%v)", got, again, err)
		}
	})
}
