package decode

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/internal/shareddata"
	"camscope/inference/onnxpb"
)

// pbField appends one field to b: a varint, fixed32, fixed64 or bytes value.
func pbField(b []byte, num protowire.Number, v any) []byte {
	switch x := v.(type) {
	case uint64:
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), x)
	case uint32:
		return protowire.AppendFixed32(protowire.AppendTag(b, num, protowire.Fixed32Type), x)
	case []byte:
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), x)
	}
	panic("field: unknown value")
}

// TestInitializerEncodings decodes each way ONNX writers store values:
// raw_data, the typed fields packed or one value a field, with the data
// type after the values, and scalars.
func TestInitializerEncodings(t *testing.T) {
	le32 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return b
	}
	f32 := math.Float32bits
	var packedInts, packedDoubles []byte
	for _, v := range []int64{-3, 0, 1 << 40} {
		packedInts = protowire.AppendVarint(packedInts, uint64(v))
	}
	for _, v := range []float64{0.5, -2, 1e-3} {
		packedDoubles = binary.LittleEndian.AppendUint64(packedDoubles, math.Float64bits(v))
	}
	cases := map[string]struct {
		b     []byte
		shape []int
		f     []float32
		i     []int64
	}{
		"float raw": {pbField(pbField(pbField(pbField(nil, tensorDims, uint64(2)), tensorDims, uint64(1)), tensorDataType, uint64(1)), tensorRawData, le32(f32(1.5), f32(-2))),
			[]int{2, 1}, []float32{1.5, -2}, nil},
		"float_data packed, type last": {pbField(pbField(pbField(nil, tensorDims, uint64(3)), tensorFloatData, le32(f32(1), f32(2), f32(3))), tensorDataType, uint64(1)),
			[]int{3}, []float32{1, 2, 3}, nil},
		"float_data one a field": {pbField(pbField(pbField(pbField(nil, tensorDataType, uint64(1)), tensorDims, uint64(2)), tensorFloatData, f32(7)), tensorFloatData, f32(-7)),
			[]int{2}, []float32{7, -7}, nil},
		"double_data packed": {pbField(pbField(pbField(nil, tensorDataType, uint64(11)), tensorDims, uint64(3)), tensorDoubleData, packedDoubles),
			[]int{3}, []float32{0.5, -2, 1e-3}, nil},
		"int64_data packed, negative": {pbField(pbField(pbField(nil, tensorDataType, uint64(7)), tensorDims, uint64(3)), tensorInt64Data, packedInts),
			[]int{3}, nil, []int64{-3, 0, 1 << 40}},
		"int32_data one a field": {pbField(pbField(pbField(pbField(nil, tensorDataType, uint64(6)), tensorDims, uint64(2)), tensorInt32Data, uint64(math.MaxUint64)), tensorInt32Data, uint64(5)),
			[]int{2}, nil, []int64{-1, 5}},
		"int64 raw scalar": {pbField(pbField(nil, tensorDataType, uint64(7)), tensorRawData, binary.LittleEndian.AppendUint64(nil, uint64(math.MaxUint64-1))),
			nil, nil, []int64{-2}},
		"int32 raw": {pbField(pbField(pbField(nil, tensorDims, uint64(2)), tensorDataType, uint64(6)), tensorRawData, le32(math.MaxUint32, 9)),
			[]int{2}, nil, []int64{-1, 9}},
		"empty": {pbField(pbField(nil, tensorDims, uint64(0)), tensorDataType, uint64(1)),
			[]int{0}, []float32{}, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := pbField(c.b, tensorName, []byte("w"))
			got, x, err := initializer(b, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got != "w" || !slices.Equal(x.Shape, c.shape) || !slices.Equal(x.F, c.f) || !slices.Equal(x.I, c.i) {
				t.Errorf("%q %v F %v I %v, want w %v F %v I %v", got, x.Shape, x.F, x.I, c.shape, c.f, c.i)
			}
		})
	}
}

// TestInitializerRefusals checks that a tensor whose shape and values
// disagree, or that declares more values than its bytes hold, is refused
// with a sentence before its array is allocated, and that the limit
// applies.
func TestInitializerRefusals(t *testing.T) {
	four := pbField(nil, tensorRawData, make([]byte, 16))
	cases := map[string]struct {
		b     []byte
		limit int64
		is    error
		says  string
	}{
		"fewer values":  {pbField(pbField(pbField(nil, tensorDims, uint64(5)), tensorDataType, uint64(1)), tensorRawData, make([]byte, 16)), 1 << 20, ErrNotONNX, "shape [5] (5 values) but holds 4 values"},
		"huge shape":    {append(pbField(pbField(pbField(nil, tensorDims, uint64(1<<40)), tensorDims, uint64(1<<40)), tensorDataType, uint64(1)), four...), 1 << 50, ErrNotONNX, "which no array of its values can have"},
		"product":       {append(pbField(pbField(pbField(pbField(nil, tensorDims, uint64(20)), tensorDims, uint64(20)), tensorDataType, uint64(1)), tensorName, []byte("big")), four...), 1 << 50, ErrNotONNX, `"big" has shape [20 20], more values than its`},
		"negative dim":  {append(pbField(pbField(nil, tensorDims, uint64(math.MaxUint64)), tensorDataType, uint64(1)), four...), 1 << 20, ErrNotONNX, "dimension -1"},
		"ragged raw":    {pbField(pbField(pbField(nil, tensorDims, uint64(1)), tensorDataType, uint64(1)), tensorRawData, make([]byte, 5)), 1 << 20, ErrNotONNX, "5 bytes of raw data for FLOAT values of 4 bytes"},
		"segment":       {append(pbField(pbField(nil, tensorSegment, []byte{}), tensorDataType, uint64(1)), four...), 1 << 20, ErrNotONNX, "segments"},
		"string":        {append(pbField(nil, tensorDataType, uint64(8)), four...), 1 << 20, ErrNotONNX, "element type STRING"},
		"over limit":    {append(pbField(pbField(nil, tensorDims, uint64(4)), tensorDataType, uint64(1)), four...), 15, ErrTooLarge, "takes 16 bytes"},
		"int32 widened": {append(pbField(pbField(nil, tensorDims, uint64(4)), tensorDataType, uint64(6)), four...), 31, ErrTooLarge, "takes 32 bytes"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := initializer(c.b, c.limit)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %v, want %v saying %q", err, c.is, c.says)
			}
		})
	}
}

// TestInitializersMatchOnnxpb reads the float weights of the built-in
// shapes model and of ResNet-18 through Read and through onnxpb's own
// decoder (the trainer's read-back), which must agree bit for bit, and
// checks that onnx-go's decoder was handed the file without them.
func TestInitializersMatchOnnxpb(t *testing.T) {
	for _, path := range []string{"../../assets/shapes/shapes.onnx", shareddata.Path(t, "reference", "resnet18.onnx")} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := onnxpb.Unmarshal(data, onnxpb.Values)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Read(data, Options{MaxMemory: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Graph.Initializers) == 0 || len(g.Consts) != len(want.Graph.Initializers) {
			t.Fatalf("%s: %d constants, onnxpb reads %d initializers", path, len(g.Consts), len(want.Graph.Initializers))
		}
		for _, w := range want.Graph.Initializers {
			got := g.Consts[w.Name]
			if got == nil || len(got.Shape) != len(w.Dims) || !slices.EqualFunc(got.F, w.Data, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) || cap(got.F) != len(w.Data) {
				t.Fatalf("%s: initializer %q differs from onnxpb's (%d values, want %d)", path, w.Name, len(got.F), len(w.Data))
			}
		}
		_, structure, err := splitInitializers(data, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if len(structure) > len(data)/10 {
			t.Errorf("%s: onnx-go gets %d of the file's %d bytes; the weights should not be among them", path, len(structure), len(data))
		}
	}
}
